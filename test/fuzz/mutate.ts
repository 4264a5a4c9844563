/** Mutations of valid model files for fuzzing (shared by test/fuzz and bench/fuzz). */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside a JSON document. */
export function paths(doc: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(doc: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy: Json = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, Json>) };
  const [head, ...rest] = path;
  const container = copy as Record<string | number, Json>;
  const next = setAt(container[head!] ?? null, rest, value);
  if (value === undefined && rest.length === 0) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete container[head!];
  } else container[head!] = next;
  return copy;
}

export interface Mutation {
  readonly kind: 'replace' | 'delete' | 'truncate' | 'flip' | 'shard';
  readonly at: number;
  readonly value: Json;
  readonly shardBytes: number[];
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'delete', 'truncate', 'flip', 'shard'),
  at: fc.nat(),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, fc.constantFrom<Json>(-1, 0, 2 ** 31, 1e300, '../x.bin', '/etc/passwd', 'float16', [null, 4], [], {})),
  shardBytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 120 }),
});

/** Apply one mutation to a model.json text and its weights; returns the new pair. */
export function mutate(modelJson: string, weights: Uint8Array, m: Mutation): { json: string; weights: Uint8Array } {
  const doc = JSON.parse(modelJson) as Json;
  const all = paths(doc);
  const path = all[m.at % all.length]!;
  switch (m.kind) {
    case 'replace':
      return { json: JSON.stringify(setAt(doc, path, m.value)), weights };
    case 'delete':
      return { json: JSON.stringify(setAt(doc, path, undefined)), weights };
    case 'truncate':
      return { json: modelJson.slice(0, m.at % modelJson.length), weights };
    case 'flip': {
      const bytes = Buffer.from(modelJson);
      const i = m.at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ (1 << (m.at % 7));
      return { json: bytes.toString('latin1'), weights };
    }
    case 'shard':
      return { json: modelJson, weights: Uint8Array.from(m.shardBytes) };
  }
}
