// SPDX-License-Identifier: MIT
/**
 * One ONNX node → graph IR nodes. ONNX maps are NCHW; the IR's are [H, W, C], so conv weights
 * are transposed OIHW → [KH, KW, Cin, Cout] and flattening a map is marked channel-major ('chw').
 */
import { NnchipError } from '../diagnostics/error.js';
import type { Node, Pads, Tensor } from '../ir/graph.js';
import type { ErrorSite } from '../diagnostics/error.js';
import type { Attributes } from './onnx-tensors.js';
import { samePads } from './padding.js';

export const SUPPORTED_ONNX_OPS = [
  'Gemm', 'MatMul', 'Conv', 'Relu', 'Clip', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization',
  'Add', 'Concat', 'Flatten', 'Reshape', 'Identity', 'Dropout', 'Softmax', 'Constant',
] as const;

/** What the model walker offers the per-op converters. */
export interface OnnxContext {
  readonly opset: number;
  isConst(name: string): boolean;
  /** A float constant (initializer or Constant output) in ONNX layout; NN110 when computed at run time. */
  floats(name: string, site: ErrorSite, what: string): { dims: number[]; data: Float32Array };
  ints(name: string, site: ErrorSite, what: string): number[];
  /** A weight derived from constant `name` by `transform`, made once: a tensor used twice stays one object. */
  weight(name: string, transform: string, site: ErrorSite, make: (dims: number[], data: Float32Array) => Tensor): Tensor;
  /** The ONNX shape of an activation, batch included (1): [1, C, H, W] or [1, K]. */
  onnxShape(name: string): readonly number[];
  /** Whether the activation is an IR map [H, W, C] (a globally pooled [1, C, 1, 1] is kept as a [C] vector). */
  isMap(name: string): boolean;
  /** The activation as an IR map [H, W, C] (adding a reshape [C] → [1, 1, C] after a global pool). */
  asMap(name: string, site: ErrorSite): string;
  /** Fold a constant per-channel bias into the producer of `x` (dense/conv without bias, single use). */
  foldBias(x: string, bias: Float32Array, output: string): boolean;
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

class Op {
  readonly site: ErrorSite;
  constructor(readonly n: OnnxNode, readonly ctx: OnnxContext) {
    this.site = { layer: n.name };
  }
  fail(detail: string): NnchipError {
    return new NnchipError('NN110', `${this.n.opType}: ${detail}`, { layer: this.n.name });
  }
  input(i: number): string {
    const t = this.n.inputs[i];
    if (t === undefined || t === '') throw new NnchipError('NN107', `${this.n.opType} is missing input ${i}`, { layer: this.n.name });
    return t;
  }
  optional(i: number): string | undefined {
    const t = this.n.inputs[i];
    return t === undefined || t === '' ? undefined : t;
  }
  /** Input i must be an activation (computed from the model input), not a constant. */
  activation(i: number): string {
    const t = this.input(i);
    if (this.ctx.isConst(t)) throw this.fail(`input ${i} "${t}" is a constant; nnchip needs it computed from the model input`);
    return t;
  }
  get out(): string {
    return this.n.outputs[0] ?? '';
  }
  /** Outputs past the first (MaxPool indices, Dropout mask, BatchNormalization statistics) must be unused. */
  onlyFirstOutput(): void {
    if (this.n.outputs.slice(1).some((o) => o !== '')) throw this.fail('only its first output is supported');
  }
  base(inputs: string[]): { name: string; inputs: string[]; output: string } {
    return { name: this.n.name, inputs, output: this.out };
  }
  spatial(key: string, fallback: number): [number, number] {
    const v = this.n.attrs.ints(key) ?? [fallback, fallback];
    if (v.length !== 2) throw this.fail(`${key} ${JSON.stringify(v)} is not supported (2-D only)`);
    return [v[0]!, v[1]!];
  }
  /** Explicit [top, left, bottom, right] pads from pads / auto_pad. */
  pads(x: string, size: readonly number[], strides: readonly number[]): Pads {
    const auto = this.n.attrs.string('auto_pad', 'NOTSET');
    const hw = this.ctx.onnxShape(x).slice(2);
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return samePads(hw, size, strides, auto === 'SAME_LOWER');
    if (auto === 'VALID') return [0, 0, 0, 0];
    if (auto !== 'NOTSET') throw this.fail(`auto_pad ${auto} is not supported`);
    const p = this.n.attrs.ints('pads') ?? [0, 0, 0, 0];
    if (p.length !== 4 || p.some((v) => v < 0)) throw this.fail(`pads ${JSON.stringify(p)} is not supported (2-D, non-negative)`);
    return [p[0]!, p[1]!, p[2]!, p[3]!]; // ONNX [h_begin, w_begin, h_end, w_end] is the IR's order
  }
  noDilation(): void {
    const d = this.n.attrs.ints('dilations');
    if (d !== undefined && d.some((v) => v !== 1)) throw this.fail(`dilations ${JSON.stringify(d)} are not supported (only 1)`);
  }
  /**
   * A per-channel constant: one value (broadcast) or one per channel. With `rank` (the activation's
   * ONNX rank) it is broadcast as ONNX does, so its one non-1 dimension must land on axis 1.
   */
  perChannel(name: string, channels: number, what: string, opts: { scale?: number; rank?: number } = {}): Float32Array {
    const { dims, data } = this.ctx.floats(name, this.site, what);
    const { scale = 1, rank } = opts;
    const big = dims.findIndex((d) => d !== 1);
    const axisOk = rank === undefined ? dims.length === 1 : big < 0 || (dims.slice(big + 1).every((d) => d === 1) && rank - dims.length + big === 1);
    if (data.length !== 1 && (data.length !== channels || !axisOk)) throw this.fail(`${what} has shape ${JSON.stringify(dims)}; expected ${channels} values, one per channel`);
    return Float32Array.from({ length: channels }, (_, i) => (data.length === 1 ? data[0]! : data[i]!) * scale);
  }
}

function gemm(o: Op): Node[] {
  const [x, b, c] = [o.activation(0), o.input(1), o.optional(2)];
  const a = o.n.attrs;
  if (a.int('transA', 0) !== 0) throw o.fail('transA 1 is not supported');
  const [alpha, beta, transB] = [a.float('alpha', 1), a.float('beta', 1), a.int('transB', 0)];
  const kernel = o.ctx.weight(b, `gemm:${transB}:${alpha}`, o.site, (dims, data) => {
    if (dims.length !== 2) throw o.fail(`B has shape ${JSON.stringify(dims)}; expected a matrix`);
    const [k, n] = transB ? [dims[1]!, dims[0]!] : [dims[0]!, dims[1]!];
    const out = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[i * n + j] = alpha * data[transB ? j * k + i : i * n + j]!;
    return { shape: [k, n], data: out };
  });
  const units = kernel.shape[1]!;
  const bias = c === undefined ? null : o.ctx.weight(c, `bias:${units}:${beta}`, o.site, () => ({ shape: [units], data: o.perChannel(c, units, 'C', { scale: beta, rank: 2 }) }));
  return [{ ...o.base([x]), op: 'dense', kernel, bias, activation: 'linear' }];
}

function matmul(o: Op): Node[] {
  const [x, b] = [o.activation(0), o.input(1)];
  if (o.ctx.onnxShape(x).length !== 2) throw o.fail(`input "${x}" has rank ${o.ctx.onnxShape(x).length}; only [batch, features] × constant matrix is supported`);
  const kernel = o.ctx.weight(b, 'matmul', o.site, (dims, data) => {
    if (dims.length !== 2) throw o.fail(`B has shape ${JSON.stringify(dims)}; expected a constant matrix`);
    return { shape: dims, data };
  });
  return [{ ...o.base([x]), op: 'dense', kernel, bias: null, activation: 'linear' }];
}

function conv(o: Op): Node[] {
  const x = o.ctx.asMap(o.activation(0), o.site);
  const w = o.input(1);
  const channels = o.ctx.onnxShape(x)[1]!;
  const group = o.n.attrs.int('group', 1);
  o.noDilation();
  const depthwise = group !== 1;
  const kernel = o.ctx.weight(w, depthwise ? 'conv:depthwise' : 'conv', o.site, (dims, data) => {
    const [co, ci, kh, kw] = dims as [number, number, number, number];
    if (dims.length !== 4) throw o.fail(`W has shape ${JSON.stringify(dims)}; only 2-D convolution is supported`);
    if (depthwise && (group !== channels || co !== channels || ci !== 1)) throw o.fail(`group ${group} with W ${JSON.stringify(dims)} is not supported (only 1, or depthwise: group = channels, one filter each)`);
    const out = new Float32Array(data.length);
    // OIHW → [KH, KW, Cin, Cout]; depthwise [C, 1, KH, KW] → [KH, KW, C, 1]
    for (let a = 0; a < co; a++) for (let b = 0; b < ci; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const src = ((a * ci + b) * kh + i) * kw + j;
      out[depthwise ? (i * kw + j) * co + a : ((i * kw + j) * ci + b) * co + a] = data[src]!;
    }
    return { shape: depthwise ? [kh, kw, co, 1] : [kh, kw, ci, co], data: out };
  });
  const [kh, kw, , co] = kernel.shape as [number, number, number, number];
  const declared = o.n.attrs.ints('kernel_shape');
  if (declared !== undefined && (declared[0] !== kh || declared[1] !== kw)) throw new NnchipError('NN201', `kernel_shape ${JSON.stringify(declared)} disagrees with W`, { layer: o.n.name });
  const strides = o.spatial('strides', 1);
  const outC = depthwise ? channels : co;
  const b = o.optional(2);
  const bias = b === undefined ? null : o.ctx.weight(b, `bias:${outC}:1`, o.site, () => ({ shape: [outC], data: o.perChannel(b, outC, 'B') }));
  return [{ ...o.base([x]), op: 'conv2d', kernel, bias, strides, pads: o.pads(x, [kh, kw], strides), depthwise, activation: 'linear' }];
}

function pool(o: Op, kind: 'max' | 'avg'): Node[] {
  const x = o.ctx.asMap(o.activation(0), o.site);
  o.onlyFirstOutput();
  o.noDilation();
  const a = o.n.attrs;
  if (a.int('ceil_mode', 0) !== 0) throw o.fail('ceil_mode 1 is not supported');
  if (a.int('storage_order', 0) !== 0) throw o.fail('storage_order 1 is not supported');
  const size = o.spatial('kernel_shape', 0);
  const strides = o.spatial('strides', 1);
  const pads = o.pads(x, size, strides);
  if (kind === 'avg' && a.int('count_include_pad', 0) !== 0 && pads.some((p) => p > 0)) throw o.fail('count_include_pad 1 with padding is not supported (padding is never counted)');
  return [{ ...o.base([x]), op: 'pool2d', kind, size, strides, pads }];
}

/** y = (x − mean)·scale/√(var + ε) + B, reduced to per-channel scale and offset. */
function batchNorm(o: Op): Node[] {
  const x = o.activation(0);
  o.onlyFirstOutput();
  if (o.n.attrs.int('training_mode', 0) !== 0) throw o.fail('training_mode 1 is not supported');
  const c = o.ctx.onnxShape(x)[1]!;
  const eps = o.n.attrs.float('epsilon', 1e-5);
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => o.perChannel(o.input(i), c, ['scale', 'B', 'mean', 'var'][i - 1]!));
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = gamma![i]! / Math.sqrt(variance![i]! + eps);
    scale[i] = s;
    offset[i] = beta![i]! - mean![i]! * s;
  }
  return [{ ...o.base([x]), op: 'batchNorm', scale, offset }];
}

/** activation + activation → add; activation + constant → a bias (folded into its producer when possible). */
function add(o: Op): Node[] {
  const [a, b] = [o.input(0), o.input(1)];
  if (o.ctx.isConst(a) && o.ctx.isConst(b)) throw o.fail('both inputs are constants');
  if (!o.ctx.isConst(a) && !o.ctx.isConst(b)) {
    const map = o.ctx.onnxShape(a).length === 4 || o.ctx.onnxShape(b).length === 4;
    return [{ ...o.base(map ? [o.ctx.asMap(a, o.site), o.ctx.asMap(b, o.site)] : [a, b]), op: 'add' }];
  }
  const [x, c] = o.ctx.isConst(a) ? [b, a] : [a, b];
  const channels = o.ctx.onnxShape(x)[1]!;
  const offset = o.perChannel(c, channels, `the constant "${c}"`, { rank: o.ctx.onnxShape(x).length });
  if (o.ctx.foldBias(x, offset, o.out)) return [];
  return [{ ...o.base([x]), op: 'batchNorm', scale: new Float32Array(channels).fill(1), offset }];
}

function concat(o: Op): Node[] {
  const xs = o.n.inputs.map((_, i) => o.activation(i));
  const rank = o.ctx.onnxShape(xs[0]!).length;
  const axis = o.n.attrs.int('axis', 1);
  if (axis !== 1 && axis !== 1 - rank) throw o.fail(`axis ${axis} is not supported (only the channel axis, 1)`);
  return [{ ...o.base(rank === 4 ? xs.map((x) => o.ctx.asMap(x, o.site)) : xs), op: 'concat' }];
}

/** Flatten / Reshape to [1, K]: channel-major over an NCHW map, as ONNX flattens. */
function flattenTo(o: Op, x: string): Node[] {
  return [{ ...o.base([x]), op: 'flatten', ...(o.ctx.isMap(x) ? { order: 'chw' as const } : {}) }];
}

function flatten(o: Op): Node[] {
  const x = o.activation(0);
  const rank = o.ctx.onnxShape(x).length;
  const axis = o.n.attrs.int('axis', 1);
  if (axis !== 1 && axis !== 0 && axis !== 1 - rank) throw o.fail(`axis ${axis} is not supported (only 1: keep the batch)`);
  return flattenTo(o, x);
}

function reshape(o: Op): Node[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  if (o.n.inputs[1] === undefined || !o.ctx.isConst(o.n.inputs[1])) throw o.fail('the target shape is computed at run time (dynamic); only a constant shape (initializer) is supported');
  const target = o.ctx.ints(o.input(1), o.site, 'the target shape');
  const allowZero = o.n.attrs.int('allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (from[i] ?? 0) : d));
  const total = from.reduce((p, d) => p * d, 1);
  const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const out = dims.map((d) => (d === -1 ? total / known : d));
  if (out.some((d) => !Number.isInteger(d) || d < 1) || out.reduce((p, d) => p * d, 1) !== total) throw new NnchipError('NN203', `cannot reshape ${JSON.stringify(from)} to ${JSON.stringify(target)}`, { layer: o.n.name });
  if (out[0] !== 1) throw o.fail(`target ${JSON.stringify(target)} changes the batch dimension`);
  if (out.length === 2) return flattenTo(o, x);
  const [c, h, w] = out.slice(1) as [number, number, number];
  const same = JSON.stringify(out) === JSON.stringify(from);
  if (out.length === 4 && (same || (from.length === 2 && (c === 1 || h * w === 1)))) return [{ ...o.base([x]), op: 'reshape', shape: [h, w, c] }];
  throw o.fail(`reshaping ${JSON.stringify(from)} to ${JSON.stringify(target)} is not supported (only to [N, K], or to [N, C, H, W] from [N, K] with C = 1 or H = W = 1)`);
}

/** Clip(0, 6) → relu6, Clip(0, ∞) → relu; bounds from inputs (opset ≥ 11) or attributes (older). */
function clip(o: Op): Node[] {
  const x = o.activation(0);
  const bound = (i: number, attr: string, fallback: number): number => {
    const t = o.optional(i);
    if (t !== undefined) {
      const v = o.ctx.floats(t, o.site, attr).data;
      if (v.length !== 1) throw o.fail(`${attr} is not a scalar`);
      return v[0]!;
    }
    return o.n.attrs.float(attr, fallback);
  };
  const [lo, hi] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  if (lo !== 0 || (hi !== 6 && hi !== Infinity)) throw o.fail(`Clip(${lo}, ${hi}) is not supported (only min 0 with max 6 or none: ReLU6 / ReLU)`);
  return [{ ...o.base([x]), op: 'activation', fn: hi === 6 ? 'relu6' : 'relu' }];
}

function softmax(o: Op): Node[] {
  const x = o.activation(0);
  const rank = o.ctx.onnxShape(x).length;
  const axis = o.n.attrs.int('axis', o.ctx.opset >= 13 ? -1 : 1);
  if (rank !== 2 || (axis !== 1 && axis !== -1)) throw o.fail(`softmax over axis ${axis} of a rank-${rank} tensor is not supported (only over the features of [N, K])`);
  return [{ ...o.base([x]), op: 'activation', fn: 'softmax' }];
}

/** IR nodes for one ONNX node (Constant is handled by the walker). */
export function onnxNodeToNodes(n: OnnxNode, ctx: OnnxContext): Node[] {
  const o = new Op(n, ctx);
  switch (n.opType) {
    case 'Gemm':
      return gemm(o);
    case 'MatMul':
      return matmul(o);
    case 'Conv':
      return conv(o);
    case 'MaxPool':
      return pool(o, 'max');
    case 'AveragePool':
      return pool(o, 'avg');
    case 'GlobalAveragePool':
      return [{ ...o.base([ctx.asMap(o.activation(0), o.site)]), op: 'globalAvgPool' }];
    case 'BatchNormalization':
      return batchNorm(o);
    case 'Add':
      return add(o);
    case 'Concat':
      return concat(o);
    case 'Flatten':
      return flatten(o);
    case 'Reshape':
      return reshape(o);
    case 'Relu':
      return [{ ...o.base([o.activation(0)]), op: 'activation', fn: 'relu' }];
    case 'Clip':
      return clip(o);
    case 'Softmax':
      return softmax(o);
    case 'Identity':
      return [{ ...o.base([o.activation(0)]), op: 'identity' }];
    case 'Dropout':
      o.onlyFirstOutput();
      return [{ ...o.base([o.activation(0)]), op: 'identity' }];
    default:
      throw new NnchipError('NN110', `op ${n.opType} is not supported (supported: ${SUPPORTED_ONNX_OPS.join(', ')})`, { layer: n.name });
  }
}
