// SPDX-License-Identifier: MIT
/**
 * The TF graph ops that move or reduce data without weights (Mean, Sum, Max, Reshape, Squeeze, ExpandDims,
 * Pad, ConcatV2, ResizeNearestNeighbor, ResizeBilinear, StridedSlice, DepthToSpace) as graph IR nodes.
 */
import { spatialConcatNode } from '../ir/concat-spatial.js';
import { checkBytes } from './limits.js';
import { channelMaxNodes, channelMeanNode, selectChannelsNode, sliceRange, steppedIndices } from '../ir/channel-reduce.js';
import { tfShapeOf, type Op, type Runtime, type Value } from './tfjs-graph-op.js';
import { shownValue } from '../diagnostics/error.js';

/**
 * Mean (Sum, Max) over H and W of an NHWC map, or over L of an [N, L, C] sequence: global average (sum) pooling
 * (a max pool with one window over the whole map).
 */
export function reduce(x: Op, kind: 'avg' | 'sum' | 'max'): Value {
  const input = x.tensor(0);
  const axes = Array.from(x.constant(1, 'reduction_indices').data, (a) => (a < 0 ? a + input.rank : a)).sort();
  const spatial = input.rank === 4 ? '1,2' : input.rank === 3 ? '1' : '';
  const keep = x.bool('keep_dims');
  // over a map's channels, kept as one (CBAM's channel pool): a 1×1 conv of 1/C, or pairwise maxima (ir/channel-reduce.ts)
  if (input.rank === 4 && axes.join() === '3' && keep) {
    const c = input.shape[2]!;
    const nodes = kind === 'max' ? channelMaxNodes(x.n.name, input.name, c) : [channelMeanNode(x.n.name, input.name, c, x.n.name, kind === 'sum')];
    return nodes.map((n) => x.ctx.emit(n, 4)).at(-1)!;
  }
  // over a vector's features, kept as one value (tf.math.l2_normalize's sum of squares of an embedding): as a one-pixel map
  if (input.rank === 2 && axes.join() === '1' && keep) {
    const c = input.shape[0]!;
    const map = x.reshaped(input, [1, 1, 1, c], `${x.n.name}/map`);
    const nodes = kind === 'max' ? channelMaxNodes(`${x.n.name}/value`, map.name, c) : [channelMeanNode(`${x.n.name}/value`, map.name, c, `${x.n.name}/value`, kind === 'sum')];
    return x.reshaped(nodes.map((n) => x.ctx.emit(n, 4)).at(-1)!, [1, 1]);
  }
  if (axes.join() !== spatial) throw x.fail('NN110', `${x.n.op} over axes ${shownValue(axes)} of a rank-${input.rank} tensor is not supported (only the spatial axes: 1, 2 of a map, 1 of a sequence; the channels, 3, of a map with keep_dims; or the features, 1, of a vector with keep_dims)`);
  const name = keep || kind === 'max' ? `${x.n.name}/${kind === 'max' ? 'max' : 'mean'}` : x.n.name;
  const [h, w, c] = input.shape as [number, number, number];
  const pooled = kind === 'max'
    ? x.ctx.emit({ name, output: name, op: 'pool2d', kind: 'max', inputs: [input.name], size: [h, w], strides: [1, 1], pads: [0, 0, 0, 0] }, input.rank)
    : x.ctx.emit({ name, output: name, op: 'globalAvgPool', inputs: [input.name], ...(kind === 'sum' ? { sum: true } : {}) }, 2);
  const vector = kind === 'max' ? x.reshaped(pooled, [1, c], keep ? `${x.n.name}/vector` : x.n.name) : pooled;
  return keep ? x.reshaped(vector, [...(input.rank === 4 ? [1, 1, 1] : [1, 1]), c]) : vector;
}

export function reshape(x: Op): Value {
  const input = x.tensor(0);
  const target = Array.from(x.constant(1, 'shape').data);
  const total = input.shape.reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const dims = target.map((d) => (d === -1 ? total / known : d));
  if (target.filter((d) => d === -1).length > 1 || dims.some((d) => !Number.isInteger(d) || d < 1) || dims.reduce((a, b) => a * b, 1) !== total) throw x.fail('NN203', `cannot reshape ${shownValue(tfShapeOf(input))} to ${shownValue(target)}`);
  const [, h, w, a, b] = dims;
  // a channel shuffle: the map's channels split in groups [1, H, W, a, b], and back
  if (input.rank === 4 && input.grouped === undefined && dims.length === 5 && dims[0] === 1 && h === input.shape[0] && w === input.shape[1]) {
    return { ...input, rank: 5, grouped: { split: [a!, b!], swapped: false } };
  }
  if (input.grouped !== undefined) {
    const g = input.grouped;
    if (dims.length !== 4 || dims.join() !== [1, ...input.shape].join()) throw x.fail('NN110', `Reshape of a map's channels split in groups ${shownValue(tfShapeOf(input))} to ${shownValue(dims)} is not supported (only back to ${shownValue([1, ...input.shape])}: a channel shuffle)`);
    const { grouped: _, ...rest } = input;
    const plain = { ...rest, rank: 4 };
    if (!g.swapped) return plain;
    // element (i, j) of [1, H, W, p, q] is IR channel j·p + i: TF channel k = i·q + j
    const [p, q] = g.split;
    return pickChannels(x, plain, Array.from({ length: p * q }, (_, k) => (k % q) * p + Math.floor(k / q)));
  }
  return x.reshaped(input, dims);
}

/** Unpack (tf.unstack) of the batch axis of a batch of one: that sample, its batch axis dropped (Runtime.unbatched). */
export function unpackBatch(x: Op): Value {
  const input = x.tensor(0);
  const axis = x.int('axis', 0);
  if (x.int('num') !== 1 || (axis !== 0 && axis !== -tfShapeOf(input).length) || input.unbatched === true) {
    throw x.fail('NN110', `Unpack along axis ${axis} into ${x.int('num')} tensors is not supported (only the batch axis of a batch of one)`);
  }
  return { ...input, unbatched: true };
}

/**
 * Transpose: of a channel shuffle's groups [1, H, W, a, b] the last two axes ([0, 1, 2, 4, 3]); otherwise only one
 * that moves axes of size 1 (the other axes keep their order, so no element moves: a reshape).
 */
export function transpose(x: Op): Value {
  const input = x.tensor(0);
  const tf = tfShapeOf(input);
  const perm = Array.from(x.constant(1, 'perm').data);
  if (perm.length !== tf.length || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) throw x.fail('NN107', `perm ${shownValue(perm)} is not a permutation of a rank-${tf.length} tensor's axes`);
  const g = input.grouped;
  if (g !== undefined && perm.join() === '0,1,2,4,3') return { ...input, grouped: { split: [g.split[1], g.split[0]], swapped: !g.swapped } };
  const moved = perm.filter((p) => tf[p] !== 1);
  if (g === undefined && moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return x.reshaped(input, perm.map((p) => tf[p]!));
  throw x.fail('NN110', `Transpose ${shownValue(perm)} of a ${shownValue(tf)} tensor is not supported (only a channel shuffle's [0, 1, 2, 4, 3] between reshapes, or one moving axes of size 1)`);
}

export function squeeze(x: Op): Value {
  const input = x.tensor(0);
  const full = tfShapeOf(input);
  const listed = x.ints('squeeze_dims', []).map((d) => (d < 0 ? d + full.length : d));
  // the batch axis alone: the same tensor, without its batch (an ExpandDims at axis 0 puts it back)
  if (listed.length === 1 && listed[0] === 0 && input.unbatched === undefined) return { ...input, unbatched: true };
  const drop = listed.length > 0 ? listed : full.map((_, i) => i).filter((i) => i > 0 && full[i] === 1);
  if (drop.some((d) => full[d] !== 1 || d === 0)) throw x.fail('NN203', `cannot squeeze axes ${shownValue(listed)} of ${shownValue(full)}`);
  return x.reshaped(input, full.filter((_, i) => !drop.includes(i)));
}

/** A new axis of size 1 (Conv1D's ExpandDims before its Conv2D). */
export function expandDims(x: Op): Value {
  const input = x.tensor(0);
  const full = tfShapeOf(input);
  const raw = x.constant(1, 'axis').data[0]!;
  if (input.unbatched === true) {
    if (raw !== 0) throw x.fail('NN110', `ExpandDims at axis ${raw} of a tensor without its batch axis is not supported (only at axis 0, putting the batch back)`);
    const { unbatched: _, ...batched } = input;
    return batched;
  }
  const axis = raw < 0 ? raw + full.length + 1 : raw;
  if (!Number.isInteger(axis) || axis < 1 || axis > full.length) throw x.fail('NN110', `ExpandDims at axis ${raw} of ${shownValue(full)} is not supported (only after the batch axis)`);
  return x.reshaped(input, [...full.slice(0, axis), 1, ...full.slice(axis)]);
}

export function pad(x: Op): Value {
  const input = x.map();
  const p = Array.from(x.constant(1, 'paddings').data);
  if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p.some((d) => d < 0)) throw x.fail('NN110', `paddings ${shownValue(p)} are not supported (only non-negative padding of an NHWC map's H, W and channels)`);
  const [before, after] = [p[6]!, p[7]!];
  const spatial = p.slice(2, 6).some((d) => d > 0);
  if (before + after === 0) return x.ctx.emit({ ...x.base(), op: 'pad', inputs: [input.name], pads: [p[2]!, p[4]!, p[3]!, p[5]!] }, 4);
  // zero channels around the map's (BlazeFace's channel_padding before a residual add): a 1×1 convolution whose
  // kernel copies channel c to c + before, the new channels' columns all zero
  const c = input.shape[2];
  const cout = before + c + after;
  checkBytes(c * cout * 4, x.ctx.limits, x.site, `Pad of the channels (${c} → ${cout}: a ${c}×${cout} identity kernel)`);
  const kernel = new Float32Array(c * cout);
  for (let i = 0; i < c; i++) kernel[i * cout + before + i] = 1;
  const name = spatial ? `${x.n.name}/channels` : x.n.name;
  const widened = x.ctx.emit({ name, output: name, op: 'conv2d', inputs: [input.name], kernel: { shape: [1, 1, c, cout], data: kernel }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' }, 4);
  return spatial ? x.ctx.emit({ ...x.base(), op: 'pad', inputs: [widened.name], pads: [p[2]!, p[4]!, p[3]!, p[5]!] }, 4) : widened;
}

export function concat(x: Op): Value {
  const n = x.n.inputs.length - 1;
  const parts = Array.from({ length: n }, (_, i) => x.tensor(i));
  const rank = parts[0]?.rank ?? 0;
  const raw = x.constant(n, 'axis').data[0]!;
  const axis = raw < 0 ? raw + rank : raw;
  if (n < 2) throw x.fail('NN107', `ConcatV2 has ${n} input(s); it needs at least two`);
  if (parts.some((p) => p.rank !== rank)) throw x.fail('NN203', 'ConcatV2 of tensors of different ranks');
  // along H or W of a map (W of a sequence [1, L, C]): one concat node with its axis
  const a = rank === 4 && (axis === 1 || axis === 2) ? ((axis - 1) as 0 | 1) : rank === 3 && axis === 1 ? 1 : undefined;
  if (a !== undefined) return spatialConcat(x, parts, a);
  if (axis !== rank - 1) throw x.fail('NN110', `ConcatV2 along axis ${raw} is not supported (only the channel axis, and H or W of a map)`);
  return x.ctx.emit({ ...x.base(), op: 'concat', inputs: parts.map((p) => p.name) }, rank);
}

function spatialConcat(x: Op, parts: readonly Runtime[], a: 0 | 1): Value {
  const other = 1 - a;
  if (parts.some((p) => p.shape[other] !== parts[0]!.shape[other] || p.shape[2] !== parts[0]!.shape[2])) throw x.fail('NN203', `ConcatV2 along ${a === 0 ? 'H' : 'W'} of maps that differ in ${a === 0 ? 'width' : 'height'} or channels`);
  return x.ctx.emit(spatialConcatNode(parts.map((p) => p.name), a, x.n.name), parts[0]!.rank);
}

/**
 * Resize by whole factors: nearest (Keras UpSampling2D; with or without half-pixel centres, output (y, x)
 * reads (⌊y/fy⌋, ⌊x/fx⌋)) or bilinear (half-pixel centres or, without, source y / fy: tfjs's own; align_corners:
 * source y·(H − 1)/(fy·H − 1), as TF's DeepLab resizes its logits).
 */
export function resize(x: Op, bilinear: boolean): Value {
  const input = x.map();
  const [oh, ow] = Array.from(x.constant(1, 'size').data);
  const [h, w] = input.shape;
  // a 1×1 map (DeepLab's image pooling, resized to the feature map with align_corners): every output is its one pixel,
  // whatever the method and coordinate rule: nearest copies along W, then along H
  if (h === 1 && w === 1 && oh !== undefined && ow !== undefined && Number.isInteger(oh) && Number.isInteger(ow) && oh >= 1 && ow >= 1) {
    if (oh === 1 && ow === 1) return x.ctx.emit({ ...x.base(), op: 'identity', inputs: [input.name] }, 4);
    if (oh === 1 || ow === 1) return x.ctx.emit({ ...x.base(), op: 'upsample', inputs: [input.name], factors: [oh, ow] }, 4);
    const row = x.ctx.emit({ name: `${x.n.name}/row`, output: `${x.n.name}/row`, op: 'upsample', inputs: [input.name], factors: [1, ow] }, 4);
    return x.ctx.emit({ ...x.base(), op: 'upsample', inputs: [row.name], factors: [oh, 1] }, 4);
  }
  const corners = x.bool('align_corners');
  if (corners && !bilinear) throw x.fail('NN110', 'ResizeNearestNeighbor with align_corners is not supported (only the default, false; ResizeBilinear takes it)');
  if (oh === undefined || ow === undefined || oh % h !== 0 || ow % w !== 0 || oh < h || ow < w) throw x.fail('NN110', `resizing ${h}×${w} to ${oh}×${ow} is not supported (only by whole factors ≥ 1)`);
  const linear = bilinear ? { linear: corners ? ('align_corners' as const) : x.bool('half_pixel_centers') ? ('half_pixel' as const) : ('asymmetric' as const) } : {};
  return x.ctx.emit({ ...x.base(), op: 'upsample', inputs: [input.name], factors: [oh / h, ow / w], ...linear }, 4);
}

/** Channels (the last axis) `indices` of t, in that order: a 1×1 conv (of a vector, a dense) of 0/1 weights, exact. */
function pickChannels(x: Op, t: Runtime, indices: readonly number[], name = x.n.name): Runtime {
  const c = t.shape[t.shape.length - 1]!;
  if (c * indices.length > x.ctx.limits.maxParams) throw x.fail('NN110', `selecting ${indices.length} of ${c} channels needs a 0/1 kernel of ${c * indices.length} weights, over --max-params`);
  return x.ctx.emit(selectChannelsNode(name, t.name, c, indices, name, t.rank === 2), t.rank);
}

/** One axis of a slice: [start, end) by `step`, or (`one`) the single index `start`, its axis dropped. */
interface AxisCut {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly one: boolean;
}

/**
 * A slice of t given per TF axis: the channels (the last axis) any step, a vector's one feature dropped to the value
 * [1, 1] (`y[:, 0]`: at batch 1 it broadcasts as TF's [1] does), H and W of a map or a sequence's steps with step 1
 * (Keras Cropping2D, `x[:, 2:-2]`); the batch whole. The crop first, then the channels picked.
 */
function sliceOf(x: Op, t: Runtime, cuts: readonly AxisCut[]): Value {
  const tf = tfShapeOf(t);
  const rank = tf.length;
  const lo = [0, 0];
  const hi = [0, 0];
  let picked: number[] | undefined;
  cuts.forEach((cut, a) => {
    const n = tf[a]!;
    if (cut.step === 0) throw x.fail('NN107', `stride 0 on axis ${a}`);
    if (cut.one) {
      const i = cut.start < 0 ? cut.start + n : cut.start;
      if (!(i >= 0 && i < n)) throw x.fail('NN203', `index ${cut.start} is outside axis ${a} of a ${shownValue(tf)} tensor`);
      if (a !== rank - 1 || rank !== 2) throw x.fail('NN110', `dropping axis ${a} of a ${shownValue(tf)} tensor (shrink_axis_mask) is not supported (only a vector's features: y[:, 0])`);
      picked = [i];
      return;
    }
    const [s, e] = sliceRange(cut.start, cut.end, cut.step, n);
    const whole = cut.step === 1 && s === 0 && e === n;
    if (whole) return;
    if (a === rank - 1) picked = steppedIndices(s, e, cut.step);
    else if (a > 0 && cut.step === 1 && e > s) {
      // the IR map [H, W, C]; a sequence [1, L, C]'s steps are its W
      const k = rank === 4 ? a - 1 : 1;
      [lo[k], hi[k]] = [s, n - e];
    } else throw x.fail('NN110', `slicing axis ${a} of a ${shownValue(tf)} tensor ${cut.step !== 1 ? `with stride ${cut.step} ` : ''}is not supported (only the channels, the last axis, with any stride, or H and W of a map with stride 1)`);
  });
  if (picked?.length === 0) throw x.fail('NN110', `the slice of ${shownValue(tf)} is empty`);
  let cur = t;
  if (lo.some((d) => d > 0) || hi.some((d) => d > 0)) {
    const name = picked === undefined ? x.n.name : `${x.n.name}/crop`;
    cur = x.ctx.emit({ name, output: name, op: 'crop', inputs: [t.name], crop: [lo[0]!, lo[1]!, hi[0]!, hi[1]!] }, rank);
  }
  return picked === undefined ? cur : pickChannels(x, cur, picked);
}

/**
 * StridedSlice of a computed tensor (begin, end and strides constants; begin_mask, end_mask, and shrink_axis_mask on a
 * vector's features; entries past the lists' length take the whole axis): see sliceOf.
 */
export function stridedSlice(x: Op): Value {
  const t = x.tensor(0);
  const rank = tfShapeOf(t).length;
  const [begin, end, strides] = [Array.from(x.constant(1, 'begin').data), Array.from(x.constant(2, 'end').data), Array.from(x.constant(3, 'strides').data)];
  const mask = (key: string): number => x.int(key, 0);
  if (mask('ellipsis_mask') || mask('new_axis_mask')) throw x.fail('NN110', 'StridedSlice with an ellipsis or a new axis is not supported');
  if (begin.length !== end.length || begin.length !== strides.length || begin.length > rank) throw x.fail('NN107', `begin ${shownValue(begin)}, end ${shownValue(end)} and strides ${shownValue(strides)} do not fit a rank-${rank} tensor`);
  const cuts = Array.from({ length: rank }, (_, a): AxisCut => {
    const step = strides[a] ?? 1;
    const bit = (key: string): boolean => (mask(key) & (1 << a)) !== 0 || a >= begin.length;
    // a masked end runs past the last element in the stride's direction (−n − 1 wraps to −1 for a stride < 0)
    return { start: bit('begin_mask') ? (step > 0 ? 0 : -1) : begin[a]!, end: bit('end_mask') ? (step > 0 ? Infinity : -Infinity) : end[a]!, step, one: (mask('shrink_axis_mask') & (1 << a)) !== 0 };
  });
  return sliceOf(x, t, cuts);
}

/** Slice (tf.slice: begin and size constants, a size of −1 to the end): a StridedSlice of stride 1. */
export function slice(x: Op): Value {
  const t = x.tensor(0);
  const tf = tfShapeOf(t);
  const [begin, size] = [Array.from(x.constant(1, 'begin').data), Array.from(x.constant(2, 'size').data)];
  if (begin.length !== tf.length || size.length !== tf.length || begin.some((b, a) => !(b >= 0 && b <= tf[a]!)) || size.some((d, a) => !(d === -1 || (d >= 0 && begin[a]! + d <= tf[a]!)))) {
    throw x.fail('NN203', `begin ${shownValue(begin)} and size ${shownValue(size)} do not fit a ${shownValue(tf)} tensor`);
  }
  return sliceOf(x, t, tf.map((n, a) => ({ start: begin[a]!, end: size[a] === -1 ? n : begin[a]! + size[a]!, step: 1, one: false })));
}

/**
 * GatherV2 of a vector's features or a map's channels (the last axis) by constant indices (tf.gather(x, [2, 1, 0],
 * axis=-1), a BGR flip): the channels picked; one index of a vector's features is its value [1, 1], as sliceOf.
 */
export function gatherV2(x: Op): Value {
  const t = x.tensor(0);
  const tf = tfShapeOf(t);
  const indices = x.constant(1, 'indices');
  const axes = Array.from(x.constant(2, 'axis').data);
  const axis = axes.length === 1 ? (axes[0]! < 0 ? axes[0]! + tf.length : axes[0]!) : -1;
  if (axis !== tf.length - 1 || x.int('batch_dims', 0) !== 0 || indices.shape.length > 1) {
    throw x.fail('NN110', `GatherV2 along axis ${shownValue(axes)} of a ${shownValue(tf)} tensor with indices of shape ${shownValue(indices.shape)} is not supported (only a list of indices, or one, along the last axis)`);
  }
  const c = tf[axis]!;
  const given = Array.from(indices.data);
  const outside = given.find((i) => !(Number.isInteger(i) && i >= 0 && i < c));
  // TF refuses negative indices on the CPU
  if (outside !== undefined) throw x.fail('NN203', `index ${outside} is outside the ${c} channels of a ${shownValue(tf)} tensor`);
  if (given.length === 0) throw x.fail('NN110', 'GatherV2 of no indices is not supported');
  if (indices.shape.length === 0 && tf.length !== 2) throw x.fail('NN110', `one index of the last axis of a ${shownValue(tf)} tensor is not supported (only of a vector's features, or a list of indices)`);
  return pickChannels(x, t, given);
}

/**
 * SpaceToBatchND (TF's dilated convolution: SpaceToBatchND → VALID stride-1 convolution → BatchToSpaceND,
 * as TF writes depthwise and atrous convolutions): the block's phases of the padded map, convolved, are the
 * padded map convolved with the kernel dilated by the block. Here: the pad, marked for the convolution
 * (tfjs-graph-ops.ts), which becomes that dilated one; BatchToSpaceND's crops a crop of its result.
 */
export function spaceToBatch(x: Op): Value {
  const input = x.map();
  const block = Array.from(x.constant(1, 'block_shape').data);
  const p = Array.from(x.constant(2, 'paddings').data);
  const [h, w] = input.shape;
  if (block.length !== 2 || block.some((d) => !Number.isInteger(d) || d < 1) || p.length !== 4 || p.some((d) => !Number.isInteger(d) || d < 0) || (h + p[0]! + p[1]!) % block[0]! !== 0 || (w + p[2]! + p[3]!) % block[1]! !== 0) {
    throw x.fail('NN110', `SpaceToBatchND by ${shownValue(block)} with paddings ${shownValue(p)} of a ${h}×${w} map is not supported (only a block of H and W dividing the padded map)`);
  }
  const spaced = { block: [block[0]!, block[1]!] as const, stage: 'input' as const };
  const padded = p.some((d) => d > 0) ? x.ctx.emit({ ...x.base(), op: 'pad', inputs: [input.name], pads: [p[0]!, p[2]!, p[1]!, p[3]!] }, 4) : x.tensor(0);
  return { ...padded, spaced };
}

export function batchToSpace(x: Op): Value {
  const input = x.map(0, 'output');
  const block = Array.from(x.constant(1, 'block_shape').data);
  const c = Array.from(x.constant(2, 'crops').data);
  if (input.spaced === undefined || block.join() !== input.spaced.block.join() || c.length !== 4 || c.some((d) => !Number.isInteger(d) || d < 0)) throw x.fail('NN110', `BatchToSpaceND by ${shownValue(block)} with crops ${shownValue(c)} is not supported (only after a SpaceToBatchND of that block and its convolution)`);
  if (c.every((d) => d === 0)) return { kind: 'tensor', name: input.name, shape: input.shape, rank: 4 };
  return x.ctx.emit({ ...x.base(), op: 'crop', inputs: [input.name], crop: [c[0]!, c[2]!, c[1]!, c[3]!] }, 4);
}

/**
 * DepthToSpace (NHWC, TF's DCR order; MediaPipe's face and pose detectors upsample their heads so): output pixel
 * (y·r + i, x·r + j), channel c is input channel (i·r + j)·C/r² + c at (y, x). A transposed convolution of stride r
 * whose r × r 0/1 kernel is that rearrangement places one tap on each output pixel: exact, as ONNX DepthToSpace's.
 */
export function depthToSpace(x: Op): Value {
  x.nhwc();
  const input = x.map();
  const r = x.int('block_size');
  const deep = input.shape[2];
  if (r < 1 || deep % (r * r) !== 0) throw x.fail('NN110', `block_size ${r} does not divide the ${deep} channels into r² = ${r * r} blocks`);
  const c = deep / (r * r);
  checkBytes(r * r * deep * c * 4, x.ctx.limits, x.site, `DepthToSpace of ${deep} channels by ${r} (an ${r}×${r}×${deep}×${c} 0/1 kernel)`);
  const data = new Float32Array(r * r * deep * c);
  for (let t = 0; t < r * r; t++) for (let k = 0; k < c; k++) data[(t * deep + t * c + k) * c + k] = 1;
  return x.ctx.emit({ ...x.base(), op: 'convTranspose', inputs: [input.name], kernel: { shape: [r, r, deep, c], data }, bias: null, strides: [r, r], pads: [0, 0, 0, 0], outputPadding: [0, 0], activation: 'linear' }, 4);
}

/** The attribute the importer gives each part of a Split / SplitV (tfjs-graph.ts expandSplits): which output it is. */
export const SPLIT_PART = 'nnchip_split_part';

/**
 * One output of Split (inputs: axis, value; `num_split` equal parts) or SplitV (value, size_splits with at most one −1,
 * axis): along the channels a 1×1 conv of 0/1 weights selecting them (as ONNX Split), along H or W of a map a crop,
 * along the features of a vector [1, K] a dense of 0/1 weights.
 */
export function splitPart(x: Op): Value {
  const v = x.n.op === 'Split';
  const t = x.tensor(v ? 1 : 0);
  const k = x.int('num_split');
  const part = Number((x.n.attr[SPLIT_PART] as { i?: unknown } | undefined)?.i ?? 0);
  const axisConst = x.constant(v ? 0 : 2, 'axis').data;
  if (axisConst.length !== 1) throw x.fail('NN110', `${x.n.op} along axis ${shownValue(Array.from(axisConst))} is not supported (one axis)`);
  const axis = axisConst[0]! < 0 ? axisConst[0]! + t.rank : axisConst[0]!;
  const tf = [1, ...(t.rank === 3 ? [t.shape[1]!, t.shape[2]!] : t.shape)];
  const n = tf[axis];
  if (n === undefined || axis === 0) throw x.fail('NN110', `${x.n.op} along axis ${axisConst[0]} of a ${shownValue(tf)} tensor is not supported (only its channels, H or W)`);
  let sizes = v ? Array<number>(k).fill(n / k) : Array.from(x.constant(1, 'size_splits').data);
  const free = sizes.filter((d) => d === -1).length;
  if (free === 1) sizes = sizes.map((d) => (d === -1 ? n - sizes.reduce((a, b) => (b === -1 ? a : a + b), 0) : d));
  if (sizes.length !== k || free > 1 || sizes.some((d) => !Number.isInteger(d) || d < 0) || sizes.reduce((a, b) => a + b, 0) !== n) throw x.fail('NN107', `sizes ${shownValue(sizes)} do not split ${n} into ${k} parts`);
  const from = sizes.slice(0, part).reduce((a, b) => a + b, 0);
  const count = sizes[part]!;
  if (count === 0) throw x.fail('NN110', `${x.n.op} output ${part} is empty`);
  if (axis === t.rank - 1) return pickChannels(x, t, steppedIndices(from, from + count, 1));
  // H or W of a map (a sequence [1, L, C]'s steps are its W)
  const alongH = t.rank === 4 && axis === 1;
  const [before, after] = [from, n - from - count];
  return x.ctx.emit({ ...x.base(), op: 'crop', inputs: [t.name], crop: alongH ? [before, 0, after, 0] : [0, before, 0, after] }, t.rank);
}
