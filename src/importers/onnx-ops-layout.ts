// SPDX-License-Identifier: MIT
/**
 * ONNX layout ops → IR: Flatten, Reshape, Squeeze, Unsqueeze and Transpose where the bytes do not
 * move (a flatten, a change of view, or a transpose nnchip tracks as channels-first/last), Concat on
 * the channel axis, Identity and Dropout as no-ops, Expand read by a broadcasting op (Resize and Upsample:
 * onnx-ops-resize.ts). Any other data movement is refused.
 */
import { fmtInt, NnchipError, shownValue } from '../diagnostics/error.js';
import { spatialConcatNode } from '../ir/concat-spatial.js';
import { product } from '../ir/graph.js';
import { Op, type Built, type OnnxView } from './onnx-op.js';
import { Attributes, dtypeName, isFloatType } from './onnx-tensors.js';
import type { NodeProto } from './onnx-prewalk.js';
import { selectChannelsNode, sliceRange, steppedIndices } from '../ir/channel-reduce.js';
import { expandShape } from './onnx-fold.js';

const same = (a: readonly number[], b: readonly number[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export function identity(o: Op, x: string, view?: OnnxView): Built[] {
  return [{ ...o.base([x]), op: 'identity', ...(view === undefined ? {} : { view }) }];
}

/** Whether x's elements lie in its ONNX shape's row-major order: a sequence [1, T, F] held [1, T, F], or a recurrent op's exact view. */
function inOrder(o: Op, x: string): boolean {
  const v = o.ctx.view(x);
  return v.exact !== undefined || (v.rank === 3 && v.last && v.flat === undefined && o.ctx.irShape(x).length === 3);
}

/**
 * x, its elements in ONNX order (inOrder), viewed as the ONNX shape `to`: the sequence [1, T, F] itself, a
 * vector [1, K] (a flatten of a map), or any other shape as an exact view (a recurrent op's [T, 1, F]).
 */
function orderedAs(o: Op, x: string, to: readonly number[]): Built[] {
  const ir = o.ctx.irShape(x);
  if (ir.length === 3 && to.length === 3 && to[0] === 1 && to[1] === ir[1] && to[2] === ir[2]) return identity(o, x, { rank: 3, last: true });
  // a one-channel map's [1, H, W] (channels reduced without keepdims) unsqueezed to [1, 1, H, W] or [1, H, W, 1]: the map itself
  if (ir.length === 3 && ir[2] === 1 && to.length === 4 && (same(to, [1, 1, ir[0]!, ir[1]!]) || same(to, [1, ir[0]!, ir[1]!, 1]))) return identity(o, x, { rank: 4, last: to[3] === 1 && to[1] !== 1 });
  if (to.length === 2 && to[0] === 1) return ir.length === 1 ? identity(o, x, { rank: 2, last: false }) : [{ ...o.base([x]), op: 'flatten', view: { rank: 2, last: false } }];
  return identity(o, x, { rank: to.length, last: true, exact: to });
}

/** x viewed as the ONNX shape `to` (batch 1, same element count) without moving data, or refused. */
function reshapeTo(o: Op, x: string, to: readonly number[]): Built[] {
  const from = o.ctx.onnxShape(x);
  const v = o.ctx.view(x);
  if (product(to) !== product(from) || to.some((d) => !Number.isInteger(d) || d < 1)) throw new NnchipError('NN203', `cannot reshape ${shownValue(from)} to ${shownValue(to)}`, { layer: o.n.name });
  // a sequence around a recurrent op ([1, T, F] ↔ [T, 1, F], Y [T, 1, 1, U] → [T, 1, U]): the elements keep their order
  if (v.exact !== undefined || (to[0] !== 1 && inOrder(o, x))) return orderedAs(o, x, to);
  if (to[0] !== 1) throw o.fail(`target ${shownValue(to)} changes the batch dimension`);
  if (same(from, to)) return identity(o, x);
  // a channel shuffle: [1, C, H, W] → [1, g, C/g, H, W] and back are views (the channel order is unchanged)
  if (o.ctx.isMap(x) && v.rank === 4 && !v.last && v.groups === undefined && to.length === 5 && to[1]! * to[2]! === from[1] && to[3] === from[2] && to[4] === from[3]) {
    return identity(o, x, { rank: 5, last: false, groups: [to[1]!, to[2]!] });
  }
  if (v.groups !== undefined && to.length === 4 && to[1] === from[1]! * from[2]! && to[2] === from[3] && to[3] === from[4]) return identity(o, x, { rank: 4, last: false });
  // a pixel (un)shuffle's r × r blocks: [1, C, H, W] viewed as [1, C, H/r, r, W/r, r] or [1, C/r², r, r, H, W], and back
  if (o.ctx.isMap(x) && v.rank === 4 && !v.last && v.groups === undefined && to.length === 6) {
    const [c, h, w] = [from[1]!, from[2]!, from[3]!];
    if (to[3]! >= 2 && to[3] === to[5] && same(to, [1, c, h / to[3]!, to[3]!, w / to[3]!, to[3]!])) return identity(o, x, { rank: 6, last: false, blocks: { r: to[3]!, form: 'pixels' } });
    if (to[2]! >= 2 && to[2] === to[3] && same(to, [1, c / (to[2]! * to[2]!), to[2]!, to[2]!, h, w])) return identity(o, x, { rank: 6, last: false, blocks: { r: to[2]!, form: 'channels' } });
  }
  if (v.blocks !== undefined) {
    const map = o.ctx.isMap(x) ? o.ctx.onnxShape(x) : [];
    const [r, c] = [v.blocks.r, from[1]!];
    const back = v.blocks.form === 'pixels' ? [1, c, from[2]! * r, from[4]! * r] : [1, c * r * r, from[4]!, from[5]!];
    if (map.length > 0 && same(to, back)) return identity(o, x, { rank: 4, last: false });
    throw o.fail(`reshaping ${shownValue(from)} to ${shownValue(to)} is not supported (a map's pixels in r × r blocks go back to the map ${shownValue(back)})`);
  }
  // GroupNorm's x.view(N, G, -1) of an NCHW map (G < C; G = C is the flat view below) and the view back
  if (o.ctx.isMap(x) && !v.last && v.groups === undefined && v.flat === undefined && v.grouped === undefined && to.length === 3 && to[1]! < from[1]! && from[1]! % to[1]! === 0) {
    return identity(o, x, { rank: 3, last: false, grouped: { groups: to[1]!, of: from } });
  }
  if (v.grouped !== undefined) {
    if (same(to, v.grouped.of)) return identity(o, x, { rank: v.grouped.of.length, last: false });
    throw o.fail(`reshaping ${shownValue(from)} (a map ${shownValue(v.grouped.of)} in channel groups) to ${shownValue(to)} is not supported (only back to the map)`);
  }
  // [1, C, L, 1] → [1, C, L] (the Squeeze(3) after torch 0.3's 1-D pools, below): the 1-D map [1, L, C] a Conv1d reads, not the flat view
  const plain = o.ctx.isMap(x) && !v.last && v.flat === undefined && v.groups === undefined && v.grouped === undefined && v.blocks === undefined;
  if (plain && v.rank === 4 && from[3] === 1 && from[2]! > 1 && same([...to, 1], from)) return [{ ...o.base([x]), op: 'reshape', shape: [1, from[2]!, from[1]!], view: { rank: 3, last: false } }];
  // x.view(N, C, -1) / x.flatten(2) of an NCHW map, x.view(N, -1, C) of an NHWC one: [1, C, H·W] / [1, H·W, C] are the IR map's bytes
  if (o.ctx.isMap(x) && v.rank === 4 && v.groups === undefined && to.length === 3) {
    const [c, h, w] = v.last ? [from[3]!, from[1]!, from[2]!] : [from[1]!, from[2]!, from[3]!];
    if (h > 1 && same(to, v.last ? [1, h * w, c] : [1, c, h * w])) return identity(o, x, { rank: 3, last: v.last, flat: [h, w] });
  }
  if (v.flat !== undefined) {
    // back to the map, [1, C, H, W] (or [1, H, W, C] from the rows), or flattened (below)
    const [c, [h, w]] = [from[v.last ? 2 : 1]!, v.flat];
    if (same(to, v.last ? [1, h, w, c] : [1, c, h, w])) return identity(o, x, { rank: 4, last: v.last });
    if (to.length !== 2) throw o.fail(`reshaping ${shownValue(from)} (a map of ${shownValue(v.flat)} pixels) to ${shownValue(to)} is not supported (only back to the map's ${shownValue(v.last ? [1, h, w, c] : [1, c, h, w])}, or flattened)`);
  }
  if (v.groups !== undefined && to.length !== 2) throw o.fail(`reshaping ${shownValue(from)} to ${shownValue(to)} is not supported (a [1, g, C/g, H, W] view goes back to [1, C, H, W] or is flattened)`);
  if (to.length === 2) {
    // a flatten: channel-major over a channel-first map, as ONNX flattens NCHW
    return [{ ...o.base([x]), op: 'flatten', ...(o.ctx.isMap(x) && !v.last ? { order: 'chw' as const } : {}), view: { rank: 2, last: false } }];
  }
  const nonUnit = (s: readonly number[]): number[] => s.slice(1).filter((d) => d !== 1);
  const channelFirst = (s: readonly number[]): boolean => s.slice(2).every((d) => d === 1);
  // a one-channel signal [1, L, 1] (ECA's Conv1d across a pooled vector's channels, transposed back to [1, C, 1]) seen as
  // [1, C, 1, 1]: its elements in order are the pooled vector's
  const ir = o.ctx.irShape(x);
  if (ir.length === 3 && ir[0] === 1 && ir[2] === 1 && v.last && v.rank === 3 && to.length >= 3 && to[1] === ir[1] && channelFirst(to)) return [{ ...o.base([x]), op: 'reshape', shape: [ir[1]!], view: { rank: to.length, last: false } }];
  // a vector [1, K] (or a pooled [1, C, 1, 1]) seen as [1, K, 1, 1] / [1, K, 1]: the IR keeps the vector
  if (!o.ctx.isMap(x) && channelFirst(to) && to.length <= 4) return identity(o, x, { rank: to.length, last: false });
  if (!o.ctx.isMap(x) && (to.length === 3 || to.length === 4)) {
    // [1, K] → [1, 1, H, W] or [1, 1, L]: one channel, the vector's order is the map's
    const [h, w] = to.length === 4 ? [to[2]!, to[3]!] : [1, to[2]!];
    if (to[1] === 1 && !v.last) return [{ ...o.base([x]), op: 'reshape', shape: [h, w, 1], view: { rank: to.length, last: false } }];
    // [1, C·H·W] → [1, C, H, W] (a generator's Linear → view): the vector is channel-major, the IR's map pixel-major;
    // the dense computing it takes its units in the map's order (unit p·C + c is the old unit c·H·W + p), then a reshape
    const c = to[1]!;
    const perm = Array.from({ length: c * h * w }, (_, j) => (j % c) * h * w + Math.floor(j / c));
    if (!v.last && !v.transposed && o.ctx.permuteUnits(x, perm)) return [{ ...o.base([x]), op: 'reshape', shape: [h, w, c], view: { rank: to.length, last: false } }];
  }
  // [1, C, 1, L] ↔ [1, C, L] (Unsqueeze/Squeeze of the unit height of a 1-D map): the IR map is [1, L, C] either way
  if (o.ctx.isMap(x) && !v.last && from[1] === to[1] && same(nonUnit(from.slice(1)), nonUnit(to.slice(1))) && (from.length === 3 || from[2] === 1) && (to.length === 3 || to[2] === 1)) {
    return identity(o, x, { rank: to.length, last: false });
  }
  // [1, C, L] → [1, C, L, 1] (torch 0.3's MaxPool1d/AvgPool1d: Unsqueeze(3), a [k, 1] pool, Squeeze(3)): the IR maps
  // [1, L, C] and [L, 1, C] hold the same bytes, but a pool reads them by rows: a reshape (L one-pixel copies)
  if (plain && from.length === 3 && to.length === 4 && same(to, [...from, 1])) return [{ ...o.base([x]), op: 'reshape', shape: [from[2]!, 1, from[1]!], view: { rank: 4, last: false } }];
  throw o.fail(`reshaping ${shownValue(from)} to ${shownValue(to)} is not supported (only flattening to [N, K], views that add or drop unit dimensions, and [N, K] to one channel)`);
}

function flatten(o: Op): Built[] {
  const x = o.activation(0);
  const rank = o.ctx.onnxShape(x).length;
  const axis = o.n.attrs.int('axis', 1);
  if (axis !== 1 && axis !== 0 && axis !== 1 - rank) throw o.fail(`axis ${axis} is not supported (only 1: keep the batch)`);
  return reshapeTo(o, x, [1, product(o.ctx.onnxShape(x))]);
}

function reshape(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  if (o.n.inputs[1] === undefined || !o.ctx.isConst(o.n.inputs[1])) throw o.fail('the target shape is computed at run time (dynamic); only a constant shape (initializer) is supported');
  const target = o.ctx.ints(o.input(1), o.site, 'the target shape');
  const allowZero = o.n.attrs.int('allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (from[i] ?? 0) : d));
  const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const out = dims.map((d) => (d === -1 ? product(from) / known : d));
  if (out.some((d) => !Number.isInteger(d) || d < 1) || product(out) !== product(from)) throw new NnchipError('NN203', `cannot reshape ${shownValue(from)} to ${shownValue(target)}`, { layer: o.n.name });
  return reshapeTo(o, x, out);
}

/** Axes from the second input (opset ≥ 13) or the attribute, as written. */
function rawAxes(o: Op): number[] | undefined {
  const t = o.optional(1);
  return t !== undefined ? o.ctx.ints(t, o.site, 'axes') : o.n.attrs.ints('axes');
}

/** The axes made non-negative for an output of rank `rank`. */
function axesOf(o: Op, rank: number): number[] | undefined {
  return rawAxes(o)?.map((a) => (a < 0 ? a + rank : a));
}

function squeeze(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  const axes = axesOf(o, from.length) ?? from.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  if (axes.some((a) => from[a] !== 1)) throw o.fail(`axes ${shownValue(axes)} of ${shownValue(from)} are not all 1`);
  const to = from.filter((_, i) => !axes.includes(i));
  if (o.ctx.view(x).exact !== undefined) return reshapeTo(o, x, to);
  // squeezing the batch away leaves the same bytes: [1, C, 1, 1] → [C] is read as [1, C]
  if (axes.includes(0)) {
    // a regression's one output squeezed to a scalar (`.squeeze()` of [1, 1]): the vector of that one value, [1, 1]
    if (to.length === 0 && product(from) === 1) return reshapeTo(o, x, [1, 1]);
    if (to.length !== 1) throw o.fail(`squeezing the batch axis of ${shownValue(from)} is supported only down to a vector or, of one value, a scalar`);
    return reshapeTo(o, x, [1, ...to]);
  }
  return reshapeTo(o, x, to);
}

function unsqueeze(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  const count = rawAxes(o)?.length;
  if (count === undefined) throw o.fail('needs axes');
  const rank = from.length + count;
  const axes = axesOf(o, rank)!;
  const to: number[] = [];
  let at = 0;
  for (let i = 0; i < rank; i++) to.push(axes.includes(i) ? 1 : from[at++]!);
  if (axes.includes(0)) throw o.fail(`axes ${shownValue(axes)} add a dimension before the batch`);
  return reshapeTo(o, x, to);
}

/** Transposes nnchip follows without moving data: NCHW ↔ NHWC, NCL ↔ NLC, [1, K] ↔ [K, 1]. */
function transpose(o: Op): Built[] {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const perm = o.n.attrs.ints('perm') ?? Array.from({ length: v.rank }, (_, i) => v.rank - 1 - i);
  const key = JSON.stringify(perm);
  if (same(perm, Array.from({ length: v.rank }, (_, i) => i))) return identity(o, x);
  // unit axes moved on elements in ONNX order (torch's [1, T, F] → [T, 1, F] before a recurrent op, and its Y back)
  const from = o.ctx.onnxShape(x);
  const big = perm.filter((p) => from[p] !== 1);
  if (inOrder(o, x) && (v.exact !== undefined || perm[0] !== 0) && big.every((p, k) => k === 0 || p > big[k - 1]!)) return orderedAs(o, x, perm.map((p) => from[p]!));
  if (v.exact !== undefined) throw o.fail(`perm ${key} of a recurrent op's ${shownValue(from)} moves data (only Transposes of its unit axes are supported)`);
  if (v.rank === 2 && key === '[1,0]') return identity(o, x, { rank: 2, last: false, transposed: !v.transposed });
  // a map, or a global pool's [N, C, 1] / [N, C, 1, 1] (a vector: M5's avg_pool1d then x.permute(0, 2, 1) then Linear)
  const mapLike = o.ctx.isMap(x) || (v.rank >= 3 && o.ctx.onnxShape(x).filter((d, i) => i > 0 && i !== o.channelAxis(x)).every((d) => d === 1));
  if (v.rank === 3 && key === '[0,2,1]' && mapLike) return identity(o, x, { rank: 3, last: !v.last, ...(v.flat === undefined ? {} : { flat: v.flat }) });
  if (v.rank === 4 && mapLike && key === (v.last ? '[0,3,1,2]' : '[0,2,3,1]')) return identity(o, x, { rank: 4, last: !v.last });
  // torch's softmax(dim=1) of a map below opset 13 (softmaxSandwich): into the channels-last view and back
  const sandwich = v.rank === 4 && key === '[0,3,2,1]' ? softmaxSandwich(o, x, v.last) : false;
  if (sandwich) return identity(o, x, { rank: 4, last: !v.last });
  // H and W swapped where one of them is 1 (CoordAttention's pooled row to a column and back): the same bytes, reshaped
  if (v.rank === 4 && !v.last && o.ctx.isMap(x) && key === '[0,1,3,2]' && v.flat === undefined && v.groups === undefined && (from[2] === 1 || from[3] === 1)) {
    return [{ ...o.base([x]), op: 'reshape', shape: [from[3]!, from[2]!, from[1]!], view: { rank: 4, last: false } }];
  }
  if (v.groups !== undefined && key === '[0,2,1,3,4]') {
    // the channel shuffle itself: channel i·b + j moves to j·a + i, a 1×1 convolution by a permutation
    const [a, b] = v.groups;
    const c = a * b;
    const data = new Float32Array(c * c);
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) data[(i * b + j) * c + j * a + i] = 1;
    return [{ ...o.base([x]), op: 'conv2d', kernel: { shape: [1, 1, c, c], data }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear', view: { rank: 5, last: false, groups: [b, a] } }];
  }
  if (v.blocks !== undefined) {
    const pixels = v.blocks.form === 'pixels';
    if (key === (pixels ? '[0,1,3,5,2,4]' : '[0,1,4,2,5,3]')) return blockMove(o, x, v.blocks.r, pixels);
  }
  throw o.fail(`perm ${key} of a ${shownValue(o.ctx.onnxShape(x))} tensor is not supported (only NCHW ↔ NHWC, NCL ↔ NLC and [1, K] ↔ [K, 1], which move no data)`);
}

/**
 * Whether this Transpose [0, 3, 2, 1] is one of the two PyTorch writes around a softmax over a map's channels below
 * opset 13 (where Softmax's axis flattens what follows it): Transpose [0, 3, 2, 1] (channels last, H and W swapped) →
 * Softmax or LogSoftmax over the last axis → the same Transpose back, each the only reader of the one before and
 * none a model output. A softmax over each pixel's channels does not depend on the pixels' order, so the first is
 * taken as the map's channels-last view (NHWC: H and W in their own order, which only the softmax sees) and the second
 * as the way back (`back`: x is the softmax's output); the softmax between is then the per-pixel one.
 */
function softmaxSandwich(o: Op, x: string, back: boolean): boolean {
  const attrs = (n: NodeProto): Attributes => new Attributes(n.attribute, o.site);
  const isPerm = (n: NodeProto | undefined): n is NodeProto => n?.opType === 'Transpose' && JSON.stringify(attrs(n).ints('perm') ?? []) === '[0,3,2,1]';
  const isSoftmax = (n: NodeProto | undefined): n is NodeProto => (n?.opType === 'Softmax' || n?.opType === 'LogSoftmax') && [3, -1].includes(attrs(n).int('axis', o.ctx.opset >= 13 ? -1 : 1));
  /** The one node reading t, when t is no model output. */
  const only = (t: string): NodeProto | undefined => {
    const readers = o.ctx.onnxReaders(t);
    return readers.length === 1 && !o.ctx.isModelOutput(t) ? readers[0] : undefined;
  };
  const softmax = back ? o.ctx.onnxProducer(x) : only(o.out);
  if (!isSoftmax(softmax)) return false;
  const into = softmax.input?.[0] ?? '';
  const first = back ? o.ctx.onnxProducer(into) : o.ctx.onnxProducer(o.out);
  const v = o.ctx.view(x);
  return isPerm(first) && only(into) === softmax && isPerm(only(softmax.output?.[0] ?? '')) && (back ? v.last : !v.last && o.ctx.isMap(x));
}

/**
 * PixelUnshuffle's Transpose [0, 1, 3, 5, 2, 4] of [1, C, H/r, r, W/r, r]: channel c·r² + i·r + j of output pixel (y, x) is
 * channel c of input pixel (y·r + i, x·r + j), a stride-r r × r convolution of 0/1 weights (space to depth, CRD order);
 * PixelShuffle's [0, 1, 4, 2, 5, 3] of [1, C, r, r, H, W] (below opset 11): the transposed convolution DepthToSpace CRD is.
 */
function blockMove(o: Op, x: string, r: number, toChannels: boolean): Built[] {
  const common = { ...o.base([x]), kernel: blockKernel(o, r, o.ctx.onnxShape(x)[1]!, 'CRD', toChannels), bias: null, strides: [r, r] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number], activation: 'linear' as const };
  const view: OnnxView = { rank: 6, last: false, blocks: { r, form: toChannels ? 'channels' : 'pixels' } };
  return [toChannels ? { ...common, op: 'conv2d', depthwise: false, view } : { ...common, op: 'convTranspose', outputPadding: [0, 0], view }];
}

/**
 * The 0/1 kernel that moves channel k of pixel (i, j) of each r × r block to block channel (i·r + j)·c + k (DCR) or
 * k·r² + i·r + j (CRD) of one pixel: [r, r, c, r²·c] for a stride-r conv2d (space to depth, `toChannels`), [r, r, r²·c, c]
 * for a stride-r transposed convolution (depth to space). DepthToSpace, SpaceToDepth, PixelShuffle and PixelUnshuffle.
 */
function blockKernel(o: Op, r: number, c: number, mode: 'DCR' | 'CRD', toChannels: boolean): { shape: [number, number, number, number]; data: Float32Array } {
  const deep = c * r * r;
  // (r²·c)² weights: checked before allocating (r = 1000 of 10^6 channels was 'Invalid typed array length: 10^12', NN901)
  if (deep * deep > o.ctx.maxFloats) throw new NnchipError('NN109', `${o.n.opType}: blocksize ${r} of ${c * (toChannels ? 1 : r * r)} channels needs a 0/1 kernel of ${fmtInt(deep * deep)} weights, over the limit of ${fmtInt(o.ctx.maxFloats)} (--max-params)`, o.site);
  const data = new Float32Array(r * r * c * deep);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++)
      for (let k = 0; k < c; k++) {
        const block = mode === 'CRD' ? k * r * r + i * r + j : (i * r + j) * c + k;
        data[toChannels ? ((i * r + j) * c + k) * deep + block : ((i * r + j) * deep + block) * c + k] = 1;
      }
  return { shape: toChannels ? [r, r, c, deep] : [r, r, deep, c], data };
}

/** Channels indices[0], indices[1], … of x: a dense / 1×1 convolution whose kernel picks them (a 1 per output). */
export function selectChannels(o: Op, x: string, indices: readonly number[], output: string, name: string): Built {
  const v = o.ctx.view(x);
  const c = o.ctx.onnxShape(x)[o.channelAxis(x)]!;
  const count = indices.length;
  if (c * count > o.ctx.maxFloats) throw new NnchipError('NN109', `${o.n.opType}: selecting ${fmtInt(count)} of ${fmtInt(c)} channels needs a 0/1 kernel of ${fmtInt(c * count)} weights, over the limit of ${fmtInt(o.ctx.maxFloats)} (--max-params)`, o.site);
  if (v.rank === 2 && !v.transposed) return selectChannelsNode(name, x, c, indices, output, true);
  if (v.rank >= 3) return selectChannelsNode(name, v.last ? x : o.ctx.asMap(x, o.site), c, indices, output);
  throw o.fail(`input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; only [N, K] or a map's channels can be sliced`);
}

/**
 * Slice (opset ≥ 10) of the channel axis, any step (torch's x[:, a:b] and chunk, y[:, ::2], x.flip(1) as
 * step −1), and of a map's spatial axes with steps ≥ 1 (a U-Net's centre crop x[:, :, 4:-4, 4:-4]; YOLOv5's
 * Focus x[..., ::2, 1::2]): the channels picked, then a crop, then every k-th pixel (a 1×1 average pool of
 * stride k, exact).
 */
function slice(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const rank = shape.length;
  const list = (i: number, what: string): number[] | undefined => (o.optional(i) === undefined ? undefined : o.ctx.ints(o.input(i), o.site, what, i <= 2));
  const starts = list(1, 'starts') ?? [];
  const ends = list(2, 'ends') ?? [];
  const axes = (list(3, 'axes') ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const steps = list(4, 'steps') ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || axes.some((a) => !(a >= 0 && a < rank))) throw new NnchipError('NN107', 'Slice: starts, ends, axes and steps do not fit the input', o.site);
  const channel = o.channelAxis(x);
  // a map's spatial axes, as the IR's [H, W] (a 1-D map's one axis is W)
  const spatial = rank >= 3 ? Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 0 && i !== channel) : [];
  const cut = new Map<number, [number, number, number]>();
  let picked: number[] | undefined; // the channels kept, when not all of them in order
  axes.forEach((a, i) => {
    const d = shape[a]!;
    const k = steps[i]!;
    if (k === 0) throw new NnchipError('NN107', `Slice: step 0 on axis ${a}`, o.site);
    const [s, e] = sliceRange(starts[i]!, ends[i]!, k, d);
    const whole = k === 1 && s === 0 && e === d;
    if (a === channel && !whole) picked = steppedIndices(s, e, k);
    else if (spatial.includes(a) && k >= 1 && e > s) cut.set(a, [s, d - e, k]);
    else if (!whole) throw o.fail(`slicing axis ${a} of a ${shownValue(shape)} tensor${k !== 1 ? ` with step ${k}` : ''} is not supported (only the channel axis ${channel}, any step, or a map's spatial axes with steps ≥ 1)`);
  });
  if (picked?.length === 0) throw o.fail(`the slice of ${shownValue(shape)} is empty`);
  const [ya, xa] = spatial.length === 2 ? spatial : [undefined, spatial[0]];
  const none: [number, number, number] = [0, 0, 1];
  const [cy, cx] = [ya === undefined ? none : (cut.get(ya) ?? none), xa === undefined ? none : (cut.get(xa) ?? none)];
  const crop = [cy[0], cx[0], cy[1], cx[1]] as const;
  const [cropped, strided] = [crop.some((p) => p > 0), cy[2] > 1 || cx[2] > 1];
  const built: Built[] = [];
  const step = (last: boolean): { name: string; output: string } => (last ? { name: o.n.name, output: o.out } : { name: `${o.out}/${built.length}`, output: `${o.out}/${built.length}` });
  let cur = x;
  if (picked !== undefined) {
    const { name, output } = step(!cropped && !strided);
    built.push(selectChannels(o, x, picked, output, name));
    cur = output;
  } else if (cropped || strided) cur = o.map(0);
  if (cropped) built.push({ ...step(!strided), inputs: [cur], op: 'crop', crop }), (cur = built.at(-1)!.output);
  if (strided) built.push({ ...step(true), inputs: [cur], op: 'pool2d', kind: 'avg', size: [1, 1], strides: [cy[2], cx[2]], pads: [0, 0, 0, 0] });
  return built.length === 0 ? identity(o, x) : built;
}

/** Split of the channel axis (torch.split / chunk): one channel selection per output. */
function split(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const axis0 = o.n.attrs.int('axis', 0);
  const axis = axis0 < 0 ? axis0 + shape.length : axis0;
  const channel = o.channelAxis(x);
  if (axis !== channel) throw o.fail(`axis ${axis0} is not supported (only the channel axis, ${channel})`);
  const c = shape[channel]!;
  const n = o.n.outputs.length;
  const given = o.optional(1) !== undefined ? o.ctx.ints(o.input(1), o.site, 'split') : o.n.attrs.ints('split');
  // no sizes: equal parts (opset 18: num_outputs parts of ⌈C / n⌉, the last one smaller)
  const part = Math.ceil(c / n);
  const sizes = given ?? Array.from({ length: n }, (_, i) => Math.min(part, c - i * part));
  if (sizes.length !== n || sizes.some((k) => !(Number.isInteger(k) && k >= 1)) || sizes.reduce((p, k) => p + k, 0) !== c || (given === undefined && o.ctx.opset < 18 && c % n !== 0)) {
    throw new NnchipError('NN107', `Split: sizes ${shownValue(sizes)} do not split ${c} channels into ${n} outputs`, o.site);
  }
  let at = 0;
  return sizes.flatMap((k, i) => {
    const from = at;
    at += k;
    const out = o.n.outputs[i] ?? '';
    return out === '' ? [] : [selectChannels(o, x, steppedIndices(from, from + k, 1), out, n === 1 ? o.n.name : `${o.n.name}/${i}`)];
  });
}

/**
 * DepthToSpace (PyTorch's PixelShuffle: mode CRD; DCR the default): output pixel (y·r + i, x·r + j) of
 * channel c is input channel c·r² + i·r + j (CRD) or (i·r + j)·C/r² + c (DCR) at (y, x). A transposed
 * convolution by a kernel r × r of stride r places one tap on each output pixel: its 0/1 kernel is the
 * rearrangement, exact, with no MAC spent on a zero tap (one phase per (i, j)).
 */
function depthToSpace(o: Op): Built[] {
  const x = o.map(0);
  const r = o.n.attrs.int('blocksize', 0);
  if (!o.n.attrs.has('blocksize')) throw new NnchipError('NN107', 'DepthToSpace: attribute blocksize is missing', o.site);
  const mode = o.n.attrs.string('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') throw o.fail(`mode "${mode}" is not supported (only DCR and CRD)`);
  const c = o.ctx.onnxShape(x)[1]!;
  if (o.dims(x) !== 2 || !(r >= 1) || c % (r * r) !== 0) throw new NnchipError('NN107', o.dims(x) !== 2 ? `DepthToSpace: input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; expected a map [N, C, H, W]` : `DepthToSpace: blocksize ${r} does not divide the ${c} channels of ${shownValue(o.ctx.onnxShape(x))} into r² blocks`, o.site);
  return [{ ...o.base([x]), op: 'convTranspose', kernel: blockKernel(o, r, c / (r * r), mode, false), bias: null, strides: [r, r], pads: [0, 0, 0, 0], outputPadding: [0, 0], activation: 'linear' }];
}

/** SpaceToDepth (DCR): output channel (i·r + j)·C + c at (y, x) ← input channel c at (y·r + i, x·r + j), a stride-r r × r conv2d of 0/1 weights. */
function spaceToDepth(o: Op): Built[] {
  const x = o.map(0);
  const r = o.n.attrs.int('blocksize', 0);
  if (!o.n.attrs.has('blocksize')) throw new NnchipError('NN107', 'SpaceToDepth: attribute blocksize is missing', o.site);
  const [c, h, w] = o.ctx.onnxShape(x).slice(1) as [number, number, number];
  if (o.dims(x) !== 2 || !(r >= 1) || h % r !== 0 || w % r !== 0) throw new NnchipError('NN107', o.dims(x) !== 2 ? `SpaceToDepth: input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; expected a map [N, C, H, W]` : `SpaceToDepth: blocksize ${r} does not divide the ${h}×${w} pixels of ${shownValue(o.ctx.onnxShape(x))}`, o.site);
  return [{ ...o.base([x]), op: 'conv2d', kernel: blockKernel(o, r, c, 'DCR', true), bias: null, strides: [r, r], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' }];
}

function concat(o: Op): Built[] {
  // no input at all was 'input tensor "undefined" is not produced'
  const xs = o.n.inputs.length === 0 ? [o.activation(0)] : o.n.inputs.map((_, i) => o.activation(i));
  const v = o.ctx.view(xs[0]!);
  const axis = o.n.attrs.int('axis', 1);
  const channel = o.channelAxis(xs[0]!);
  if (xs.some((x) => JSON.stringify(o.ctx.view(x)) !== JSON.stringify(v))) throw o.fail('inputs have different layouts');
  const positive = axis < 0 ? axis + v.rank : axis;
  // along a map's spatial axis (torch.cat of maps along H or W, of 1-D maps along L): one copy per input into its block of
  // the output (as Keras' Concatenate along H / W)
  const spatial = v.rank >= 3 && v.flat === undefined && v.groups === undefined && v.blocks === undefined && v.grouped === undefined ? Array.from({ length: v.rank }, (_, i) => i).filter((i) => i !== 0 && i !== channel) : [];
  if (positive !== channel && spatial.includes(positive) && xs.length > 1) {
    const maps = xs.map((x) => o.ctx.asMap(x, o.site));
    const along: 0 | 1 = spatial.length === 2 && positive === spatial[0] ? 0 : 1;
    return [{ ...spatialConcatNode(maps, along, o.out), name: o.n.name, view: v }];
  }
  if (axis !== channel && axis !== channel - v.rank) throw o.fail(`axis ${axis} is not supported (only the channel axis, ${channel}, or a map's spatial axes)`);
  // one input (DenseNet's first layer: torch.cat of a list of one): the tensor itself
  if (xs.length === 1) return identity(o, xs[0]!);
  return [{ ...o.base(v.rank >= 3 ? xs.map((x) => o.ctx.asMap(x, o.site)) : xs), op: 'concat' }];
}

/**
 * Expand of a computed tensor (F.normalize's ‖x‖.expand_as(x), torch's x.expand(...)): no data moves; the output
 * is the tensor itself, marked with the shape it stands for (OnnxView.expandedTo), and only an Add, Sub, Mul or Div
 * beside an operand of that shape may read it (onnx-op.ts checks), whose broadcasting does the same. An Expand of
 * constants is folded (onnx-fold.ts).
 */
function expand(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  const target = o.ctx.ints(o.input(1), o.site, 'shape');
  const to = expandShape(from, target)?.to;
  if (to === undefined) throw new NnchipError('NN107', `Expand: shape ${shownValue(target)} does not broadcast a ${shownValue(from)} tensor`, o.site);
  if (same(to, from)) return identity(o, x);
  if (o.ctx.isModelOutput(o.out)) throw o.fail(`to ${shownValue(to)} as the model's output is not supported (an Expand is read only by Add, Sub, Mul or Div)`);
  return identity(o, x, { ...o.ctx.view(x), expandedTo: to });
}

export const LAYOUT_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  Expand: expand,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Identity: (o) => identity(o, o.activation(0)),
  Slice: slice,
  Split: split,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  Dropout: (o) => (o.onlyFirstOutput(), identity(o, o.activation(0))),
  // x.float() / .to(torch.float32) on the float input, and a float16 model's Casts between FLOAT and FLOAT16 (onnxconverter-common
  // writes them at the graph's input and output and around the ops it keeps in float32): identities — nnchip computes in float32 and
  // quantizes every tensor it keeps to int8, far coarser than half precision (docs/numerics.md). A Cast of integer constants is folded.
  Cast: (o) => {
    if (!o.n.attrs.has('to')) throw new NnchipError('NN107', 'Cast: attribute to (the type to cast to) is missing', o.site);
    const to = o.n.attrs.int('to', 0);
    if (!isFloatType(to)) throw o.fail(`to ${dtypeName(to)} of a computed tensor is not supported (only to a float type: FLOAT, FLOAT16, BFLOAT16, DOUBLE)`);
    return identity(o, o.activation(0));
  },
};
