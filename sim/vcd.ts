// SPDX-License-Identifier: MIT
/**
 * A small VCD (IEEE 1364 value change dump) writer for step mode, and the signal set it dumps:
 * clk, the controller (pc, unit states, queue fill, token counters) and every PE's registers,
 * named as the RTL names them (pe_<r>_<c>_w / _a / _psum inside the `array` scope).
 */

/** Where the VCD text goes (the CLI collects it and writes the file atomically). */
export interface VcdSink {
  write(chunk: string): void;
  /** Stop dumping after this many cycles (the file notes the cut). Default: the whole run. */
  readonly maxCycles?: number;
}

/** Identifier codes: printable ASCII from '!' upward, base 94. */
function idCode(n: number): string {
  let s = '';
  do {
    s += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94);
  } while (n > 0);
  return s;
}

function valueText(width: number, v: number, id: string): string {
  if (width === 1) return `${v & 1}${id}`;
  const bits = width >= 32 ? (v >>> 0).toString(2) : (v & ((1 << width) - 1)).toString(2);
  return `b${bits} ${id}`;
}

export class VcdWriter {
  private readonly ids: string[] = [];
  private readonly widths: number[] = [];
  private last: Float64Array = new Float64Array(0);
  private readonly defs: string[] = [];
  private buffered: string[] = [];

  constructor(
    private readonly sink: VcdSink,
    /** Clock period in picoseconds (timescale 1 ps). */
    readonly periodPs: number,
  ) {}

  scope(name: string): void {
    this.defs.push(`$scope module ${name} $end`);
  }

  upscope(): void {
    this.defs.push('$upscope $end');
  }

  /** Declare a signal; returns its handle for set(). */
  wire(name: string, width: number): number {
    const id = idCode(this.ids.length);
    this.ids.push(id);
    this.widths.push(width);
    this.defs.push(`$var ${width === 1 ? 'wire' : 'reg'} ${width} ${id} ${name} $end`);
    return this.ids.length - 1;
  }

  /** Header plus the initial values of every signal (all zero, clk high) at time 0. */
  begin(): void {
    this.last = new Float64Array(this.ids.length).fill(NaN);
    const init = this.ids.map((id, i) => valueText(this.widths[i]!, i === 0 ? 1 : 0, id));
    this.ids.forEach((_, i) => (this.last[i] = i === 0 ? 1 : 0));
    this.sink.write(['$version nnchip sim (step mode) $end', '$timescale 1ps $end', ...this.defs, '$enddefinitions $end', '#0', '$dumpvars', ...init, '$end', ''].join('\n'));
  }

  set(handle: number, value: number): void {
    if (this.last[handle] === value) return;
    this.last[handle] = value;
    this.buffered.push(valueText(this.widths[handle]!, value, this.ids[handle]!));
  }

  /** Close cycle t: clk falls mid-cycle, rises at the next edge together with the register changes. */
  cycle(t: number): void {
    const half = Math.floor(this.periodPs / 2);
    this.sink.write(`#${t * this.periodPs + half}\n0${this.ids[0]}\n#${(t + 1) * this.periodPs}\n1${this.ids[0]}\n${this.buffered.join('\n')}${this.buffered.length > 0 ? '\n' : ''}`);
    this.buffered = [];
  }

  comment(text: string): void {
    this.sink.write(`$comment ${text} $end\n`);
  }
}
