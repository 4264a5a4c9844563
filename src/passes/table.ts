// SPDX-License-Identifier: MIT
/**
 * Step tables for the threshold unit's table mode: for each output channel, the accumulator values
 * where "dequantize → f → quantize" changes its int8 code, found exactly (every reachable
 * accumulator value gets that code; docs/numerics.md) by bisection over the pieces where f is monotone.
 */
import { NnchipError } from '../diagnostics/error.js';
import { applyTable, turningPoints, type TableActivation } from '../ir/activations.js';
import { quantizeToInt8 } from '../isa/numerics.js';
import { maxOf } from '../ir/graph.js';
import type { QuantParams } from './quantize.js';
import { columnCodes, type WeightMatrix } from './weight-matrix.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** The ISA's `steps` field has 10 bits. */
export const MAX_STEPS = 1023;

/** One table for every output channel, all `steps` long (shorter ones repeat their last step, which changes nothing). */
export interface ChannelTables {
  readonly steps: number;
  /** [n × steps]: step i of channel c at c·steps + i; step 0's threshold is INT32_MIN (its code is the base) */
  readonly thresholds: Int32Array;
  readonly codes: Int8Array;
}

/** One channel's steps: ascending thresholds; the output for acc is the code of the last threshold ≤ acc. */
export interface StepTable {
  readonly thresholds: number[];
  readonly codes: number[];
}

/**
 * The accumulator values in (lo, hi] where code(a) ≠ code(a − 1). `cuts` split [lo, hi] into pieces
 * on which code is monotone (bisection finds every change there); `windows` are checked value by value.
 */
export function stepTable(code: (a: number) => number, lo: number, hi: number, cuts: readonly number[], windows: readonly (readonly [number, number])[]): StepTable {
  const points = new Set<number>([lo, hi + 1]);
  for (const c of cuts) if (c > lo && c <= hi) points.add(c);
  for (const [s, e] of windows) for (const p of [s, e + 1]) if (p > lo && p <= hi) points.add(p);
  const sorted = [...points].sort((a, b) => a - b);
  const changes: number[] = [];
  const bisect = (s: number, e: number, cs: number, ce: number): void => {
    if (cs === ce) return;
    if (e - s === 1) return void changes.push(e);
    const m = Math.floor((s + e) / 2);
    const cm = code(m);
    bisect(s, m, cs, cm);
    bisect(m, e, cm, ce);
  };
  for (let i = 0; i + 1 < sorted.length; i++) {
    const s = sorted[i]!;
    const e = sorted[i + 1]! - 1;
    if (s > lo && code(s) !== code(s - 1)) changes.push(s);
    if (windows.some(([ws, we]) => ws <= s && e <= we)) {
      for (let a = s + 1; a <= e; a++) if (code(a) !== code(a - 1)) changes.push(a);
    } else bisect(s, e, code(s), code(e));
  }
  changes.sort((a, b) => a - b);
  return { thresholds: [INT32_MIN, ...changes], codes: [code(lo), ...changes.map(code)] };
}

/** The reachable accumulator range of one channel: bias plus, per weight, its product with the extreme int8 inputs. */
export function reachable(bias: number, weights: Iterable<number>): [number, number] {
  let lo = bias;
  let hi = bias;
  for (const w of weights) {
    lo += w > 0 ? -128 * w : 127 * w;
    hi += w > 0 ? 127 * w : -128 * w;
  }
  // beyond int32 the adders wrap, and any int32 value can occur
  return lo < INT32_MIN || hi > INT32_MAX ? [INT32_MIN, INT32_MAX] : [lo, hi];
}

/** The exact table of channel c: acc a ↦ quantize(f(a·accScale)). */
export function channelTable(act: TableActivation, c: number, accScale: number, out: QuantParams, range: readonly [number, number]): StepTable {
  // where f is undefined (NaN: Sqrt, Log or a fractional Pow of a negative value, reachable in int8 past where the float model
  // goes) it is taken as 0: one code there, not a NaN that equals no code (every such accumulator value was a step)
  const code = (a: number): number => {
    const y = applyTable(act, a * accScale, c);
    return quantizeToInt8(Number.isNaN(y) ? 0 : y, out.scale, out.zp);
  };
  const points = turningPoints(act);
  const turns = points.map((x) => x / accScale);
  // constants of turning points are exact to ~1e-9, so a few accumulator values either side are checked one by one; an
  // expression's are found numerically, to ~1e-8 of max(1, |x|) (a minimum's place from float64 values), so 1e-6 of it
  const slack = (x: number): number => (act.fn === 'expr' ? 1e-6 * Math.max(1, Math.abs(x)) : 1e-8);
  const windows = turns.map((t, i) => {
    const halfWidth = 4 + Math.min(1 << 16, Math.ceil(slack(points[i]!) / accScale));
    return [Math.floor(t) - halfWidth, Math.ceil(t) + halfWidth] as const;
  });
  return stepTable(code, range[0], range[1], turns.map(Math.floor), windows);
}

/** Tables for n channels, padded to one length. */
export function channelTables(layer: string, act: TableActivation, accScale: ArrayLike<number>, out: QuantParams, ranges: readonly (readonly [number, number])[]): ChannelTables {
  const tables = ranges.map((r, c) => channelTable(act, c, accScale[c]!, out, r));
  const steps = maxOf(tables.map((t) => t.thresholds.length));
  if (steps > MAX_STEPS)
    throw new NnchipError('NN304', `the ${act.fn} table needs ${steps} steps; the threshold unit takes at most ${MAX_STEPS}`, {
      layer,
      // the code's own hint ("the rescale factor cannot be represented") does not describe this
      hint: 'the function turns too often over the layer\'s calibrated int8 range: use a smoother activation, or calibrate the layer to a narrower range',
    });
  const thresholds = new Int32Array(ranges.length * steps);
  const codes = new Int8Array(ranges.length * steps);
  tables.forEach((t, c) => {
    for (let i = 0; i < steps; i++) {
      const j = Math.min(i, t.thresholds.length - 1);
      thresholds[c * steps + i] = t.thresholds[j]!;
      codes[c * steps + i] = t.codes[j]!;
    }
  });
  return { steps, thresholds, codes };
}

/** The tables of a GemmOp's channels: its reachable ranges come from its bias and its terms' int8 weights. */
export function opTables(op: { readonly layer: string; readonly n: number; readonly bias: Int32Array; readonly terms: readonly { readonly matrix: WeightMatrix }[] }, act: TableActivation, accScale: ArrayLike<number>, out: QuantParams): ChannelTables {
  const ranges = Array.from({ length: op.n }, (_, col) => {
    const weights = function* (): Generator<number> {
      for (const t of op.terms) yield* columnCodes(t.matrix, col);
    };
    return reachable(op.bias[col]!, weights());
  });
  return channelTables(op.layer, act, accScale, out, ranges);
}
