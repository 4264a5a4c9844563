// SPDX-License-Identifier: MIT
/**
 * ONNX Gather of one map position, and of a vector's features or a map's channels (src/importers/onnx-ops-recurrent.ts
 * takes the sequences and recurrent outputs and hands these here).
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { Built, Op } from './onnx-op.js';
import { selectChannels } from './onnx-ops-layout.js';

/**
 * Gather of one position along a map's spatial axis by a constant index: a TCN's or a recurrent net's last step
 * `y[:, :, -1]` of [N, C, L], a ViT's class token `x[:, 0]` of the rows [N, T, F], `x[:, :, 0]` of [N, C, H, W]: a crop
 * of that line (an exact copy), the axis dropped for a scalar index (a vector out, or the 1-D map of the other axis)
 * or kept for a list of one.
 */
export function gatherMapPosition(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const rank = shape.length;
  const indices = o.input(1);
  const dims = o.ctx.isConst(indices) ? o.ctx.constShape(indices) : undefined;
  if (dims === undefined) throw o.fail(`indices "${indices}" are computed at run time; only constant indices are supported`);
  const index = o.ctx.ints(indices, o.site, 'indices');
  const a0 = o.n.attrs.int('axis', 0);
  const axis = a0 < 0 ? a0 + rank : a0;
  if (!(axis >= 0 && axis < rank)) throw new NnchipError('NN107', `Gather: axis ${a0} is outside a ${shownValue(shape)} tensor`, o.site);
  const channel = o.channelAxis(x);
  const spatial = rank >= 3 ? Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 0 && i !== channel) : [];
  const flat = o.ctx.view(x).flat;
  if (index.length !== 1 || dims.length > 1 || !spatial.includes(axis) || (flat !== undefined && dims.length !== 0)) {
    throw o.fail(`${index.length === 1 ? 'an index' : `${index.length} indices`} along axis ${axis} of a ${shownValue(shape)} tensor ${axis === channel ? '(its channels) ' : ''}is not supported (only one constant index along a map's spatial axis or a sequence's steps: y[:, :, -1], x[:, 0])`);
  }
  const d = shape[axis]!;
  const i = index[0]! < 0 ? index[0]! + d : index[0]!;
  if (!(i >= 0 && i < d)) throw new NnchipError('NN107', `Gather: index ${index[0]} is outside axis ${axis} of a ${shownValue(shape)} tensor`, o.site);
  const v = o.ctx.view(x);
  if (flat !== undefined) {
    // a map's pixels in one axis ([1, C, H·W], or the rows [1, H·W, C]): pixel i of the map, a vector out
    const [fh, fw] = flat;
    const [py, px] = [Math.floor(i / fw), i % fw];
    const pixel = { name: `${o.n.name}/crop`, inputs: [x], output: `${o.out}/crop`, op: 'crop' as const, crop: [py, px, fh - py - 1, fw - px - 1] as const };
    return [pixel, { ...o.base([pixel.output]), op: 'flatten', view: { rank: 2, last: false } }];
  }
  const map = o.map(0);
  // the IR map [H, W, C]: a 1-D map's one axis is W
  const alongH = spatial.length === 2 && axis === spatial[0];
  const crop = alongH ? ([i, 0, d - i - 1, 0] as const) : ([0, i, 0, d - i - 1] as const);
  // a list of one keeps the axis: the crop is the result
  if (dims.length === 1) return [{ ...o.base([map]), op: 'crop', crop }];
  const cut = { name: `${o.n.name}/crop`, inputs: [map], output: `${o.out}/crop`, op: 'crop' as const, crop };
  // a 1-D map or the rows lose their one axis: a vector
  if (spatial.length === 1) return [cut, { ...o.base([cut.output]), op: 'flatten', view: { rank: 2, last: false } }];
  // [N, C, H, W] without H: the 1-D map of W ([1, W, C], the crop's shape); without W: of H (the crop's [H, 1, C] as [1, H, C])
  if (alongH) return [{ ...o.base([map]), op: 'crop', crop, view: { rank: 3, last: v.last } }];
  const [h, c] = v.last ? [shape[1]!, shape[3]!] : [shape[2]!, shape[1]!];
  return [cut, { ...o.base([cut.output]), op: 'reshape', shape: [1, h, c], view: { rank: 3, last: v.last } }];
}

/**
 * Gather of a vector's features or a map's channels by constant indices (torch's x[:, [2, 1, 0]] BGR flip,
 * index_select, y[:, 3]): the channels picked by a 0/1 kernel (onnx-ops-layout.ts selectChannels), exact. A
 * list keeps the axis; one index drops it: of a vector [N, K] the one value [N] (its exact view), of a 1-D map
 * or the rows a vector, of a map [N, C, H, W] the one-channel map [H, W, 1] in the exact view [N, H, W] (as a
 * channel reduction without keepdims: reshapes and per-element ops read it).
 */
export function gatherChannels(o: Op): Built[] {
  const x = o.activation(0);
  const shape = o.ctx.onnxShape(x);
  const v = o.ctx.view(x);
  const indices = o.input(1);
  const dims = o.ctx.isConst(indices) ? o.ctx.constShape(indices) : undefined;
  if (dims === undefined) throw o.fail(`indices "${indices}" are computed at run time; only constant indices are supported`);
  const c = shape[o.channelAxis(x)]!;
  const given = o.ctx.ints(indices, o.site, 'indices');
  const outside = given.find((i) => !(i >= -c && i < c));
  if (outside !== undefined) throw new NnchipError('NN107', `Gather: index ${outside} is outside the ${c} channels of a ${shownValue(shape)} tensor`, o.site);
  const picked = given.map((i) => (i < 0 ? i + c : i));
  if (dims.length > 1 || picked.length === 0) throw o.fail(`indices of shape ${shownValue(dims)} are not supported (one index, or a non-empty list)`);
  if (dims.length === 1) return [selectChannels(o, x, picked, o.out, o.n.name)];
  if (v.flat !== undefined) throw o.fail(`one index of the channels of a map viewed as ${shownValue(shape)} is not supported (only a list of indices)`);
  if (v.rank === 2) return [{ ...selectChannels(o, x, picked, o.out, o.n.name), view: { rank: 1, last: false, exact: [shape[0]!] } }];
  if (v.rank === 4) return [{ ...selectChannels(o, x, picked, o.out, o.n.name), view: { rank: 3, last: false, exact: shape.filter((_, i) => i !== o.channelAxis(x)) } }];
  const one = `${o.out}/channel`;
  return [selectChannels(o, x, picked, one, one), { ...o.base([one]), op: 'flatten', view: { rank: 2, last: false } }];
}

/** Whether a Gather reads a plain vector's features or a map's channels (gatherChannels). */
export function gathersChannels(o: Op): boolean {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const rank = o.ctx.onnxShape(x).length;
  const a0 = o.n.attrs.int('axis', 0);
  const plain = v.exact === undefined && v.groups === undefined && v.blocks === undefined && v.grouped === undefined && v.transposed !== true;
  return plain && (a0 < 0 ? a0 + rank : a0) === o.channelAxis(x) && (v.rank === 2 || o.ctx.irShape(x).length === 3);
}
