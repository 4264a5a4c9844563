// SPDX-License-Identifier: MIT
/**
 * One TF op of a TF.js graph model → graph IR nodes. Tensors have a batch of 1: TF [1, H, W, C]
 * is the IR map [H, W, C], TF [1, L, C] the map [1, L, C] (Conv1D's ExpandDims/Squeeze then move no
 * data) and TF [1, K] the vector [K]. Constants (Const nodes) are folded into the nodes that read them.
 */
import type { Activation, Pads, Tensor } from '../ir/graph.js';
import { broadcastNodes, broadcastsOver } from '../ir/broadcast.js';
import { channelSpread, valueSpread } from '../ir/product.js';
import { extremumNodes, scaledNode, sumNodes } from '../ir/merge.js';
import { lrnNodes } from '../ir/normalize.js';
import { multiplied, transposedFilter } from './tfjs-kernels.js';
import { castConstant, foldConstants, gatherConstant, pack, shapeOf, sliceConstant } from './tfjs-graph-consts.js';
import { batchToSpace, concat, depthToSpace, expandDims, gatherV2, pad, reduce, reshape, resize, slice, spaceToBatch, splitPart, squeeze, stridedSlice, transpose, unpackBatch } from './tfjs-graph-layout.js';
import { Op, tfShapeOf, typeAttr, type OpContext, type Runtime, type TfNode, type Value } from './tfjs-graph-op.js';
import { shownValue } from '../diagnostics/error.js';
import { TF_ONLY_FUSED } from './tfjs-graph-fuse.js';

export { irShapeOf, type OpContext, type Runtime, type TfNode, type Value } from './tfjs-graph-op.js';

export const SUPPORTED_TFJS_GRAPH_OPS = [
  'Placeholder', 'Const', 'Identity', 'Conv2D', 'DepthwiseConv2dNative', '_FusedConv2D', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul',
  'BiasAdd', 'Add', 'AddV2', 'AddN', 'Sub', 'Mul', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'Selu', 'Softplus', 'Prelu', 'MaxPool', 'AvgPool', 'Mean', 'Reshape', 'Squeeze', 'Pad', 'ConcatV2', 'Softmax',
  'ResizeNearestNeighbor', 'ExpandDims', 'StridedSlice', 'Conv2DBackpropInput',
  'Max', 'FusedBatchNorm', 'FusedBatchNormV3', 'Maximum', 'Minimum', 'ClipByValue', 'ResizeBilinear', 'SpaceToBatchND', 'BatchToSpaceND', 'NoOp',
  'Shape', 'Pack', 'DepthToSpace', 'Abs', 'LRN', 'RealDiv', 'Div', 'Neg', 'Split', 'SplitV', 'Sum', ...TF_ONLY_FUSED, 'Softsign', 'Slice', 'GatherV2', 'Transpose', 'Cast', 'Unpack',
] as const;

function conv(x: Op, depthwise: boolean, fused: boolean): Value {
  x.nhwc();
  const input = x.map(0, 'input');
  const filter = x.constant(1, 'filter');
  const [kh, kw, cin, mult] = filter.shape as [number, number, number, number];
  if (filter.shape.length !== 4) throw x.fail('NN201', `filter has shape ${shownValue(filter.shape)}; expected [KH, KW, Cin, Cout]`);
  const dil = x.ints('dilations', [1, 1, 1, 1]);
  if (dil.length !== 4 || dil[0] !== 1 || dil[3] !== 1 || dil.some((d) => d < 1)) throw x.fail('NN110', `dilations ${shownValue(dil)} are not supported (only [1, h, w, 1])`);
  // the phases of a SpaceToBatchND: a VALID stride-1 convolution of them is one dilated by its block
  if (input.spaced !== undefined && (dil.some((v) => v !== 1) || x.str('padding') !== 'VALID' || x.window('strides').join() !== '1,1')) throw x.fail('NN110', 'a convolution of SpaceToBatchND phases is supported only with VALID padding, stride 1 and dilations 1');
  const d: [number, number] = input.spaced !== undefined ? [...input.spaced.block] : [dil[1]!, dil[2]!];
  const strides = x.window('strides');
  // SAME pads the window the dilated kernel spans, as TF does
  const pads = x.pads(input.shape, [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1], strides);
  const { bias, activation } = fused ? x.fused(depthwise ? cin * mult : mult) : { bias: false, activation: 'linear' as const };
  const b = bias ? x.constant(2, 'bias') : null;
  if (cin !== input.shape[2]) throw x.fail('NN203', `filter expects ${cin} input channels but its input has ${input.shape[2]}`);
  // a depthwise channel multiplier m > 1: output c·m + j of input c, as a full kernel
  const [kernel, isDepthwise] = depthwise && mult !== 1 ? [multiplied(filter), false] : [filter, depthwise];
  const dilations = d[0] !== 1 || d[1] !== 1 ? { dilations: d } : {};
  const out = x.ctx.emit({ ...x.base(), op: 'conv2d', inputs: [input.name], kernel, bias: b, strides, pads, depthwise: isDepthwise, activation, ...dilations }, 4);
  return input.spaced === undefined ? out : { ...out, spaced: { block: input.spaced.block, stage: 'output' } };
}

/** FusedBatchNorm(V3) at inference (is_training false): (x − mean)·scale/√(variance + ε) + offset per channel. */
function fusedBatchNorm(x: Op): Value {
  x.nhwc();
  const input = x.tensor(0);
  if (x.bool('is_training')) throw x.fail('NN110', 'is_training true is not supported (only inference: the moving mean and variance)');
  const c = input.shape.at(-1)!;
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => x.constant(i, ['scale', 'offset', 'mean', 'variance'][i - 1]!).data);
  if ([scale, offset, mean, variance].some((t) => t!.length !== c)) throw x.fail('NN201', `scale, offset, mean and variance need ${c} values each (one per channel)`);
  const eps = x.float('epsilon', 0.0001);
  const negative = variance!.findIndex((v) => !(v + eps > 0));
  if (negative >= 0) throw x.fail('NN107', `variance ${variance![negative]} + epsilon ${eps} of channel ${negative} is not positive (its square root divides)`);
  const s = Float32Array.from({ length: c }, (_, i) => scale![i]! / Math.sqrt(variance![i]! + eps));
  return x.ctx.emit({ ...x.base(), op: 'batchNorm', inputs: [input.name], scale: s, offset: s.map((v, i) => offset![i]! - mean![i]! * v) }, input.rank);
}

/** Maximum / Minimum of a tensor and a constant scalar, ClipByValue by two: the threshold unit's clamp. */
function clamp(x: Op): Value {
  if (x.n.op !== 'ClipByValue' && x.input(0).kind === 'tensor' && x.input(1).kind === 'tensor') return extremum(x, x.tensor(0), x.tensor(1));
  const scalar = (i: number): number => {
    const t = x.constant(i, 'bound');
    if (t.data.length !== 1 || !Number.isFinite(t.data[0])) throw x.fail('NN110', `${x.n.op} by a constant of shape ${shownValue(t.shape)} is not supported (only one finite number)`);
    return t.data[0]!;
  };
  const first = x.input(0).kind === 'const' && x.n.op !== 'ClipByValue';
  const t = x.tensor(first ? 1 : 0);
  const k = x.n.op === 'ClipByValue' ? 0 : scalar(first ? 0 : 1);
  const bounds: [number, number] = x.n.op === 'ClipByValue' ? [scalar(1), scalar(2)] : x.n.op === 'Maximum' ? [k, Infinity] : [-Infinity, k];
  if (!(bounds[0] < bounds[1])) throw x.fail('NN110', `ClipByValue to [${bounds.join(', ')}] is not supported (only min < max)`);
  const fn = bounds[0] === 0 && bounds[1] === Infinity ? 'relu' : bounds[0] === 0 && bounds[1] === 6 ? 'relu6' : { clip: bounds };
  return x.ctx.emit({ ...x.base(), op: 'activation', inputs: [t.name], fn }, t.rank);
}

/** Maximum / Minimum of two computed tensors of one shape: max(a, b) = a + relu(b − a), min(a, b) = a − relu(a − b), exact (as ONNX Max / Min). */
function extremum(x: Op, a: Runtime, b: Runtime): Value {
  if (JSON.stringify(a.shape) !== JSON.stringify(b.shape) || a.rank !== b.rank) throw x.fail('NN110', `${x.n.op} of tensors of shapes ${shownValue(tfShapeOf(a))} and ${shownValue(tfShapeOf(b))} is not supported (only of one shape, or with a constant bound)`);
  return extremumNodes(x.n.name, a.name, b.name, a.shape.at(-1)!, x.n.op === 'Maximum', x.base()).map((n) => x.ctx.emit(n, a.rank)).at(-1)!;
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
  if (filter.shape.length !== 4 || cin !== input.shape[2]) throw x.fail('NN201', `filter has shape ${shownValue(filter.shape)}; expected [KH, KW, Cout, ${input.shape[2]}]`);
  if (sizes.length !== 4 || (sizes[0] !== 1 && sizes[0] !== -1) || sizes[3] !== f) throw x.fail('NN203', `output size ${shownValue(sizes)} is not [1, H, W, ${f}]`);
  const dil = x.ints('dilations', [1, 1, 1, 1]);
  if (dil.some((d) => d !== 1)) throw x.fail('NN110', `dilations ${shownValue(dil)} are not supported (only 1)`);
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
  return x.ctx.emit({ ...x.base(), op: 'convTranspose', inputs: [input.name], kernel: transposedFilter(filter), bias: null, strides, pads, outputPadding, activation: 'linear' }, 4);
}

function matmul(x: Op, fused: boolean): Value {
  const a = x.tensor(0);
  const b = x.constant(1, 'weight matrix');
  if (x.bool('transpose_a')) throw x.fail('NN110', 'transpose_a is not supported');
  if (b.shape.length !== 2) throw x.fail('NN201', `weight matrix has shape ${shownValue(b.shape)}; expected [K, N]`);
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
  if (lead.some((d) => d !== 1) || (last !== 1 && last !== channels)) throw x.fail('NN110', `${x.n.op} by a constant of shape ${shownValue(c.shape)} is not supported (only a scalar or one value per channel)`);
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
 * x · Relu6(x + 3) · k, k a constant (often 1/6) or absent: hard swish as tfjs-converter writes it (MediaPipe's selfie
 * and meet models: Mul(Mul(1/6, x), Relu6(AddV2(x, 3)))), every node but x read by this product only: the hardswish
 * table activation of x (x · relu6(x + 3) / 6), then a scale of 6k unless 6k is 1.
 */
function hardSwish(x: Op, a: Runtime, b: Runtime): Value | undefined {
  const all = (v: Float32Array, want: number): boolean => v.every((e) => Math.abs(e - want) <= 1e-6 * Math.max(1, Math.abs(want)));
  for (const [m, r] of [[a, b], [b, a]] as const) {
    const relu6 = x.ctx.soleProducer(r.name);
    if (relu6?.op !== 'activation' || relu6.fn !== 'relu6') continue;
    const shift = x.ctx.soleProducer(relu6.inputs[0]!);
    if (shift?.op !== 'batchNorm' || !all(shift.scale, 1) || !all(shift.offset, 3)) continue;
    const input = shift.inputs[0]!;
    const scaled = m.name === input ? undefined : x.ctx.soleProducer(m.name);
    const k = m.name === input ? 1 : scaled?.op === 'batchNorm' && scaled.inputs[0] === input && all(scaled.offset, 0) && all(scaled.scale, scaled.scale[0]!) ? scaled.scale[0]! : undefined;
    if (k === undefined) continue;
    for (const dropped of [r.name, shift.output, ...(scaled === undefined ? [] : [m.name])]) x.ctx.drop(dropped);
    const c = m.shape.at(-1)!;
    if (Math.abs(6 * k - 1) <= 1e-6) return x.ctx.emit({ ...x.base(), op: 'activation', inputs: [input], fn: { fn: 'hardswish' } }, m.rank);
    const hs = x.ctx.emit({ name: `${x.n.name}/hardswish`, output: `${x.n.name}/hardswish`, op: 'activation', inputs: [input], fn: { fn: 'hardswish' } }, m.rank);
    return x.ctx.emit({ ...x.base(), op: 'batchNorm', inputs: [hs.name], scale: new Float32Array(c).fill(6 * k), offset: new Float32Array(c) }, m.rank);
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

/**
 * The element-wise product of two computed tensors of one shape, or of a map [1, H, W, C] and a one-channel
 * map [1, H, W, 1] in either order (a spatial gate, first repeated over the channels): IR `mul`, quarter squares (ir/product.ts).
 */
function mapProduct(x: Op, a: Runtime, b: Runtime): Value | undefined {
  if (JSON.stringify(a.shape) === JSON.stringify(b.shape) && a.rank === b.rank) return x.ctx.emit({ ...x.base(), op: 'mul', inputs: [a.name, b.name] }, a.rank);
  for (const [m, g] of [[a, b], [b, a]] as const) {
    if (m.shape.length !== 3 || g.shape.length !== 3 || g.shape[2] !== 1 || g.shape[0] !== m.shape[0] || g.shape[1] !== m.shape[1]) continue;
    const spread = x.ctx.emit(channelSpread(g.name, m.shape[2]!, `${x.n.name}/spread`), m.rank);
    return x.ctx.emit({ ...x.base(), op: 'mul', inputs: [m.name, spread.name] }, m.rank);
  }
  return undefined;
}

/**
 * `op` (add, mul) of a vector [1, K] and one value of it [1, 1], in either order (tf.math.l2_normalize's x · rsqrt(Σ x²),
 * x − the mean of its features), the second operand first negated for a Sub: both as one-pixel maps, the value repeated
 * over the K channels (a 1×1 conv of ones), the maps' op, a vector again. Undefined for other shapes.
 */
function vectorAndValue(x: Op, a: Runtime, b: Runtime, op: 'add' | 'mul', negateSecond = false): Value | undefined {
  if (a.rank !== 2 || b.rank !== 2 || a.shape.length !== 1 || b.shape.length !== 1 || (a.shape[0] === 1) === (b.shape[0] === 1)) return undefined;
  const t = (s: string): string => `${x.n.name}/${s}`;
  const second = negateSecond ? x.ctx.emit({ name: t('neg'), output: t('neg'), op: 'batchNorm', inputs: [b.name], scale: new Float32Array(b.shape[0]!).fill(-1), offset: new Float32Array(b.shape[0]!) }, 2) : b;
  const [vector, value] = a.shape[0] === 1 ? [second, a] : [a, second];
  const k = vector.shape[0]!;
  const spread = valueSpread(value.name, k, x.n.name).map((n) => x.ctx.emit(n, 4)).at(-1)!;
  // a product: the value a gate of every feature (channelMul: ir/product.ts valueSpread)
  if (op === 'mul') return x.ctx.emit({ ...x.base(), op: 'channelMul', inputs: [vector.name, spread.name] }, 2);
  const pixel = x.reshaped(vector, [1, 1, 1, k], t('pixel'));
  const map = x.ctx.emit({ name: t('map'), output: t('map'), op, inputs: a.shape[0] === 1 ? [spread.name, pixel.name] : [pixel.name, spread.name] }, 4);
  return x.reshaped(map, [1, k]);
}

/**
 * a + b or a − b of two computed tensors: of one shape, a map and a per-channel vector of its channels
 * ([1, 1, 1, C] or [1, C], either order), which TF broadcasts: repeated over the map (ir/broadcast.ts), or a vector
 * and one value of it (vectorAndValue).
 */
function sum(x: Op, a: Runtime, b: Runtime): Value {
  const vv = vectorAndValue(x, a, b, 'add', x.n.op === 'Sub');
  if (vv !== undefined) return vv;
  let [ia, ib] = [a.name, b.name];
  const big = broadcastsOver(b.shape, a.shape) ? a : broadcastsOver(a.shape, b.shape) ? b : undefined;
  if (big !== undefined) {
    const small = big === a ? b : a;
    const spread = broadcastNodes(small.name, small.shape, big.shape, `${x.n.name}/broadcast`);
    for (const n of spread.nodes) x.ctx.emit(n, 4);
    [ia, ib] = big === a ? [a.name, spread.output] : [spread.output, b.name];
  }
  const rank = big?.rank ?? a.rank;
  if (x.n.op !== 'Sub') return x.ctx.emit({ ...x.base(), op: 'add', inputs: [ia, ib] }, rank);
  const c = (big ?? a).shape.at(-1)!;
  const neg = x.ctx.emit({ name: `${x.n.name}/neg`, output: `${x.n.name}/neg`, op: 'batchNorm', inputs: [ib], scale: new Float32Array(c).fill(-1), offset: new Float32Array(c) }, rank);
  return x.ctx.emit({ ...x.base(), op: 'add', inputs: [ia, neg.name] }, rank);
}

/**
 * Abs of a computed tensor: |x| = x + relu(−2x), exact (as ONNX Abs). TF-slim's PReLU is written with it, relu(x) + α · (x − |x|) · 0.5
 * (MobileFaceNet): the rest is Sub, Mul by a constant and AddV2.
 */
function abs(x: Op): Value {
  const t = x.tensor(0);
  const c = t.shape.at(-1)!;
  const twice = x.ctx.emit({ name: `${x.n.name}/neg2`, output: `${x.n.name}/neg2`, op: 'batchNorm', inputs: [t.name], scale: new Float32Array(c).fill(-2), offset: new Float32Array(c) }, t.rank);
  const relu = x.ctx.emit({ name: `${x.n.name}/relu`, output: `${x.n.name}/relu`, op: 'activation', inputs: [twice.name], fn: 'relu' }, t.rank);
  return x.ctx.emit({ ...x.base(), op: 'add', inputs: [t.name, relu.name] }, t.rank);
}

/**
 * Cast to float32 (or float64) of a computed tensor: of the model's input, whatever its type (an int32 or uint8 image
 * input, MoveNet's: nnchip reads the samples as numbers, exact up to 2^24), or of a float tensor, an identity; a Cast
 * of a comparison's bool inside a function of one tensor is taken there (fuse-elementwise.ts). Any other is refused.
 */
function cast(x: Op): Value {
  const input = x.input(0);
  if (input.kind === 'const') return castConstant(x, input.tensor);
  const [src, dst] = [typeAttr(x.n, 'SrcT'), typeAttr(x.n, 'DstT')];
  if (dst !== 'DT_FLOAT' && dst !== 'DT_DOUBLE') throw x.fail('NN110', `Cast of a computed tensor to ${dst || 'an unnamed type'} is not supported (only to float32: the machine's tensors are real numbers)`);
  if (src === 'DT_FLOAT' || src === 'DT_DOUBLE' || src === 'DT_HALF' || src === 'DT_BFLOAT16' || x.ctx.isInput(input.name)) return input;
  throw x.fail('NN110', `Cast of a computed ${src || 'tensor of an unnamed type'} to float32 is not supported (only of the model's input, or of a float tensor)`);
}

/** LRN (tf.nn.local_response_normalization): x / (bias + alpha · Σ x²)^beta over channels c − r … c + r (ir/normalize.ts lrnNodes). */
function lrn(x: Op): Value {
  x.nhwc();
  const t = x.map(0);
  const r = x.int('depth_radius', 5);
  const [bias, alpha, beta] = [x.float('bias', 1), x.float('alpha', 1), x.float('beta', 0.5)];
  if (!(r >= 0) || !(bias > 0) || !Number.isFinite(alpha) || !Number.isFinite(beta)) throw x.fail('NN110', `depth_radius ${r}, bias ${bias}, alpha ${alpha}, beta ${beta}: supported are a radius ≥ 0, a positive bias and finite alpha and beta`);
  const [square, scale, product] = lrnNodes(x.n.name, t.name, x.n.name, t.shape[2]!, { before: r, after: r, alpha, bias, beta });
  x.ctx.emit(square!, 4);
  x.ctx.emit(scale!, 4);
  return x.ctx.emit({ ...product!, ...x.base() }, 4);
}

/** AddN (tf.add_n: a residual block's branches summed, as MediaPipe's models hold it) of computed tensors of one shape: a chain of adds. */
function addN(x: Op): Value {
  const parts = x.n.inputs.map((_, i) => x.tensor(i));
  if (parts.length === 0) throw x.fail('NN107', 'AddN has no inputs');
  const first = parts[0]!;
  if (parts.some((p) => p.rank !== first.rank || p.shape.join() !== first.shape.join())) throw x.fail('NN203', `AddN of tensors of different shapes (${parts.map((p) => JSON.stringify(tfShapeOf(p))).join(', ')})`);
  if (parts.length === 1) return first;
  return sumNodes(x.n.name, parts.map((p) => p.name), x.base()).map((n) => x.ctx.emit(n, first.rank)).at(-1)!;
}

/** x·scale + offset per channel, with scale and offset built from the constant operand. */
function affine(x: Op, build: (c: Float32Array, xFirst: boolean) => { scale?: Float32Array; offset?: Float32Array }): Value {
  const [a, b] = [x.input(0), x.input(1)];
  if (a.kind === 'tensor' && b.kind === 'tensor') {
    if (x.n.op === 'Add' || x.n.op === 'AddV2' || x.n.op === 'Sub') return sum(x, a, b);
    const product = x.n.op === 'Mul' ? (gatedBySigmoid(x, a, b) ?? hardSwish(x, a, b) ?? channelProduct(x, a, b) ?? mapProduct(x, a, b) ?? vectorAndValue(x, a, b, 'mul')) : undefined;
    if (product !== undefined) return product;
    if (x.n.op !== 'Mul') throw x.fail('NN110', `${x.n.op} of two computed tensors is not supported (only by a constant)`);
    throw x.fail('NN110', `Mul of tensors of shapes ${shownValue([1, ...a.shape])} and ${shownValue([1, ...b.shape])} is not supported (only of one shape, by a constant, by a per-channel gate [1, 1, 1, C], by a one-channel map [1, H, W, 1], or of a vector [1, K] by one value of it [1, 1])`);
  }
  // of two constants: shape arithmetic (a Conv2DTranspose's output size from Shape), folded
  if (a.kind === 'const' && b.kind === 'const') return foldConstants(x, a.tensor, b.tensor);
  const t = (a.kind === 'tensor' ? a : b) as Runtime;
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

/** The value a TF node produces (Placeholder and Const are handled by the importer). */
export function convertTfNode(n: TfNode, ctx: OpContext): Value {
  const x = new Op(n, ctx);
  const value = convertOp(x);
  x.checkEveryInputRead();
  return value;
}

function convertOp(x: Op): Value {
  const { n, ctx } = x;
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
    case 'AddN':
      return addN(x);
    case 'Sub':
      return affine(x, (c, xFirst) => (xFirst ? { offset: c.map((v) => -v) } : { scale: c.map(() => -1), offset: c }));
    case 'Mul':
      return affine(x, (c) => ({ scale: c }));
    case 'RealDiv':
    case 'Div':
      // by a constant (x / 255, a preprocessing's x / 127.5); a constant over x is taken as a function of x (tfjs-graph-fuse.ts)
      if (x.input(1).kind === 'tensor') throw x.fail('NN110', `${n.op} is supported only by a constant, or in an element-wise function of one computed tensor with scalar constants (which becomes one table activation)`);
      return affine(x, (c) => {
        if (c.some((v) => v === 0)) throw x.fail('NN110', `${n.op} by a constant holding 0 (the quotient is infinite)`);
        return { scale: c.map((v) => 1 / v) };
      });
    case 'Neg':
      return x.ctx.emit(scaledNode(x.n.name, x.tensor(0).name, channels(), -1), x.tensor(0).rank);
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
    case 'Softsign': // (not in fused_ops: tfGraphActivation does not take it)
      return act({ fn: 'softsign' });
    case 'Softmax':
      return act('softmax');
    case 'MaxPool':
      return pool(x, 'max');
    case 'AvgPool':
      return pool(x, 'avg');
    case 'Mean':
    case 'Sum':
    case 'Max':
      return reduce(x, n.op === 'Mean' ? 'avg' : n.op === 'Sum' ? 'sum' : 'max');
    case 'FusedBatchNorm':
    case 'FusedBatchNormV3':
      return fusedBatchNorm(x);
    case 'Maximum':
    case 'Minimum':
    case 'ClipByValue':
      return clamp(x);
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
    case 'ResizeBilinear':
      return resize(x, n.op === 'ResizeBilinear');
    case 'StridedSlice': {
      const input = x.input(0);
      return input.kind === 'const' ? sliceConstant(x, input.tensor) : stridedSlice(x);
    }
    case 'Slice':
      return slice(x);
    case 'Transpose':
      return transpose(x);
    case 'GatherV2': {
      const input = x.input(0);
      return input.kind === 'const' ? gatherConstant(x, input.tensor) : gatherV2(x);
    }
    case 'Shape':
      return shapeOf(x);
    case 'Pack':
      return pack(x);
    case 'DepthToSpace':
      return depthToSpace(x);
    case 'Abs':
      return abs(x);
    case 'Cast':
      return cast(x);
    case 'Unpack':
      return unpackBatch(x);
    case 'LRN':
      return lrn(x);
    case 'Split':
    case 'SplitV':
      return splitPart(x);
    case 'SpaceToBatchND':
      return spaceToBatch(x);
    case 'BatchToSpaceND':
      return batchToSpace(x);
    default:
      if (TF_ONLY_FUSED.includes(n.op)) throw x.fail('NN110', `${n.op} is supported only in an element-wise function of one computed tensor with scalar constants (which becomes one table activation); here it reads a constant of several values, a second computed tensor, or a tensor read elsewhere too`);
      throw x.fail('NN110', `op ${n.op} is not supported`);
  }
}
