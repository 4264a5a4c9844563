// SPDX-License-Identifier: MIT
/**
 * One TF op of a TF.js graph model → graph IR nodes. Tensors have a batch of 1: TF [1, H, W, C]
 * is the IR map [H, W, C], TF [1, L, C] the map [1, L, C] (Conv1D's ExpandDims/Squeeze then move no
 * data) and TF [1, K] the vector [K]. Constants (Const nodes) are folded into the nodes that read them.
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { TableActivation } from '../ir/activations.js';
import type { Activation, Node, Pads, Tensor } from '../ir/graph.js';
import { samePads } from './padding.js';
import { preluSlopes, tfGraphActivation } from './tfjs-activations.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A GraphDef node as tfjs-converter writes it (AttrValue JSON: int64 as strings, strings base64). */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attr: Json;
  /** GELU or Mish found written out in TF ops (fuse-functions.ts): this node is that activation of its one input */
  readonly table?: TableActivation;
}

/** A runtime tensor: its IR name and shape, and its rank in TF (with the batch). */
export interface Runtime {
  readonly kind: 'tensor';
  readonly name: string;
  readonly shape: readonly number[];
  readonly rank: number;
}
/** What a TF tensor is at import time: a constant, or a runtime tensor of the IR. */
export type Value = { readonly kind: 'const'; readonly tensor: Tensor } | Runtime;

/** The IR shape of a TF shape [1, ...] of rank 2, 3 or 4 (undefined for any other). */
export function irShapeOf(tf: readonly number[]): number[] | undefined {
  if (tf[0] !== 1) return undefined;
  if (tf.length === 4 || tf.length === 2) return tf.slice(1);
  return tf.length === 3 ? [1, tf[1]!, tf[2]!] : undefined;
}

/** The TF shape (batch 1) of a runtime tensor. */
function tfShapeOf(v: Runtime): number[] {
  return v.rank === 3 ? [1, v.shape[1]!, v.shape[2]!] : [1, ...v.shape];
}

export interface OpContext {
  readonly file: string;
  value(input: string): Value;
  /** Add a node to the graph; returns its output (shape inferred) as a TF tensor of rank `rank`. */
  emit(node: Node, rank: number): Runtime;
  /** The emitted node computing `output` when one TF node reads it, else undefined. */
  soleProducer(output: string): Node | undefined;
  /** Remove the emitted node computing `output` (after soleProducer: the caller takes over its work). */
  drop(output: string): void;
}

export const SUPPORTED_TFJS_GRAPH_OPS = [
  'Placeholder', 'Const', 'Identity', 'Conv2D', 'DepthwiseConv2dNative', '_FusedConv2D', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul',
  'BiasAdd', 'Add', 'AddV2', 'Sub', 'Mul', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'Selu', 'Softplus', 'Prelu', 'MaxPool', 'AvgPool', 'Mean', 'Reshape', 'Squeeze', 'Pad', 'ConcatV2', 'Softmax',
  'ResizeNearestNeighbor', 'ExpandDims', 'StridedSlice', 'Conv2DBackpropInput',
] as const;

const FUSED_ACTIVATIONS = ['Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid', 'Prelu'] as const;

class Op {
  readonly site: { file: string; layer: string };
  constructor(readonly n: TfNode, readonly ctx: OpContext) {
    this.site = { file: ctx.file, layer: n.name };
  }
  fail(code: 'NN107' | 'NN110' | 'NN201' | 'NN203', detail: string): NnchipError {
    return new NnchipError(code, detail, this.site);
  }
  private attrValue(key: string): Json | undefined {
    const v = this.n.attr[key];
    return isObj(v) ? v : undefined;
  }
  ints(key: string, fallback?: number[]): number[] {
    const list = this.attrValue(key)?.['list'];
    const raw = isObj(list) ? (list['i'] ?? []) : undefined;
    if (raw === undefined && fallback !== undefined) return fallback;
    const out = Array.isArray(raw) ? raw.map(Number) : [];
    if (!Array.isArray(raw) || out.some((d) => !Number.isInteger(d))) throw this.fail('NN107', `attribute ${key} is not a list of integers`);
    return out;
  }
  /** A string attribute (base64 in the JSON). */
  str(key: string, fallback?: string): string {
    const s = this.attrValue(key)?.['s'];
    if (typeof s !== 'string') {
      if (fallback !== undefined) return fallback;
      throw this.fail('NN107', `attribute ${key} is missing`);
    }
    return Buffer.from(s, 'base64').toString('utf8');
  }
  strs(key: string): string[] {
    const list = this.attrValue(key)?.['list'];
    const raw = isObj(list) ? (list['s'] ?? []) : [];
    return Array.isArray(raw) ? raw.map((s) => Buffer.from(String(s), 'base64').toString('utf8')) : [];
  }
  bool(key: string): boolean {
    return this.attrValue(key)?.['b'] === true;
  }
  input(i: number): Value {
    const name = this.n.inputs[i];
    if (name === undefined) throw this.fail('NN107', `${this.n.op} needs input ${i + 1} but has ${this.n.inputs.length}`);
    return this.ctx.value(name);
  }
  tensor(i: number): Runtime {
    const v = this.input(i);
    if (v.kind !== 'tensor') throw this.fail('NN110', `${this.n.op} of constants only is not supported (input ${i + 1} is a constant)`);
    return v;
  }
  constant(i: number, what: string): Tensor {
    const v = this.input(i);
    if (v.kind !== 'const') throw this.fail('NN110', `${this.n.op} with a computed ${what} is not supported (only a constant ${what})`);
    return v.tensor;
  }
  map(i = 0): { name: string; shape: readonly [number, number, number] } {
    const x = this.tensor(i);
    if (x.rank !== 4) throw this.fail('NN203', `input has shape ${JSON.stringify(tfShapeOf(x))}; ${this.n.op} needs an NHWC feature map`);
    return { name: x.name, shape: x.shape as [number, number, number] };
  }
  /** A runtime tensor's new TF shape: a reshape node, or (IR shape unchanged) the same tensor. */
  reshaped(v: Runtime, tf: readonly number[]): Runtime {
    const shape = irShapeOf(tf);
    if (shape === undefined) throw this.fail('NN110', `the result has shape ${JSON.stringify(tf)}; only a batch of 1 and ranks 2 to 4 are supported`);
    if (JSON.stringify(shape) === JSON.stringify(v.shape)) return { ...v, rank: tf.length };
    return this.ctx.emit({ ...this.base(), op: 'reshape', inputs: [v.name], shape }, tf.length);
  }
  nhwc(): void {
    const f = this.str('data_format', 'NHWC');
    if (f !== 'NHWC') throw this.fail('NN110', `data_format ${f} is not supported (only NHWC)`);
  }
  /** [1, a, b, 1]-style window attributes → [a, b]. */
  window(key: string): [number, number] {
    const v = this.ints(key);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || v[1]! < 1 || v[2]! < 1) throw this.fail('NN110', `${key} ${JSON.stringify(v)} is not supported (only [1, h, w, 1])`);
    return [v[1]!, v[2]!];
  }
  pads(hw: readonly number[], size: readonly number[], strides: readonly number[]): Pads {
    const p = this.str('padding');
    if (p === 'VALID') return [0, 0, 0, 0];
    if (p === 'SAME') return samePads(hw, size, strides);
    if (p === 'EXPLICIT') {
      const e = this.ints('explicit_paddings');
      if (e.length !== 8 || e[0] !== 0 || e[1] !== 0 || e[6] !== 0 || e[7] !== 0 || e.some((d) => d < 0)) throw this.fail('NN110', `explicit_paddings ${JSON.stringify(e)} is not supported (only spatial, non-negative)`);
      return [e[2]!, e[4]!, e[3]!, e[5]!];
    }
    throw this.fail('NN110', `padding ${p} is not supported (supported: VALID, SAME, EXPLICIT)`);
  }
  float(key: string, fallback: number): number {
    const f = this.attrValue(key)?.['f'];
    if (f === undefined || f === null) return fallback;
    // protobuf's JSON may write a float as a string ("0.2"); "NaN" and "Infinity" are no parameter (they became the default)
    const v = typeof f === 'string' && f.trim() !== '' ? Number(f) : f;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail('NN107', `attribute ${key} is ${shownValue(f)}; expected a finite number`);
    return v;
  }
  /** The activation a fused op applies after its BiasAdd (tfjs's fused set; Prelu's slopes are input 3). */
  fused(channels: number): { bias: boolean; activation: Activation } {
    const ops = this.strs('fused_ops');
    const [first, act, ...rest] = ops;
    if (first !== 'BiasAdd' || rest.length > 0) throw this.fail('NN110', `fused_ops ${JSON.stringify(ops)} is not supported (only BiasAdd, then one of ${FUSED_ACTIVATIONS.join(', ')})`);
    if (act === undefined) return { bias: true, activation: 'linear' };
    if (!(FUSED_ACTIVATIONS as readonly string[]).includes(act)) throw this.fail('NN110', `fused activation ${act} is not supported (supported: ${FUSED_ACTIVATIONS.join(', ')})`);
    return { bias: true, activation: this.activation(act, 'leakyrelu_alpha', () => this.preluSlopes(3, channels)) };
  }
  /** A TF activation op (or fused activation) as an IR activation; LeakyRelu's alpha from `alphaKey`. */
  activation(op: string, alphaKey: string, slopes: () => number[]): Activation {
    return tfGraphActivation(op, () => this.float(alphaKey, 0.2), slopes);
  }
  /** Prelu's alpha (input i): one slope per channel. */
  preluSlopes(i: number, channels: number): number[] {
    const alpha = this.constant(i, 'alpha');
    const slopes = preluSlopes(alpha);
    if (typeof slopes === 'string') throw this.fail('NN110', `Prelu: ${slopes}`);
    if (slopes.length !== 1 && slopes.length !== channels) throw this.fail('NN203', `Prelu alpha has ${slopes.length} slopes for ${channels} channels`);
    return slopes.length === channels ? slopes : new Array<number>(channels).fill(slopes[0]!);
  }
  base(): { name: string; output: string } {
    return { name: this.n.name, output: this.n.name };
  }
}

function conv(x: Op, depthwise: boolean, fused: boolean): Value {
  x.nhwc();
  const input = x.map();
  const filter = x.constant(1, 'filter');
  const [kh, kw, cin, mult] = filter.shape;
  if (filter.shape.length !== 4) throw x.fail('NN201', `filter has shape ${JSON.stringify(filter.shape)}; expected [KH, KW, Cin, Cout]`);
  if (depthwise && mult !== 1) throw x.fail('NN110', `depthwise channel multiplier ${mult} is not supported (only 1)`);
  const dil = x.ints('dilations', [1, 1, 1, 1]);
  if (dil.some((d) => d !== 1)) throw x.fail('NN110', `dilations ${JSON.stringify(dil)} are not supported (only 1)`);
  const strides = x.window('strides');
  const pads = x.pads(input.shape, [kh!, kw!], strides);
  const { bias, activation } = fused ? x.fused(depthwise ? cin! : mult!) : { bias: false, activation: 'linear' as const };
  const b = bias ? x.constant(2, 'bias') : null;
  if (cin !== input.shape[2]) throw x.fail('NN203', `filter expects ${cin} input channels but its input has ${input.shape[2]}`);
  return x.ctx.emit({ ...x.base(), op: 'conv2d', inputs: [input.name], kernel: filter, bias: b, strides, pads, depthwise, activation }, 4);
}

/**
 * Conv2DBackpropInput (Keras Conv2DTranspose as tfjs-converter writes it): input 0 the output size
 * [1, H, W, C] (a constant), 1 the filter [KH, KW, Cout, Cin], 2 the map → convTranspose. Padding
 * VALID (the full output, extended at the end), SAME (cropped as TF crops: half before, the odd line
 * after) or EXPLICIT, each giving the declared output size.
 */
function convBackprop(x: Op): Value {
  x.nhwc();
  const sizes = Array.from(x.constant(0, 'output size').data);
  const filter = x.constant(1, 'filter');
  const input = x.map(2);
  const [kh, kw, f, cin] = filter.shape as [number, number, number, number];
  if (filter.shape.length !== 4 || cin !== input.shape[2]) throw x.fail('NN201', `filter has shape ${JSON.stringify(filter.shape)}; expected [KH, KW, Cout, ${input.shape[2]}]`);
  if (sizes.length !== 4 || (sizes[0] !== 1 && sizes[0] !== -1) || sizes[3] !== f) throw x.fail('NN203', `output size ${JSON.stringify(sizes)} is not [1, H, W, ${f}]`);
  const dil = x.ints('dilations', [1, 1, 1, 1]);
  if (dil.some((d) => d !== 1)) throw x.fail('NN110', `dilations ${JSON.stringify(dil)} are not supported (only 1)`);
  const strides = x.window('strides');
  const padding = x.str('padding');
  const explicit = padding === 'EXPLICIT' ? x.pads(input.shape, [kh, kw], strides) : undefined;
  if (padding !== 'VALID' && padding !== 'SAME' && explicit === undefined) throw x.fail('NN110', `padding ${padding} is not supported (supported: VALID, SAME, EXPLICIT)`);
  // per axis: the full output's extent less the declared one, cropped (SAME: half before) or added at the end
  const [top, bottom, left, right] = [0, 1].flatMap((a) => {
    const total = (input.shape[a]! - 1) * strides[a]! + [kh, kw][a]! - sizes[a + 1]!;
    if (explicit !== undefined) return [explicit[a]!, explicit[a + 2]!];
    const head = padding === 'SAME' ? Math.floor(Math.max(0, total) / 2) : 0;
    return [head, Math.max(0, total) - head];
  }) as [number, number, number, number];
  const pads: Pads = [top, left, bottom, right];
  const outputPadding = [0, 1].map((a) => sizes[a + 1]! - ((input.shape[a]! - 1) * strides[a]! + [kh, kw][a]! - pads[a]! - pads[a + 2]!)) as [number, number];
  const data = new Float32Array(filter.data.length);
  for (let t = 0; t < kh * kw; t++) for (let o = 0; o < f; o++) for (let i = 0; i < cin; i++) data[(t * cin + i) * f + o] = filter.data[(t * f + o) * cin + i]!;
  return x.ctx.emit({ ...x.base(), op: 'convTranspose', inputs: [input.name], kernel: { shape: [kh, kw, cin, f], data }, bias: null, strides, pads, outputPadding, activation: 'linear' }, 4);
}

function matmul(x: Op, fused: boolean): Value {
  const a = x.tensor(0);
  const b = x.constant(1, 'weight matrix');
  if (x.bool('transpose_a')) throw x.fail('NN110', 'transpose_a is not supported');
  if (b.shape.length !== 2) throw x.fail('NN201', `weight matrix has shape ${JSON.stringify(b.shape)}; expected [K, N]`);
  let kernel = b;
  if (x.bool('transpose_b')) {
    const [n, k] = b.shape as [number, number];
    const data = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) data[i * n + j] = b.data[j * k + i]!;
    kernel = { shape: [k, n], data };
  }
  const { bias, activation } = fused ? x.fused(kernel.shape[1]!) : { bias: false, activation: 'linear' as const };
  if (a.rank !== 2) throw x.fail('NN110', `MatMul of a rank-${a.rank} tensor is not supported (only [batch, features])`);
  return x.ctx.emit({ ...x.base(), op: 'dense', inputs: [a.name], kernel, bias: bias ? x.constant(2, 'bias') : null, activation }, 2);
}

/** A constant broadcast against [..., C]: a scalar or one value per channel (all other dims 1). */
function perChannel(x: Op, c: Tensor, channels: number): Float32Array {
  const lead = c.shape.slice(0, -1);
  const last = c.shape[c.shape.length - 1] ?? 1;
  if (lead.some((d) => d !== 1) || (last !== 1 && last !== channels)) throw x.fail('NN110', `${x.n.op} by a constant of shape ${JSON.stringify(c.shape)} is not supported (only a scalar or one value per channel)`);
  return last === channels ? Float32Array.from(c.data) : new Float32Array(channels).fill(c.data[0]!);
}

/** x · Sigmoid(x) (Keras swish / SiLU as tfjs-converter writes it) with the Sigmoid read by this Mul only: one silu table activation of x. */
function gatedBySigmoid(x: Op, a: Runtime, b: Runtime): Value | undefined {
  for (const [v, gate] of [[a, b], [b, a]] as const) {
    const p = x.ctx.soleProducer(gate.name);
    if (p?.op !== 'activation' || p.inputs[0] !== v.name || typeof p.fn !== 'object' || !('fn' in p.fn) || p.fn.fn !== 'sigmoid') continue;
    x.ctx.drop(gate.name);
    return x.ctx.emit({ ...x.base(), op: 'activation', inputs: [v.name], fn: { fn: 'silu' } }, v.rank);
  }
  return undefined;
}

/**
 * A map times a per-channel gate computed in the network, [1, H, W, C] · [1, 1, 1, C] or [1, C] in either order
 * (Keras squeeze-excite as tfjs-converter writes its Multiply): the per-channel product channelMul.
 */
function channelProduct(x: Op, a: Runtime, b: Runtime): Value | undefined {
  for (const [m, g] of [[a, b], [b, a]] as const) {
    if (m.shape.length !== 3 || g.shape.at(-1) !== m.shape[2] || g.shape.slice(0, -1).some((d) => d !== 1)) continue;
    return x.ctx.emit({ ...x.base(), op: 'channelMul', inputs: [m.name, g.name] }, m.rank);
  }
  return undefined;
}

/** x·scale + offset per channel, with scale and offset built from the constant operand. */
function affine(x: Op, build: (c: Float32Array, xFirst: boolean) => { scale?: Float32Array; offset?: Float32Array }): Value {
  const [a, b] = [x.input(0), x.input(1)];
  if (a.kind === 'tensor' && b.kind === 'tensor') {
    if (x.n.op === 'Add' || x.n.op === 'AddV2') return x.ctx.emit({ ...x.base(), op: 'add', inputs: [a.name, b.name] }, a.rank);
    const swish = x.n.op === 'Mul' ? (gatedBySigmoid(x, a, b) ?? channelProduct(x, a, b)) : undefined;
    if (swish !== undefined) return swish;
    throw x.fail('NN110', `${x.n.op} of two computed tensors is not supported (only by a constant, or x · Sigmoid(x))`);
  }
  const t = a.kind === 'tensor' ? a : b.kind === 'tensor' ? b : undefined;
  if (t === undefined) throw x.fail('NN110', `${x.n.op} of two constants is not supported`);
  const c = (a.kind === 'const' ? a : (b as Extract<Value, { kind: 'const' }>)).tensor;
  const channels = t.shape[t.shape.length - 1]!;
  const parts = build(perChannel(x, c, channels), a.kind === 'tensor');
  return x.ctx.emit({ ...x.base(), op: 'batchNorm', inputs: [t.name], scale: parts.scale ?? new Float32Array(channels).fill(1), offset: parts.offset ?? new Float32Array(channels) }, t.rank);
}

function pool(x: Op, kind: 'max' | 'avg'): Value {
  x.nhwc();
  const input = x.map();
  const size = x.window('ksize');
  const strides = x.window('strides');
  return x.ctx.emit({ ...x.base(), op: 'pool2d', inputs: [input.name], kind, size, strides, pads: x.pads(input.shape, size, strides) }, 4);
}

/** Mean over H and W of an NHWC map, or over L of an [N, L, C] sequence = global average pooling. */
function mean(x: Op): Value {
  const input = x.tensor(0);
  const axes = Array.from(x.constant(1, 'reduction_indices').data, (a) => (a < 0 ? a + input.rank : a)).sort();
  const spatial = input.rank === 4 ? '1,2' : input.rank === 3 ? '1' : '';
  if (axes.join() !== spatial) throw x.fail('NN110', `Mean over axes ${JSON.stringify(axes)} of a rank-${input.rank} tensor is not supported (only the spatial axes: 1, 2 of a map, 1 of a sequence)`);
  if (!x.bool('keep_dims')) return x.ctx.emit({ ...x.base(), op: 'globalAvgPool', inputs: [input.name] }, 2);
  const gap = x.ctx.emit({ name: `${x.n.name}/mean`, output: `${x.n.name}/mean`, op: 'globalAvgPool', inputs: [input.name] }, 2);
  return x.reshaped(gap, [...(input.rank === 4 ? [1, 1, 1] : [1, 1]), input.shape[2]!]);
}

function reshape(x: Op): Value {
  const input = x.tensor(0);
  const target = Array.from(x.constant(1, 'shape').data);
  const total = input.shape.reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const dims = target.map((d) => (d === -1 ? total / known : d));
  if (target.filter((d) => d === -1).length > 1 || dims.some((d) => !Number.isInteger(d) || d < 1) || dims.reduce((a, b) => a * b, 1) !== total) throw x.fail('NN203', `cannot reshape ${JSON.stringify(tfShapeOf(input))} to ${JSON.stringify(target)}`);
  return x.reshaped(input, dims);
}

function squeeze(x: Op): Value {
  const input = x.tensor(0);
  const full = tfShapeOf(input);
  const listed = x.ints('squeeze_dims', []).map((d) => (d < 0 ? d + full.length : d));
  const drop = listed.length > 0 ? listed : full.map((_, i) => i).filter((i) => i > 0 && full[i] === 1);
  if (drop.some((d) => full[d] !== 1 || d === 0)) throw x.fail('NN203', `cannot squeeze axes ${JSON.stringify(listed)} of ${JSON.stringify(full)}`);
  return x.reshaped(input, full.filter((_, i) => !drop.includes(i)));
}

/** A new axis of size 1 (Conv1D's ExpandDims before its Conv2D). */
function expandDims(x: Op): Value {
  const input = x.tensor(0);
  const full = tfShapeOf(input);
  const raw = x.constant(1, 'axis').data[0]!;
  const axis = raw < 0 ? raw + full.length + 1 : raw;
  if (!Number.isInteger(axis) || axis < 1 || axis > full.length) throw x.fail('NN110', `ExpandDims at axis ${raw} of ${JSON.stringify(full)} is not supported (only after the batch axis)`);
  return x.reshaped(input, [...full.slice(0, axis), 1, ...full.slice(axis)]);
}

function pad(x: Op): Value {
  const input = x.map();
  const p = Array.from(x.constant(1, 'paddings').data);
  if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0 || p.some((d) => d < 0)) throw x.fail('NN110', `paddings ${JSON.stringify(p)} are not supported (only non-negative spatial padding of an NHWC map)`);
  return x.ctx.emit({ ...x.base(), op: 'pad', inputs: [input.name], pads: [p[2]!, p[4]!, p[3]!, p[5]!] }, 4);
}

function concat(x: Op): Value {
  const n = x.n.inputs.length - 1;
  const parts = Array.from({ length: n }, (_, i) => x.tensor(i));
  const rank = parts[0]?.rank ?? 0;
  const axis = x.constant(n, 'axis').data[0]!;
  if (axis !== -1 && axis !== rank - 1) throw x.fail('NN110', `ConcatV2 along axis ${axis} is not supported (only the channel axis, -1)`);
  if (n < 2) throw x.fail('NN107', `ConcatV2 has ${n} input(s); it needs at least two`);
  if (parts.some((p) => p.rank !== rank)) throw x.fail('NN203', 'ConcatV2 of tensors of different ranks');
  return x.ctx.emit({ ...x.base(), op: 'concat', inputs: parts.map((p) => p.name) }, rank);
}

/** Nearest-neighbour resize by whole factors (Keras UpSampling2D): with or without half-pixel centres, output (y, x) reads (⌊y/fy⌋, ⌊x/fx⌋). */
function resizeNearest(x: Op): Value {
  const input = x.map();
  const [oh, ow] = Array.from(x.constant(1, 'size').data);
  const [h, w] = input.shape;
  if (x.bool('align_corners')) throw x.fail('NN110', 'align_corners is not supported (only the default, false)');
  if (oh === undefined || ow === undefined || oh % h !== 0 || ow % w !== 0 || oh < h || ow < w) throw x.fail('NN110', `resizing ${h}×${w} to ${oh}×${ow} is not supported (only by whole factors ≥ 1)`);
  return x.ctx.emit({ ...x.base(), op: 'upsample', inputs: [input.name], factors: [oh / h, ow / w] }, 4);
}

/** StridedSlice that crops H and W of a map (Keras Cropping2D): unit strides, whole batch and channels. */
function stridedSlice(x: Op): Value {
  const input = x.map();
  const full = [1, ...input.shape];
  const [begin, end, strides] = [Array.from(x.constant(1, 'begin').data), Array.from(x.constant(2, 'end').data), Array.from(x.constant(3, 'strides').data)];
  const mask = (key: string): number => Number((x.n.attr[key] as { i?: unknown } | undefined)?.i ?? 0);
  if (mask('ellipsis_mask') || mask('new_axis_mask') || mask('shrink_axis_mask')) throw x.fail('NN110', 'StridedSlice with ellipsis, new-axis or shrink masks is not supported (only crops of H and W)');
  const lo: number[] = [];
  const hi: number[] = [];
  for (let a = 0; a < 4; a++) {
    const n = full[a]!;
    const b = mask('begin_mask') & (1 << a) ? 0 : (begin[a] ?? 0);
    const e = mask('end_mask') & (1 << a) ? n : (end[a] ?? n);
    [lo[a], hi[a]] = [Math.min(n, Math.max(0, b < 0 ? b + n : b)), Math.min(n, Math.max(0, e < 0 ? e + n : e))];
  }
  const whole = (a: number): boolean => lo[a] === 0 && hi[a] === full[a];
  if (strides.length !== 4 || strides.some((s) => s !== 1) || !whole(0) || !whole(3)) throw x.fail('NN110', `StridedSlice [${begin.join()}]:[${end.join()}]:[${strides.join()}] is not supported (only unit-stride crops of H and W)`);
  return x.ctx.emit({ ...x.base(), op: 'crop', inputs: [input.name], crop: [lo[1]!, lo[2]!, full[1]! - hi[1]!, full[2]! - hi[2]!] }, 4);
}

/** The value a TF node produces (Placeholder and Const are handled by the importer). */
export function convertTfNode(n: TfNode, ctx: OpContext): Value {
  const x = new Op(n, ctx);
  const act = (fn: Activation | 'softmax'): Value => ctx.emit({ ...x.base(), op: 'activation', inputs: [x.tensor(0).name], fn }, x.tensor(0).rank);
  const channels = (): number => x.tensor(0).shape.at(-1)!;
  if (n.table !== undefined) return act(n.table);
  switch (n.op) {
    case 'Identity':
      return x.input(0);
    case 'Conv2D':
    case 'DepthwiseConv2dNative':
      return conv(x, n.op !== 'Conv2D', false);
    case '_FusedConv2D':
    case 'FusedDepthwiseConv2dNative':
      return conv(x, n.op !== '_FusedConv2D', true);
    case 'Conv2DBackpropInput':
      return convBackprop(x);
    case 'MatMul':
      return matmul(x, false);
    case '_FusedMatMul':
      return matmul(x, true);
    case 'BiasAdd':
    case 'Add':
    case 'AddV2':
      return affine(x, (c) => ({ offset: c }));
    case 'Sub':
      return affine(x, (c, xFirst) => (xFirst ? { offset: c.map((v) => -v) } : { scale: c.map(() => -1), offset: c }));
    case 'Mul':
      return affine(x, (c) => ({ scale: c }));
    case 'Relu':
    case 'Relu6':
    case 'Sigmoid':
    case 'Tanh':
    case 'LeakyRelu':
    case 'Elu':
    case 'Selu':
    case 'Softplus':
    case 'Prelu':
      return act(x.activation(n.op, 'alpha', () => x.preluSlopes(1, channels())));
    case 'Softmax':
      return act('softmax');
    case 'MaxPool':
      return pool(x, 'max');
    case 'AvgPool':
      return pool(x, 'avg');
    case 'Mean':
      return mean(x);
    case 'Reshape':
      return reshape(x);
    case 'Squeeze':
      return squeeze(x);
    case 'ExpandDims':
      return expandDims(x);
    case 'Pad':
      return pad(x);
    case 'ConcatV2':
      return concat(x);
    case 'ResizeNearestNeighbor':
      return resizeNearest(x);
    case 'StridedSlice':
      return stridedSlice(x);
    default:
      throw x.fail('NN110', `op ${n.op} is not supported`);
  }
}
