// SPDX-License-Identifier: MIT
/**
 * One TF.js Layers layer → graph IR nodes. Feature maps are NHWC in tfjs, which is already the
 * IR's [H, W, C], so weights are taken as stored; 1-D sequences [L, C] are maps [1, L, C], so a
 * Conv1D is a convolution of height 1. Shapes of earlier tensors come from the caller.
 */
import { shownValue } from '../diagnostics/error.js';
import type { Activation, Node, NodeOf, Pads, Tensor } from '../ir/graph.js';
import { advancedActivation, preluSlopes } from './tfjs-activations.js';
import { Layer, type LayerContext, type LayerEntry } from './tfjs-layer.js';
import { channelReduction, KERAS_UNARY_OPS, spatialAxes, unaryOp, withConstant } from './keras-ops.js';
import { groupNormalization, layerNormalization, unitNormalization } from './keras-norm.js';
import { add, average, broadcasting, concat, extremum, multiply, subtract } from './tfjs-merge-layers.js';
import { blockDiagonal, multiplied, transposedFilter } from './tfjs-kernels.js';
import { batchNorm, normalization, rescaling } from './tfjs-norm-layers.js';
import { bidirectional, recurrent } from './tfjs-recurrent.js';

export type { LayerContext, LayerEntry };

/**
 * Keras's image augmentation layers (the Keras image-classification tutorial keeps RandomFlip, RandomRotation and
 * RandomZoom inside the saved model): each returns its input unchanged at inference.
 */
const AUGMENTATION_LAYERS = [
  'RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast', 'RandomBrightness', 'RandomHeight', 'RandomWidth',
  'RandomSaturation', 'RandomHue', 'RandomSharpness', 'RandomGrayscale', 'RandomColorJitter', 'RandomColorDegeneration', 'RandomErasing',
  'RandomGaussianBlur', 'RandomInvert', 'RandomPerspective', 'RandomPosterization', 'RandomShear',
] as const;
export const SUPPORTED_TFJS_LAYERS = [
  'InputLayer', 'Dense', 'Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D',
  'BatchNormalization', 'Add', 'Concatenate', 'ZeroPadding2D', 'Reshape', 'Flatten', 'Activation', 'ReLU', 'Softmax', 'Dropout',
  'Conv1D', 'SeparableConv2D', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'UpSampling2D', 'Cropping2D', 'Permute', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Conv2DTranspose',
  'Rescaling', 'Normalization', 'Average', 'Subtract', 'Maximum', 'Minimum', 'Multiply', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'SpatialDropout1D', 'SpatialDropout2D', 'ActivityRegularization',
  'Identity', 'ZeroPadding1D', 'Cropping1D', 'UpSampling1D', 'TimeDistributed',
  'SeparableConv1D', 'DepthwiseConv1D', 'GroupNormalization', 'RepeatVector', 'LayerNormalization', 'UnitNormalization',
  'LSTM', 'GRU', 'SimpleRNN', 'Bidirectional', ...AUGMENTATION_LAYERS,
] as const;
/** Layers users bring that nnchip cannot compute, and why (one line each). */
const PRODUCT = 'a matrix product of two computed tensors has no lowering (an element-wise one has: Multiply)';
const REFUSED_WHY: Readonly<Record<string, string>> = {
  ConvLSTM2D: 'a convolutional recurrent layer has no lowering (LSTM, GRU and SimpleRNN are unrolled)',
  Embedding: 'a table lookup by a computed index has no lowering',
  Dot: PRODUCT, Attention: PRODUCT, MultiHeadAttention: PRODUCT,
  Masking: 'its mask changes what later layers compute (and it zeroes masked steps); nnchip has no masks',
};
/** Layers that are the identity at inference (noise, dropout and augmentation only act while training). */
const INFERENCE_IDENTITY = new Set<string>(['Identity', 'Dropout', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'SpatialDropout1D', 'SpatialDropout2D', 'ActivityRegularization', ...AUGMENTATION_LAYERS]);

/** A weighted node whose activation may be softmax: split into node(linear) + activation(softmax). */
function withActivation(node: NodeOf<'dense'> | NodeOf<'conv2d'> | NodeOf<'convTranspose'>, fn: Activation | 'softmax'): Node[] {
  if (fn !== 'softmax') return [{ ...node, activation: fn }];
  const logits = `${node.name}/logits`;
  return [
    { ...node, output: logits },
    { name: `${node.name}/softmax`, op: 'activation', fn: 'softmax', inputs: [logits], output: node.output },
  ];
}

function dense(x: Layer): Node[] {
  const kernel = x.weight('kernel');
  const units = x.get('units');
  if (units !== undefined && (typeof units !== 'number' || !Number.isInteger(units) || units < 1)) throw x.fail('NN107', `units is ${shownValue(units)}; expected a positive integer`);
  if (typeof units === 'number' && kernel.shape[1] !== units) throw x.fail('NN201', `units is ${units} but the kernel has shape ${shownValue(kernel.shape)}`);
  // Keras applies Dense to the last axis: on a map [H, W, C] or a sequence [1, L, C], per pixel (a 1×1 convolution)
  if (x.ctx.shapeOf(x.one()).length === 3) {
    const pixelwise = { shape: [1, 1, ...kernel.shape], data: kernel.data };
    return withActivation({ ...x.base(), op: 'conv2d', kernel: pixelwise, bias: x.bias(), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' }, x.activation());
  }
  return withActivation({ ...x.base(), op: 'dense', kernel, bias: x.bias(), activation: 'linear' }, x.activation());
}

/** Conv1D's kernel [K, Cin, Cout] is the [1, K, Cin, Cout] kernel of a height-1 convolution. */
function asHeightOne(t: Tensor): Tensor {
  return { shape: [1, ...t.shape], data: t.data };
}

/**
 * A convolution's window: kernel_size, strides and dilation_rate (of a 1-D layer, along W of height 1); the
 * span a dilated kernel covers; and the node's `dilations` field, present only when some rate is not 1.
 */
function convWindow(x: Layer, oneD: boolean): { size: [number, number]; strides: [number, number]; dil: [number, number]; span: [number, number]; dilations: { dilations?: [number, number] } } {
  const size: [number, number] = oneD ? [1, x.single('kernel_size')] : x.pair('kernel_size');
  const strides: [number, number] = oneD ? [1, x.single('strides', 1)] : x.pair('strides', [1, 1]);
  const dil: [number, number] = oneD ? [1, x.single('dilation_rate', 1)] : x.pair('dilation_rate', [1, 1]);
  const span: [number, number] = [(size[0] - 1) * dil[0] + 1, (size[1] - 1) * dil[1] + 1];
  return { size, strides, dil, span, dilations: dil[0] !== 1 || dil[1] !== 1 ? { dilations: dil } : {} };
}

function conv(x: Layer, depthwise: boolean, oneD = false): Node[] {
  x.channelsLast();
  x.one();
  if (oneD) sequenceOnly(x);
  const { size, strides, dil, span, dilations } = convWindow(x, oneD);
  // tfjs-layers' DepthwiseConv2D ignores dilation_rate (its shapes and its results are the undilated ones) while Keras applies it
  if (depthwise && (dil[0] !== 1 || dil[1] !== 1)) throw x.fail('NN110', `dilation_rate ${shownValue(dil)} is not supported for DepthwiseConv2D (tfjs ignores it, Keras applies it: the model means two things; only 1)`);
  // Keras 3 names DepthwiseConv2D's kernel `kernel` (Keras 2 and tfjs: `depthwise_kernel`), of the same [KH, KW, C, multiplier]
  const stored = depthwise ? (x.maybeWeight('depthwise_kernel') ?? x.weight('kernel')) : x.weight('kernel');
  let kernel = grouped(x, oneD ? asHeightOne(stored) : stored, depthwise);
  const [kh, kw, , cout] = kernel.shape;
  if (kernel.shape.length !== 4 || kh !== size[0] || kw !== size[1]) throw x.fail('NN201', `kernel_size is ${shownValue(size)} but the kernel has shape ${shownValue(kernel.shape)}`);
  let isDepthwise = depthwise;
  if (depthwise) {
    const mult = x.get('depth_multiplier') ?? 1;
    if (mult !== cout) throw x.fail('NN201', `depth_multiplier ${String(mult)} but the depthwise kernel has shape ${shownValue(kernel.shape)}`);
    if (cout !== 1) [kernel, isDepthwise] = [multiplied(kernel), false];
  } else if (typeof x.get('filters') === 'number' && x.get('filters') !== cout) throw x.fail('NN201', `filters is ${String(x.get('filters'))} but the kernel has shape ${shownValue(kernel.shape)}`);
  // padding of the window the dilated kernel spans; causal (Conv1D): all padding before the sequence, so output t sees inputs ≤ t
  const pads: Pads = oneD && x.get('padding') === 'causal' ? [0, span[1] - 1, 0, 0] : x.pads(span, strides);
  return withActivation({ ...x.base(), op: 'conv2d', kernel, bias: x.bias(), strides, pads, depthwise: isDepthwise, activation: 'linear', ...dilations }, x.activation());
}

/**
 * Conv2DTranspose: the kernel [KH, KW, filters, Cin] read as [KH, KW, Cin, filters]. The output is
 * tfjs's deconvLength: valid: input × stride + max(kernel − stride, 0), the full output, extended by
 * output padding when the kernel is smaller than the stride; same: input × stride, the full output
 * cropped as TF crops it (the odd line at the end). Keras' output_padding (tfjs ignores it) is taken
 * from Keras 3 files: the output is Keras' (input − 1) × stride + kernel − 2·pad + output_padding (pad
 * kernel // 2 under same, else 0), cropped and extended as TF's conv2d_transpose does for that size.
 * dilation_rate is refused.
 */
function convTranspose(x: Layer): Node[] {
  x.channelsLast();
  const [h, w, cin] = x.map() as [number, number, number];
  const size = x.pair('kernel_size');
  const strides = x.pair('strides', [1, 1]);
  const dil = x.pair('dilation_rate', [1, 1]);
  if (dil[0] !== 1 || dil[1] !== 1) throw x.fail('NN110', `dilation_rate ${shownValue(dil)} is not supported (only 1)`);
  const op = x.get('output_padding');
  const given = op === undefined || op === null ? undefined : typeof op === 'number' ? [op, op] : op;
  // tfjs ignores output_padding: a file tfjs may run (tfjs-written, or Keras 2 converted) means two things
  if (given !== undefined && x.ctx.writer !== 'keras3') throw x.fail('NN110', `output_padding ${shownValue(op)} is not supported (tfjs ignores it, Keras applies it: taken from Keras 3 files only)`);
  if (given !== undefined && (!Array.isArray(given) || given.length !== 2 || given.some((d, a) => !Number.isInteger(d) || (d as number) < 0 || (d as number) >= strides[a]!))) throw x.fail('NN107', `output_padding ${shownValue(op)} is not a pair of integers below the strides`);
  const stored = x.weight('kernel');
  const [kh, kw, f, ci] = stored.shape as [number, number, number, number];
  if (stored.shape.length !== 4 || kh !== size[0] || kw !== size[1] || ci !== cin) throw x.fail('NN201', `kernel_size ${shownValue(size)} with ${cin} input channels does not fit a kernel of shape ${shownValue(stored.shape)}`);
  if (typeof x.get('filters') === 'number' && x.get('filters') !== f) throw x.fail('NN201', `filters is ${String(x.get('filters'))} but the kernel has shape ${shownValue(stored.shape)}`);
  const same = x.get('padding') === 'same';
  if (!same && (x.get('padding') ?? 'valid') !== 'valid') throw x.fail('NN110', `padding ${shownValue(x.get('padding'))} is not supported (supported: valid, same)`);
  // the full output's extent less the wanted one: cropped (half before, the odd one after), or added at the end
  const wanted = (n: number, a: number): number => {
    const [s, k] = [strides[a]!, size[a]!];
    if (given !== undefined) return (n - 1) * s + k - 2 * (same ? Math.floor(k / 2) : 0) + (given[a] as number);
    return same ? n * s : n * s + Math.max(k - s, 0);
  };
  const total = [h, w].map((n, a) => (n - 1) * strides[a]! + size[a]! - wanted(n, a));
  const [top, left] = total.map((t) => Math.floor(Math.max(0, t) / 2)) as [number, number];
  const pads: Pads = [top, left, Math.max(0, total[0]!) - top, Math.max(0, total[1]!) - left];
  const outputPadding = total.map((t) => Math.max(0, -t)) as [number, number];
  return withActivation({ ...x.base(), op: 'convTranspose', kernel: transposedFilter(stored), bias: x.bias(), strides, pads, outputPadding, activation: 'linear' }, x.activation());
}

/**
 * Keras' grouped convolution (Conv2D/Conv1D `groups` g: a kernel [KH, KW, Cin/g, Cout]) as a full
 * kernel that is zero outside each group's block, as the ONNX importer builds it. (`groups` was
 * ignored: a kernel of Cin rows with groups 3 lowered as an ordinary convolution.)
 */
function grouped(x: Layer, kernel: Tensor, depthwise: boolean): Tensor {
  const g = depthwise ? 1 : x.single('groups', 1);
  if (g === 1) return kernel;
  const cin = x.ctx.shapeOf(x.one()).at(-1) ?? 0;
  const [, , ci, co] = kernel.shape as [number, number, number, number];
  if (kernel.shape.length !== 4 || cin % g !== 0 || co % g !== 0 || ci * g !== cin) throw x.fail('NN201', `groups ${g} with a kernel of shape ${shownValue(kernel.shape)} does not fit ${cin} input channels`);
  return blockDiagonal(kernel, cin, g);
}

/**
 * SeparableConv2D = depthwise convolution (no bias) → 1×1 convolution with the bias and activation; or (Keras)
 * SeparableConv1D of a sequence: its kernels [K, C, m] and [1, C·m, F] those of height 1.
 */
function separable(x: Layer, oneD = false): Node[] {
  x.channelsLast();
  const input = x.one();
  if (oneD) sequenceOnly(x);
  const { size, strides, span, dilations } = convWindow(x, oneD);
  const dw = oneD ? asHeightOne(x.weight('depthwise_kernel')) : x.weight('depthwise_kernel');
  if (dw.shape.length !== 4 || dw.shape[0] !== size[0] || dw.shape[1] !== size[1]) throw x.fail('NN201', `kernel_size is ${shownValue(size)} but the depthwise kernel has shape ${shownValue(dw.shape)}`);
  // depth_multiplier m > 1: the depthwise step as a full kernel of C·m outputs, read by the pointwise kernel's C·m rows
  const one = dw.shape[3] === 1;
  const depthwise = `${x.l.name}/depthwise`;
  return [
    { name: depthwise, op: 'conv2d', inputs: [input], output: depthwise, kernel: one ? dw : multiplied(dw), bias: null, strides, pads: x.pads(span, strides), depthwise: one, activation: 'linear', ...dilations },
    ...withActivation({ ...x.base(), inputs: [depthwise], op: 'conv2d', kernel: oneD ? asHeightOne(x.weight('pointwise_kernel')) : x.weight('pointwise_kernel'), bias: x.bias(), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' }, x.activation()),
  ];
}

/** A 1-D layer (Conv1D, MaxPooling1D, …) reads a sequence [1, L, C]: on a map of several rows Keras refuses it (it pooled the rows one by one). */
function sequenceOnly(x: Layer): void {
  const shape = x.ctx.shapeOf(x.one());
  if (shape.length === 3 && shape[0] !== 1) throw x.fail('NN110', `${x.l.className} reads a sequence [steps, channels]; its input is a map ${shownValue(shape)} (use the 2-D layer)`);
}

function pool(x: Layer, kind: 'max' | 'avg', oneD = false): Node[] {
  x.channelsLast();
  x.one();
  if (oneD) sequenceOnly(x);
  const size: [number, number] = oneD ? [1, x.single('pool_size', 2)] : x.pair('pool_size', [2, 2]);
  const strides: [number, number] = x.get('strides') === null ? size : oneD ? [1, x.single('strides', size[1])] : x.pair('strides', size);
  return [{ ...x.base(), op: 'pool2d', kind, size, strides, pads: x.pads(size, strides) }];
}

/** Global average or max over all positions of a map: [C], or [1, 1, C] with keepdims. */
function globalPool(x: Layer, kind: 'max' | 'avg'): Node[] {
  x.channelsLast();
  const [h, w, c] = x.map();
  const keep = x.get('keepdims') === true;
  const pooled = `${x.l.name}/${kind === 'avg' ? 'vector' : 'pooled'}`;
  const first: Node = kind === 'avg'
    ? { ...x.base(), inputs: [x.one()], op: 'globalAvgPool', ...(keep ? { output: pooled } : {}) }
    : { ...x.base(), inputs: [x.one()], op: 'pool2d', kind: 'max', size: [h!, w!], strides: [1, 1], pads: [0, 0, 0, 0], output: pooled };
  const shape = keep ? [1, 1, c!] : [c!];
  return kind === 'avg' && !keep ? [first] : [first, { name: `${x.l.name}/${keep ? 'keepdims' : 'vector'}`, op: 'reshape', inputs: [pooled], output: x.l.name, shape }];
}

/** An int, a pair, or a pair of pairs → [[a0, a1], [b0, b1]] of non-negative integers. */
function pairOfPairs(x: Layer, key: string, fallback: number): [[number, number], [number, number]] {
  const p = x.get(key) ?? fallback;
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(p)) return [[p, p], [p, p]];
  if (Array.isArray(p) && p.length === 2 && p.every(ok)) {
    const [h, w] = p as [number, number];
    return [[h, h], [w, w]];
  }
  if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every(ok))) return p as [[number, number], [number, number]];
  throw x.fail('NN107', `${key} ${shownValue(p)} is not n, [h, w] or [[top, bottom], [left, right]]`);
}

function upsample(x: Layer): Node[] {
  x.channelsLast();
  x.map();
  const interpolation = x.get('interpolation') ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw x.fail('NN110', `interpolation ${shownValue(interpolation)} is not supported (only nearest and bilinear)`);
  // tfjs's resizeBilinear: no align_corners, no half-pixel centres (source y / f): ONNX's asymmetric. Keras 3 and TF 2's
  // Keras 2 resize with half-pixel centres; a Keras 2 model converted to tfjs computes the other in tfjs: it means two things
  if (interpolation === 'bilinear' && x.ctx.writer === 'keras2') throw x.fail('NN110', 'bilinear UpSampling2D of a Keras 2 model is not supported (TF 2 resizes with half-pixel centres, tfjs without: the model means two things)');
  const linear = x.ctx.writer === 'keras3' ? ('half_pixel' as const) : ('asymmetric' as const);
  return [{ ...x.base(), inputs: [x.one()], op: 'upsample', factors: x.pair('size', [2, 2]), ...(interpolation === 'bilinear' ? { linear } : {}) }];
}

function crop(x: Layer): Node[] {
  x.channelsLast();
  x.map();
  const [[top, bottom], [left, right]] = pairOfPairs(x, 'cropping', 0);
  return [{ ...x.base(), inputs: [x.one()], op: 'crop', crop: [top, left, bottom, right] }];
}

/** Permute is accepted where it moves no data: the axes longer than 1 keep their order. */
function permute(x: Layer): Node[] {
  const input = x.one();
  const shape = x.ctx.shapeOf(input);
  const dims = x.get('dims');
  const rank = shape.length === 3 && shape[0] === 1 && Array.isArray(dims) && dims.length === 2 ? 2 : shape.length;
  const own = rank === 2 ? shape.slice(1) : shape;
  if (!Array.isArray(dims) || dims.length !== rank || [...dims].sort().some((d, i) => d !== i + 1)) throw x.fail('NN107', `dims ${shownValue(dims)} is not a permutation of 1..${rank}`);
  const moved = (dims as number[]).map((d) => own[d - 1]!);
  const order = (dims as number[]).filter((d) => own[d - 1] !== 1);
  if (order.some((d, i) => i > 0 && d < order[i - 1]!)) throw x.fail('NN110', `Permute ${shownValue(dims)} of ${shownValue(own)} moves data (only permutations that move axes of size 1 are supported)`);
  return [{ ...x.base(), inputs: [input], op: 'reshape', shape: rank === 2 ? [1, ...moved] : moved }];
}

/** ZeroPadding1D, Cropping1D (`padding` / `cropping` n or [begin, end]) and UpSampling1D (`size`) of a sequence [1, L, C]: the 2-D layers along W. */
function oneD(x: Layer): Node[] {
  x.map();
  sequenceOnly(x);
  const key = x.l.className === 'ZeroPadding1D' ? 'padding' : 'cropping';
  const v = x.get(key) ?? 1; // Keras's default for both
  const p = typeof v === 'number' ? [v, v] : v;
  if (x.l.className === 'UpSampling1D') return [{ ...x.base(), inputs: [x.one()], op: 'upsample', factors: [1, x.single('size', 2)] }];
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || (d as number) < 0)) throw x.fail('NN107', `${key} is ${shownValue(v)}; expected a non-negative integer or a pair`);
  const [begin, end] = p as [number, number];
  if (key === 'padding') return [{ ...x.base(), op: 'pad', pads: [0, begin, 0, end] }];
  return [{ ...x.base(), inputs: [x.one()], op: 'crop', crop: [0, begin, 0, end] }];
}

/** padding: n | [h, w] | [[top, bottom], [left, right]]. */
function zeroPad(x: Layer): Node[] {
  x.channelsLast();
  x.map();
  const [[top, bottom], [left, right]] = pairOfPairs(x, 'padding', 1);
  return [{ ...x.base(), op: 'pad', pads: [top, left, bottom, right] }];
}

function reshape(x: Layer): Node[] {
  const given = x.get('target_shape');
  // one unknown size (Keras writes -1, tfjs null) is what the others leave of the input's elements
  const unknown = Array.isArray(given) ? given.filter((d) => d === -1 || d === null).length : 0;
  const known = Array.isArray(given) ? given.reduce<number>((a, d) => (Number.isInteger(d) && (d as number) > 0 ? a * (d as number) : a), 1) : 0;
  const elements = x.ctx.shapeOf(x.one()).reduce((a, b) => a * b, 1);
  const target = unknown === 1 && Array.isArray(given) && elements % known === 0 ? given.map((d) => (d === -1 || d === null ? elements / known : d)) : given;
  if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || (d as number) < 1)) throw x.fail('NN110', `target_shape ${shownValue(given)} is not supported (only positive sizes, at most one of them -1)`);
  // a [L, C] sequence is the map [1, L, C]
  return [{ ...x.base(), inputs: [x.one()], op: 'reshape', shape: target.length === 2 ? [1, ...(target as number[])] : (target as number[]) }];
}

function relu(x: Layer): Node[] {
  const max = x.get('max_value');
  const slope = x.get('negative_slope') ?? 0;
  const threshold = x.get('threshold') ?? 0;
  // Keras applies negative_slope (a leaky ReLU), tfjs-layers ignores it: taken from Keras 3 only, where tfjs cannot have written the file
  if (x.ctx.writer === 'keras3' && threshold === 0 && (max === undefined || max === null) && typeof slope === 'number' && Number.isFinite(slope) && slope !== 0) return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: { fn: 'leakyrelu', alpha: slope } }];
  if (slope !== 0 || threshold !== 0) throw x.fail('NN110', `ReLU with negative_slope ${String(slope)} / threshold ${String(threshold)} is not supported (only 0${x.ctx.writer === 'keras3' ? '; a negative_slope without max_value or threshold' : ''})`);
  if (max === undefined || max === null) return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: 'relu' }];
  if (typeof max !== 'number' || !(max > 0) || !Number.isFinite(max)) throw x.fail('NN107', `max_value is ${shownValue(max)}; expected a positive number`);
  // ReLU-n: a clamp to [0, n], the threshold's lo/hi at the bounds' codes
  return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: max === 6 ? 'relu6' : { clip: [0, max] } }];
}

/**
 * TimeDistributed of a layer that already acts on the last axis alone (Dense, Activation, the inference
 * identities): that layer, under the wrapper's name (its weights are the wrapper's).
 */
function timeDistributed(x: Layer): Node[] {
  const inner = x.get('layer');
  const cls = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>)['class_name'] : undefined;
  const config = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>)['config'] : undefined;
  if (typeof cls !== 'string' || typeof config !== 'object' || config === null) throw x.fail('NN107', 'the wrapped layer has no class_name/config');
  if (cls !== 'Dense' && cls !== 'Activation' && !INFERENCE_IDENTITY.has(cls)) throw x.fail('NN110', `TimeDistributed of ${cls} is not supported (only of Dense, Activation and Dropout, which act on the last axis alone)`);
  return layerToNodes({ className: cls, name: x.l.name, config: { ...config, name: x.l.name }, inbound: x.l.inbound, ...(x.l.weightsOf === undefined ? {} : { weightsOf: x.l.weightsOf }) }, x.inputs, x.ctx);
}

/** RepeatVector(n) of a vector [K]: the sequence [n, K] ([1, n, K]), the vector as a 1×1 map upsampled n times along W (n identity copies). */
function repeatVector(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  if (shape.length !== 1) throw x.fail('NN110', `input has shape ${shownValue(shape)}; RepeatVector repeats a vector`);
  const map = `${x.l.name}/map`;
  return [
    { name: map, op: 'reshape', inputs: [x.one()], output: map, shape: [1, 1, shape[0]!] },
    { ...x.base(), inputs: [map], op: 'upsample', factors: [1, x.single('n')] },
  ];
}

/**
 * Softmax over the last axis (`axis` −1, or the last as Keras counts it: 3 of a map, 2 of a sequence, 1 of a
 * vector). Over another axis (Keras; tfjs cannot run it) it was taken as over the channels: refused.
 */
function softmax(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  const v = x.get('axis') ?? -1;
  const axis = Array.isArray(v) && v.length === 1 ? v[0] : v;
  const last = shape.length === 1 ? 1 : x.ctx.sequenceInput && shape[0] === 1 ? 2 : 3;
  if (axis !== -1 && axis !== last) throw x.fail('NN110', `Softmax over axis ${shownValue(v)} is not supported (only the last axis, -1)`);
  return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: 'softmax' }];
}

/** The IR nodes of one layer (none for InputLayer); the last node's output is the layer's name. */
export function layerToNodes(l: LayerEntry, inputs: string[], ctx: LayerContext): Node[] {
  const x = new Layer(l, inputs, ctx);
  if (l.constants !== undefined) return withConstant(x, l.constants);
  switch (l.className) {
    case 'InputLayer':
      return [];
    case 'Dense':
      return dense(x);
    case 'Conv2D':
      return conv(x, false);
    case 'DepthwiseConv2D':
      return conv(x, true);
    case 'Conv2DTranspose':
      return convTranspose(x);
    case 'MaxPooling2D':
      return pool(x, 'max');
    case 'AveragePooling2D':
      return pool(x, 'avg');
    case 'GlobalAveragePooling2D':
    case 'GlobalAveragePooling1D':
      return globalPool(x, 'avg');
    case 'GlobalMaxPooling2D':
    case 'GlobalMaxPooling1D':
      return globalPool(x, 'max');
    case 'Conv1D':
      return conv(x, false, true);
    case 'SeparableConv2D':
      return separable(x);
    case 'SeparableConv1D':
      return separable(x, true);
    case 'DepthwiseConv1D':
      return conv(x, true, true);
    case 'MaxPooling1D':
      return pool(x, 'max', true);
    case 'AveragePooling1D':
      return pool(x, 'avg', true);
    case 'UpSampling2D':
      return upsample(x);
    case 'Cropping2D':
      return crop(x);
    case 'Permute':
      return permute(x);
    case 'BatchNormalization':
      return batchNorm(x);
    case 'GroupNormalization':
      return groupNormalization(x);
    case 'LayerNormalization':
      return layerNormalization(x);
    case 'UnitNormalization':
      return unitNormalization(x);
    case 'Add':
      return broadcasting(x, add);
    case 'Concatenate':
      return concat(x);
    case 'ZeroPadding2D':
      return zeroPad(x);
    case 'Mean':
    case 'Max': {
      const channels = channelReduction(x);
      if (channels !== null) return channels;
      spatialAxes(x);
      return globalPool(x, l.className === 'Mean' ? 'avg' : 'max');
    }
    case 'TimeDistributed':
      return timeDistributed(x);
    case 'ZeroPadding1D':
    case 'Cropping1D':
    case 'UpSampling1D':
      return oneD(x);
    case 'Reshape':
      return reshape(x);
    case 'Flatten':
      x.channelsLast();
      // a channels_first map is flattened as Keras holds it, channel-major, unless Flatten's own data_format is channels_first (moved channels-last first)
      return [{ ...x.base(), inputs: [x.one()], op: 'flatten', ...(x.ctx.channelsFirst?.(x.one()) === true && x.get('data_format') !== 'channels_first' ? { order: 'chw' as const } : {}) }];
    case 'Activation':
      return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: x.activation() }];
    case 'ReLU':
      return relu(x);
    case 'LeakyReLU':
    case 'ELU':
    case 'ThresholdedReLU':
      return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: advancedActivation(l.className, (k) => x.get(k), (d) => x.fail('NN107', d)) }];
    case 'PReLU': {
      const slopes = preluSlopes(x.weight('alpha'));
      if (typeof slopes === 'string') throw x.fail('NN110', slopes);
      return [{ ...x.base(), inputs: [x.one()], op: 'activation', fn: { fn: 'prelu', slopes } }];
    }
    case 'Softmax':
      return softmax(x);
    case 'Rescaling':
      return rescaling(x);
    case 'Normalization':
      return normalization(x);
    case 'Average':
      return broadcasting(x, average);
    case 'Subtract':
      return broadcasting(x, subtract);
    case 'Multiply':
      return multiply(x);
    case 'Maximum':
    case 'Minimum':
      return broadcasting(x, (y) => extremum(y, l.className === 'Maximum'));
    case 'RepeatVector':
      return repeatVector(x);
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN':
      return recurrent(x);
    case 'Bidirectional':
      return bidirectional(x);
    default:
      if (Object.hasOwn(REFUSED_WHY, l.className)) throw x.fail('NN110', `layer type ${l.className} is not supported: ${REFUSED_WHY[l.className]!}`);
      if (INFERENCE_IDENTITY.has(l.className)) return [{ ...x.base(), inputs: [x.one()], op: 'identity' }];
      if (Object.hasOwn(KERAS_UNARY_OPS, l.className)) return unaryOp(x, KERAS_UNARY_OPS[l.className]!);
      throw x.fail('NN110', `layer type ${l.className} is not supported (supported: ${SUPPORTED_TFJS_LAYERS.join(', ')})`);
  }
}
