/** A minimal VCD reader for the tests: declarations, and the value of a signal at a time. */

export interface Vcd {
  /** Full names (scope.name) → width. */
  readonly widths: ReadonlyMap<string, number>;
  readonly timescale: string;
  /** Value of a signal as an unsigned number after all changes at or before `time`. */
  valueAt(name: string, time: number): number;
  /** The same, sign-extended from the signal's width. */
  signedAt(name: string, time: number): number;
  readonly lastTime: number;
}

export function readVcd(text: string): Vcd {
  const [head = '', body = ''] = text.split('$enddefinitions $end');
  const idOf = new Map<string, string>();
  const widths = new Map<string, number>();
  const scopes: string[] = [];
  for (const m of head.matchAll(/\$(scope module (\S+)|upscope|var (?:wire|reg) (\d+) (\S+) (\S+)) \$end/g)) {
    if (m[2] !== undefined) scopes.push(m[2]);
    else if (m[1] === 'upscope') scopes.pop();
    else {
      const name = [...scopes, m[5]!].join('.');
      idOf.set(name, m[4]!);
      widths.set(name, Number(m[3]));
    }
  }
  const changes = new Map<string, [number, number][]>();
  let time = 0;
  let lastTime = 0;
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('$')) continue;
    if (line.startsWith('#')) {
      const t = Number(line.slice(1));
      if (!(t >= time)) throw new Error(`VCD time goes backwards: #${t} after #${time}`);
      time = lastTime = t;
      continue;
    }
    const vec = /^b([01]+) (\S+)$/.exec(line);
    const [value, id] = vec ? [parseInt(vec[1]!, 2), vec[2]!] : [Number(line[0]), line.slice(1)];
    const list = changes.get(id) ?? [];
    list.push([time, value]);
    changes.set(id, list);
  }
  const valueAt = (name: string, t: number): number => {
    const id = idOf.get(name);
    if (id === undefined) throw new Error(`no signal ${name}`);
    let v = NaN;
    for (const [at, value] of changes.get(id) ?? []) if (at <= t) v = value;
    return v;
  };
  return {
    widths,
    timescale: /\$timescale\s+(\S+)\s+\$end/.exec(head)?.[1] ?? '',
    valueAt,
    signedAt: (name, t) => {
      const w = widths.get(name) ?? 32;
      const v = valueAt(name, t);
      return v >= 2 ** (w - 1) ? v - 2 ** w : v;
    },
    lastTime,
  };
}
