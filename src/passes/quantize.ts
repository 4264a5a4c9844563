// SPDX-License-Identifier: MIT
/**
 * Post-training quantization, part 1: a (scale, zero point) for every tensor of the graph
 * (docs/numerics.md). Weights are quantized per output channel where each op is lowered
 * (passes/gemm.ts), because how an op maps to matmuls decides its weight layout.
 *   tensors  int8 with zero point from the observed range [lo, hi] ∋ 0: x = s·(q − zp)
 */
import { NnchipError } from '../diagnostics/error.js';
import { visitSamples } from '../ir/evaluate.js';
import { product, type Graph, type Node } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';
import { INT8_MAX, INT8_MIN } from '../isa/numerics.js';

export interface QuantParams {
  readonly scale: number;
  readonly zp: number;
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

/**
 * Symmetric int8 parameters (zero point 0) covering [lo, hi]: a tensor that multiplies another one as
 * weights do (the gate of a per-channel product, passes/channel-mul.ts) has the weights' format.
 */
export function symmetricParams([lo, hi]: Range): QuantParams {
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  return { scale: m > 0 && Number.isFinite(m) ? m / INT8_MAX : 1 / INT8_MAX, zp: 0 };
}

/** Seeded uniform draws rangeSamples adds to a declared input range's two ends. */
const RANGE_DRAWS = 64;

/** How many samples the calibration evaluates the float model on (without making a declared range's). */
export function calibrationCount(cal: Calibration): number {
  return 'samples' in cal ? cal.samples.length : RANGE_DRAWS + 2;
}

/**
 * Deterministic stand-in samples for a declared input range: both ends and seeded uniform draws, made
 * one at a time as the evaluation takes them. All 66 at once were 66 copies of the input: a model
 * declaring a 9x1,000,000x3 input (tiny weights, a few KB of file) took 7.9 GB before any check.
 */
function* rangeSamples(size: number, [lo, hi]: Range, count = RANGE_DRAWS): Generator<Float32Array> {
  let seed = 0x9e3779b9;
  yield new Float32Array(size).fill(lo);
  yield new Float32Array(size).fill(hi);
  for (let i = 0; i < count; i++) {
    // one plain loop, the generator inline (Float32Array.from with a map function, an iterator and two
    // calls a value, took 5 s of a 1-megapixel input's 66 samples)
    const sample = new Float32Array(size);
    for (let j = 0; j < size; j++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      sample[j] = lo + (hi - lo) * (seed / 2 ** 32);
    }
    yield sample;
  }
}

/**
 * [lo, hi] widened to the values of v, exactly as the plain scan (`if (x < lo) lo = x; if (x > hi)
 * hi = x` in order) would widen them: Math.min and Math.max have no branch to mispredict (three
 * times faster), and they differ from the scan only on NaN (the scan skips it: then the scan runs)
 * and on the sign of a zero bound (the scan keeps the first zero it meets: then that one is found).
 */
export function extend(v: Float64Array, lo: number, hi: number): [number, number] {
  minMax(v, lo, hi);
  const [min, max] = [extremes[0]!, extremes[1]!];
  if (Number.isNaN(min)) return scan(v, lo, hi);
  return [min === 0 ? firstZero(v, lo) : min, max === 0 ? firstZero(v, hi) : max];
}

/** minMax's result: Math.min and Math.max of the bound and v's values. */
const extremes = new Float64Array(2);

/**
 * The loop alone, in its own function: the rare paths extend takes after it (the first call of
 * firstZero had no type feedback) deoptimized the loop with them, a dozen times per calibration.
 */
function minMax(v: Float64Array, lo: number, hi: number): void {
  // two running pairs, even and odd elements: each Math.min waits for the one before it, so one pair
  // is bound by that chain (1.4 ns a value here, a fifth of a MobileNet's `lower`); two take ~1.0.
  // The same extremes: min and max of a set in any order, NaN and −0 included
  let [min, min2, max, max2] = [lo, lo, hi, hi];
  const even = v.length & ~1;
  for (let i = 0; i < even; i += 2) {
    const x = v[i]!;
    const y = v[i + 1]!;
    min = Math.min(min, x);
    max = Math.max(max, x);
    min2 = Math.min(min2, y);
    max2 = Math.max(max2, y);
  }
  if (even < v.length) {
    min = Math.min(min, v[even]!);
    max = Math.max(max, v[even]!);
  }
  extremes[0] = Math.min(min, min2);
  extremes[1] = Math.max(max, max2);
}

/** The first zero of bound, v[0], v[1], … (the bound the plain scan keeps when the extreme is zero). */
function firstZero(v: Float64Array, bound: number): number {
  if (bound === 0) return bound;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) return v[i]!;
  return bound;
}

/** The plain scan (NaN never widens a bound). */
function scan(v: Float64Array, lo: number, hi: number): [number, number] {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/**
 * A normalization's gate r = 1/√(σ² + ε) per channel (ir/normalize.ts: the rsqrt table in its
 * producer's threshold) times the centred map d. Where a channel of d is 0 in a sample (constant
 * over the map: a dead ReLU channel, a 1×1 map), r is 1/√ε there (316 at torch's ε = 1e-5, 10⁶ at
 * 1e-12) and multiplies nothing; counted in r's range, it set the one per-tensor scale of every
 * channel's r, leaving r ≈ 1/σ of the others a code or none (21% and 52% of the output range off).
 */
interface NormGate {
  /** the centred map d [H, W, C], its channels, and the gate r [C] */
  readonly d: string;
  readonly c: number;
  readonly r: string;
  /** per sample: each channel's max |d| over the map, and r */
  readonly dMax: Float64Array[];
  readonly rs: Float64Array[];
}

function normGates(g: Graph): NormGate[] {
  const producer = new Map(g.nodes.map((n) => [n.output, n]));
  const muls = g.nodes.filter((n) => {
    const p = n.op === 'channelMul' ? producer.get(n.inputs[1]!) : undefined;
    const act = p !== undefined && 'activation' in p ? p.activation : undefined;
    return typeof act === 'object' && 'fn' in act && act.fn === 'rsqrt';
  });
  if (muls.length === 0) return [];
  const shapes = checkGraph(g);
  return muls.map((n) => ({ d: n.inputs[0]!, c: shapes.get(n.inputs[0]!)!.at(-1)!, r: n.inputs[1]!, dMax: [], rs: [] }));
}

/** Each channel's max |v| over the pixels of a map (channels innermost). */
function channelMaxAbs(v: Float64Array, c: number): Float64Array {
  const m = new Float64Array(c);
  for (let i = 0; i < v.length; i++) m[i % c] = Math.max(m[i % c]!, Math.abs(v[i]!));
  return m;
}

/**
 * r's range over the (sample, channel) pairs where d reaches half a step of its scale (a code
 * other than its zero point's); none: r's whole range (every product is 0, as on a 1×1 map).
 */
function gateRange(gate: NormGate, dScale: number, whole: Range): Range {
  let [lo, hi] = [Infinity, -Infinity];
  gate.rs.forEach((r, s) => r.forEach((v, ch) => {
    if (gate.dMax[s]![ch]! >= dScale / 2) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }));
  return lo <= hi ? [lo, hi] : whole;
}

/** Observed [min, max] of every tensor over the samples; each NormGate's d and r per sample. */
function observedRanges(g: Graph, samples: Iterable<ArrayLike<number>>, gates: readonly NormGate[]): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  visitSamples(g, samples, (name, v) => {
    const r = ranges.get(name) ?? [Infinity, -Infinity];
    ranges.set(name, extend(v, r[0], r[1]));
    for (const gate of gates) {
      if (name === gate.r) gate.rs.push(v.slice());
      if (name === gate.d) gate.dMax.push(channelMaxAbs(v, gate.c));
    }
  });
  return ranges;
}

/** A tensor the calibration collapsed: all its calibrated values lie within one int8 step. */
export interface CollapsedTensor {
  /** The layer (node) that computes it, or the graph input's name. */
  readonly layer: string;
  readonly isInput: boolean;
  readonly range: Range;
}

const isView = (op: string): boolean => op === 'flatten' || op === 'reshape' || op === 'identity';

/** Ops whose output shares its input's parameters (views, copies, max pooling): exact only so. */
const keepsParams = (n: Node): boolean => isView(n.op) || n.op === 'pad' || n.op === 'upsample' || n.op === 'crop' || (n.op === 'pool2d' && n.kind === 'max');

/**
 * The tensors whose parameters are symmetric: each per-channel product's gate, followed back
 * through the ops that keep their input's parameters to the one that sets them (or the input).
 */
function gateTensors(g: Graph): Set<string> {
  const producer = new Map(g.nodes.map((n) => [n.output, n]));
  const gates = new Set<string>();
  for (const n of g.nodes) {
    if (n.op !== 'channelMul') continue;
    let t = n.inputs[1]!;
    for (let p = producer.get(t); p !== undefined && keepsParams(p); p = producer.get(t)) t = p.inputs[0]!;
    gates.add(t);
  }
  return gates;
}

/**
 * Collapsed when its observed width is under one step of its own scale: every calibration sample
 * then gives it one code, and whatever follows cannot depend on the input (all-zero calibration
 * data, --input-range 0,1e-300). Views are skipped: they repeat their input's range.
 */
function collapsed(g: Graph, ranges: Map<string, [number, number]>, params: Map<string, QuantParams>): CollapsedTensor[] {
  const input = g.inputs[0]!;
  const tensors = [{ layer: input.name, tensor: input.name, isInput: true }, ...g.nodes.filter((n) => !isView(n.op)).map((n) => ({ layer: n.name, tensor: n.output, isInput: false }))];
  return tensors.flatMap(({ layer, tensor, isInput }) => {
    const [lo, hi] = ranges.get(tensor) ?? [0, 0];
    const scale = params.get(tensor)?.scale ?? 0;
    return hi - lo < scale ? [{ layer, isInput, range: [lo, hi] as const }] : [];
  });
}

/**
 * A tensor whose calibration reaches ±Infinity (1/0, log(0) or exp overflow on a sample), or gives
 * only NaN, has no int8 scale: said here, at its layer, instead of as a table of too many steps or a
 * rescale factor that cannot be represented further on.
 */
function checkFinite(g: Graph, ranges: ReadonlyMap<string, readonly [number, number]>): void {
  // the input's own samples are checked where they are read (a file's NaN or Infinity is refused there)
  for (const n of g.nodes) {
    const [tensor, layer] = [n.output, n.name];
    const r = ranges.get(tensor);
    if (r === undefined || (Number.isFinite(Math.fround(r[0])) && Number.isFinite(Math.fround(r[1])))) continue;
    // finite here (evaluated in float64) but past float32: the float model overflows to Infinity; its int8 program gave numbers
    const past = Number.isFinite(Math.fround(r[0])) ? r[1] : r[0];
    if (Number.isFinite(past)) {
      throw new NnchipError('NN304', `calibration gives this tensor the value ${past.toPrecision(3)}, past ±3.4e38, the largest float32: the float model overflows to Infinity here`, {
        layer,
        hint: 'weights or inputs too large for float32 (TF.js and ONNX Runtime compute in it); rescale the model or calibrate on the inputs it really takes',
      });
    }
    const what = r[0] > r[1] ? 'no number (NaN on every sample)' : `the value ${Number.isFinite(r[0]) ? r[1] : r[0]}`;
    throw new NnchipError('NN304', `calibration gives this tensor ${what}: int8 has no scale for it`, {
      layer,
      hint: 'a division by zero, log(0) or an overflowing exp on the calibration samples; keep the model finite there (add an ε) or calibrate on other data',
    });
  }
}

/** The calibration samples: the real ones, or stand-ins for a declared input range. */
export function calibrationSamples(g: Graph, cal: Calibration): Iterable<ArrayLike<number>> {
  return 'samples' in cal ? cal.samples : rangeSamples(product(g.inputs[0]!.shape), cal.inputRange);
}

/** The calibrated [min, max] of the named tensors alone (the operands of ir/product.ts's products, whose ranges balance them). */
export function rangesOf(g: Graph, cal: Calibration, names: ReadonlySet<string>): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  visitSamples(g, calibrationSamples(g, cal), (name, v) => {
    if (!names.has(name)) return;
    const r = ranges.get(name) ?? [Infinity, -Infinity];
    ranges.set(name, extend(v, r[0], r[1]));
  });
  return ranges;
}

/** Parameters of every tensor, and the tensors whose calibrated range collapsed (first ones first). */
export interface Calibrated {
  readonly params: Map<string, QuantParams>;
  readonly collapsed: readonly CollapsedTensor[];
}

/**
 * Parameters of every tensor. Views (flatten, reshape, identity), copies (zero padding, upsample,
 * crop) and max pooling keep their input's parameters: these are exact only when input and output share them.
 */
export function calibrate(g: Graph, cal: Calibration): Calibrated {
  const input = g.inputs[0]!;
  const samples = calibrationSamples(g, cal);
  const norms = normGates(g);
  const ranges = observedRanges(g, samples, norms);
  checkFinite(g, ranges);
  const params = new Map<string, QuantParams>();
  const gates = gateTensors(g);
  const rangeOf = (t: string): Range => {
    const seen = ranges.get(t) ?? [0, 0];
    const hint = g.rangeHints?.get(t);
    const [lo, hi] = hint?.within === undefined ? seen : [Math.max(seen[0], hint.within[0]), Math.min(seen[1], hint.within[1])];
    const narrowed: Range = [Math.min(lo, hi), hi];
    const whole: Range = hint?.reach === undefined ? narrowed : [Math.min(narrowed[0], hint.reach[0]), Math.max(narrowed[1], hint.reach[1])];
    const norm = norms.find((n) => n.r === t);
    return norm === undefined ? whole : gateRange(norm, (params.get(norm.d) ?? paramsForRange(ranges.get(norm.d) ?? [0, 0])).scale, whole);
  };
  const paramsOf = (t: string): QuantParams => (gates.has(t) ? symmetricParams : paramsForRange)(rangeOf(t));
  params.set(input.name, paramsOf(input.name));
  for (const n of g.nodes) {
    const p = keepsParams(n) ? params.get(n.inputs[0]!) : undefined;
    params.set(n.output, p ?? paramsOf(n.output));
  }
  return { params, collapsed: collapsed(g, ranges, params) };
}

export function tensorParams(g: Graph, cal: Calibration): Map<string, QuantParams> {
  return calibrate(g, cal).params;
}
