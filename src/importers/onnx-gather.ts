// SPDX-License-Identifier: MIT
/**
 * ONNX Gather of one map position (src/importers/onnx-ops-recurrent.ts takes the sequences and recurrent outputs and
 * hands maps here).
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { Built, Op } from './onnx-op.js';

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
