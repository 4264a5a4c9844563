// SPDX-License-Identifier: MIT
/**
 * Post-training quantization of a chain of dense layers (docs/numerics.md):
 *   weights  int8, symmetric, per output channel: w = s_w[n]·q
 *   tensors  int8 with zero point from the observed range [lo, hi] ∋ 0: x = s·(q − zp)
 *   bias     int32 in units of s_in·s_w[n], with the input zero point folded in
 *   rescale  s_in·s_w[n]/s_out as (mult, shift) for the threshold unit
 */
import { NnchipError } from '../diagnostics/error.js';
import { evaluateGraph } from '../ir/evaluate.js';
import type { Graph, NodeOf } from '../ir/graph.js';
import { INT8_MAX, INT8_MIN, quantizeMultiplier } from '../isa/numerics.js';

export interface QuantParams {
  readonly scale: number;
  readonly zp: number;
}

export interface QuantizedDense {
  readonly name: string;
  readonly inputs: number; // K
  readonly units: number; // N
  /** int8 codes, row-major [K][N]. */
  readonly weights: Int8Array;
  readonly bias: Int32Array;
  readonly mult: Uint16Array;
  readonly shift: Uint8Array;
  readonly input: QuantParams;
  readonly output: QuantParams;
  /** threshold clamp bounds (ReLU: lo = zp; ReLU6: hi = q(6)) */
  readonly lo: number;
  readonly hi: number;
  readonly activation: string;
}

export interface QuantizedModel {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly layers: readonly QuantizedDense[];
  readonly notes: readonly string[];
}

export type Range = readonly [number, number];

/** The calibration source: real samples (preferred) or a declared input range. */
export type Calibration = { readonly samples: readonly ArrayLike<number>[] } | { readonly inputRange: Range };

/** Asymmetric int8 parameters covering [lo, hi] (widened to contain 0, so 0 is exact). */
export function paramsForRange([lo0, hi0]: Range): QuantParams {
  const lo = Math.min(0, lo0);
  const hi = Math.max(0, hi0);
  const scale = hi > lo ? (hi - lo) / 255 : 1 / 255;
  const zp = Math.max(INT8_MIN, Math.min(INT8_MAX, Math.round(INT8_MIN - lo / scale)));
  return { scale, zp };
}

type Dense = NodeOf<'dense'>;
const act = (fn: string, v: number): number => (fn === 'relu' ? Math.max(0, v) : fn === 'relu6' ? Math.min(6, Math.max(0, v)) : v);

/** Observed [min, max] of every tensor over the calibration samples. */
function observedRanges(g: Graph, samples: readonly ArrayLike<number>[]): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  for (const s of samples) {
    for (const [name, v] of evaluateGraph(g, s)) {
      const r = ranges.get(name) ?? [Infinity, -Infinity];
      for (const x of v) {
        if (x < r[0]) r[0] = x;
        if (x > r[1]) r[1] = x;
      }
      ranges.set(name, r);
    }
  }
  return ranges;
}

/** Sound bounds from a declared input range, by interval arithmetic through each layer. */
function propagatedRanges(g: Graph, [lo, hi]: Range): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>([[g.inputs[0]!.name, [lo, hi]]]);
  for (const n of g.nodes as Dense[]) {
    const [inLo, inHi] = ranges.get(n.inputs[0]!)!;
    const [k, units] = n.kernel.shape as [number, number];
    let outLo = Infinity;
    let outHi = -Infinity;
    for (let j = 0; j < units; j++) {
      let a = n.bias?.data[j] ?? 0;
      let b = a;
      for (let i = 0; i < k; i++) {
        const w = n.kernel.data[i * units + j]!;
        a += Math.min(w * inLo, w * inHi);
        b += Math.max(w * inLo, w * inHi);
      }
      outLo = Math.min(outLo, act(n.activation, a));
      outHi = Math.max(outHi, act(n.activation, b));
    }
    ranges.set(n.output, [outLo, outHi]);
  }
  return ranges;
}

function quantizeDense(n: Dense, input: QuantParams, output: QuantParams): QuantizedDense {
  const [k, units] = n.kernel.shape as [number, number];
  const weights = new Int8Array(k * units);
  const bias = new Int32Array(units);
  const mult = new Uint16Array(units);
  const shift = new Uint8Array(units);
  for (let j = 0; j < units; j++) {
    let maxAbs = 0;
    for (let i = 0; i < k; i++) maxAbs = Math.max(maxAbs, Math.abs(n.kernel.data[i * units + j]!));
    const sw = maxAbs > 0 ? maxAbs / INT8_MAX : 1;
    let sumQ = 0;
    for (let i = 0; i < k; i++) {
      const q = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(n.kernel.data[i * units + j]! / sw)));
      weights[i * units + j] = q;
      sumQ += q;
    }
    const b = Math.round((n.bias?.data[j] ?? 0) / (input.scale * sw)) - input.zp * sumQ;
    if (!(b >= -(2 ** 31) && b < 2 ** 31)) throw new NnchipError('NN304', `bias of unit ${j} does not fit int32 after scaling (${b})`, { layer: n.name });
    bias[j] = b;
    const m = quantizeMultiplier((input.scale * sw) / output.scale);
    if (m === null) throw new NnchipError('NN304', `rescale factor of unit ${j} is too large (${(input.scale * sw) / output.scale})`, { layer: n.name });
    mult[j] = m.mult;
    shift[j] = m.shift;
  }
  const q6 = output.zp + Math.round(6 / output.scale);
  const lo = n.activation === 'linear' ? INT8_MIN : Math.max(INT8_MIN, output.zp);
  const hi = n.activation === 'relu6' ? Math.min(INT8_MAX, q6) : INT8_MAX;
  return { name: n.name, inputs: k, units, weights, bias, mult, shift, input, output, lo, hi, activation: n.activation };
}

/** Quantize a lowerable graph (a chain of dense layers, see simplify.ts checkLowerable). */
export function quantize(g: Graph, cal: Calibration): QuantizedModel {
  const ranges = 'samples' in cal ? observedRanges(g, cal.samples) : propagatedRanges(g, cal.inputRange);
  const paramsOf = (t: string): QuantParams => paramsForRange(ranges.get(t) ?? [0, 0]);
  const layers = (g.nodes as Dense[]).map((n) => quantizeDense(n, paramsOf(n.inputs[0]!), paramsOf(n.output)));
  const last = layers[layers.length - 1]!;
  return { name: g.name, inputShape: g.inputs[0]!.shape, outputShape: [last.units], layers, notes: g.notes };
}
