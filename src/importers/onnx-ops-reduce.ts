// SPDX-License-Identifier: MIT
/**
 * ONNX reductions → IR: ReduceMean / ReduceSum / ReduceMax over a map's spatial axes (global pooling), over one of
 * them (a pooling window of that whole axis), or over the channels with keepdims (a 1×1 conv to one channel, or
 * pairwise maxima; of a vector [N, K] through a one-pixel map); ReduceSumSquare and ReduceL2 as a square table, the
 * sum and (L2) a √ table.
 */
import { shownValue } from '../diagnostics/error.js';
import { channelMaxNodes, channelMeanNode } from '../ir/channel-reduce.js';
import { Op, type Built } from './onnx-op.js';

/** A reduction: ReduceMean, ReduceSum, ReduceMax, or ReduceSumSquare / ReduceL2 (a sum of squares, then its square root). */
type Reduction = 'mean' | 'sum' | 'max' | 'sumSquare' | 'l2';

/**
 * ReduceMean / ReduceSum / ReduceMax over all spatial axes of a map (channel-first, or channels-last
 * after a Transpose or as MatMul's rows [N, T, F]) = global average (sum, max) pooling; over the channel
 * axis with keepdims, of a map (one channel) or a vector [N, K] (one value). ReduceSumSquare and ReduceL2
 * (F.normalize's ‖x‖, torch's x.norm(dim=1)) over the same axes: a square step table first, the sum, and for
 * L2 a √ table after it (Div composes it with its reciprocal: one table).
 */
function reduce(o: Op, kind: Reduction): Built[] {
  const built = reduceOf(o, kind === 'sumSquare' || kind === 'l2' ? 'sum' : kind, kind !== 'mean' && kind !== 'sum' && kind !== 'max');
  if (kind !== 'l2') return built;
  const last = built.at(-1)!;
  const sum = `${o.out}/sumsquare`;
  return [...built.slice(0, -1), { ...last, name: sum, output: sum }, { ...o.base([sum]), op: 'activation', fn: { fn: 'expr', expr: [{ op: 'x' }, { op: 'sqrt', args: [0] }] } }];
}

function reduceOf(o: Op, kind: 'mean' | 'sum' | 'max', squared: boolean): Built[] {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const keep = o.n.attrs.int('keepdims', 1) !== 0;
  const axesInput = o.optional(1);
  const listed = axesInput !== undefined ? o.ctx.ints(axesInput, o.site, 'axes') : o.n.attrs.ints('axes');
  if ((listed ?? []).length === 0 && o.n.attrs.int('noop_with_empty_axes', 0) !== 0) {
    if (squared) throw o.fail('over no axes (noop_with_empty_axes) is not supported');
    return [{ ...o.base([x]), op: 'identity' }];
  }
  const axes = (listed?.length ? listed : Array.from({ length: v.rank }, (_, i) => i)).map((a) => (a < 0 ? a + v.rank : a)).sort();
  const spatial = Array.from({ length: v.rank - 2 }, (_, i) => (v.last ? i + 1 : i + 2));
  // the squares of what is reduced (ReduceSumSquare, ReduceL2), computed after any reshape that makes it a map
  const pre: Built[] = [];
  const source = (t: string): string => {
    if (!squared) return t;
    const name = `${o.out}/square`;
    pre.push({ name, op: 'activation', inputs: [t], output: name, fn: { fn: 'square' } });
    return name;
  };
  const channel = o.channelAxis(x);
  // a vector's features, kept as one value (y.norm(dim=1, keepdim=True), x.mean(1, keepdim=True) of [N, K]): as a one-pixel map, then a vector
  if (keep && v.rank === 2 && !v.transposed && axes.length === 1 && axes[0] === channel) {
    const k = o.ctx.onnxShape(x)[channel]!;
    const map = `${o.out}/map`;
    const reshape: Built = { name: map, op: 'reshape', inputs: [x], output: map, shape: [1, 1, k] };
    const reduced = channelReduce(o, kind, source(map), k, `${o.out}/value`);
    return [reshape, ...pre, ...reduced, { ...o.base([reduced.at(-1)!.output]), op: 'reshape', shape: [1], view: { rank: 2, last: false } }];
  }
  // the mean or sum over a map's channels, kept as one channel (x.mean(1, keepdim=True), CBAM's channel pool): a 1×1 conv of 1/C (1);
  // the max (x.amax(1, keepdim=True)): pairwise maxima a + relu(b − a) of halves of the channels (ir/channel-reduce.ts). Without
  // keepdims (the original CBAM's torch.max(x, 1)[0].unsqueeze(1)) the same one-channel map [H, W, 1], whose elements are [1, H, W]'s in order
  const dropped = !keep && v.rank === 4 && v.flat === undefined;
  if ((keep || dropped) && v.rank >= 3 && axes.length === 1 && axes[0] === channel) {
    const shape = o.ctx.onnxShape(x);
    const c = shape[channel]!;
    const reduced = channelReduce(o, kind, source(v.last ? x : o.ctx.asMap(x, o.site)), c, o.out);
    const exact = dropped ? { view: { rank: 3, last: false, exact: shape.filter((_, i) => i !== channel) } } : {};
    return [...pre, ...reduced.map((n, i) => (i === reduced.length - 1 ? { ...n, name: o.n.name, ...exact } : n))];
  }
  // over one axis of a map (a CRNN's x.mean(2) over the frequencies, x.amax(3)): a pooling window over that whole axis
  if (!squared && v.rank === 4 && v.flat === undefined && axes.length === 1 && spatial.includes(axes[0]!)) return reduceLine(o, kind, x, axes[0] === spatial[0], keep);
  const what = squared ? 'sum of squares' : kind === 'max' ? 'max' : 'mean or sum';
  if (v.rank < 3 || JSON.stringify(axes) !== JSON.stringify(spatial)) {
    throw o.fail(`over axes ${shownValue(listed ?? 'all')} of a ${shownValue(o.ctx.onnxShape(x))} tensor is not supported (only over the spatial axes ${shownValue(spatial)} of the map: global pooling; or a ${what} over the channel axis ${channel} with keepdims 1)`);
  }
  const map = source(v.last ? x : o.ctx.asMap(x, o.site));
  const view = { rank: keep ? v.rank : 2, last: keep && v.last };
  if (kind !== 'max') return [...pre, { ...o.base([map]), op: 'globalAvgPool', ...(kind === 'sum' ? { sum: true } : {}), view }];
  // max: one pooling window over the whole map → [1, 1, C], then the vector [C] unless keepdims
  const shape = o.ctx.onnxShape(x);
  const [sp, c] = v.last ? [shape.slice(1, -1), shape.at(-1)!] : [shape.slice(2), shape[1]!];
  const [h, w] = v.flat ?? (sp.length === 1 ? [1, sp[0]!] : [sp[0]!, sp[1]!]);
  const pooled = keep ? o.out : `${o.out}/pooled`;
  const pool: Built = { name: o.n.name, inputs: [map], output: pooled, op: 'pool2d', kind: 'max', size: [h, w], strides: [1, 1], pads: [0, 0, 0, 0], view };
  return keep ? [pool] : [pool, { ...o.base([pooled]), name: `${o.n.name}/vector`, op: 'reshape', shape: [c], view }];
}

/** The mean, sum or max over the c channels of `map`'s pixels, into one channel named `output` (the last node computes it). */
function channelReduce(o: Op, kind: 'mean' | 'sum' | 'max', map: string, c: number, output: string): Built[] {
  return kind === 'max' ? channelMaxNodes(output, map, c) : [channelMeanNode(output, map, c, output, kind === 'sum')];
}

/**
 * A mean, sum or max over H (`alongH`) or W of a map: pool2d with one window of that whole axis, a sum as the mean times the
 * extent; without keepdims the 1-D map of the other axis ([1, C, W]: the pooled [1, W, C]; [1, C, H]: the pooled [H, 1, C]
 * read as [1, H, C]).
 */
function reduceLine(o: Op, kind: 'mean' | 'sum' | 'max', x: string, alongH: boolean, keep: boolean): Built[] {
  const v = o.ctx.view(x);
  const map = v.last ? x : o.ctx.asMap(x, o.site);
  const shape = o.ctx.onnxShape(x);
  const [h, w, c] = v.last ? [shape[1]!, shape[2]!, shape[3]!] : [shape[2]!, shape[3]!, shape[1]!];
  const at = (i: number): { name: string; output: string; inputs: string[] } => ({ name: `${o.out}/${i}`, output: `${o.out}/${i}`, inputs: [i === 0 ? map : `${o.out}/${i - 1}`] });
  const steps: Built[] = [{ ...at(0), op: 'pool2d', kind: kind === 'max' ? 'max' : 'avg', size: alongH ? [h, 1] : [1, w], strides: [1, 1], pads: [0, 0, 0, 0] }];
  if (kind === 'sum') steps.push({ ...at(steps.length), op: 'batchNorm', scale: new Float32Array(c).fill(alongH ? h : w), offset: new Float32Array(c) });
  if (!keep && !alongH) steps.push({ ...at(steps.length), op: 'reshape', shape: [1, h, c] });
  const last = steps.at(-1)!;
  steps[steps.length - 1] = { ...last, name: o.n.name, output: o.out, view: { rank: keep ? 4 : 3, last: v.last } };
  return steps;
}

export const REDUCE_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  ReduceMean: (o) => reduce(o, 'mean'),
  ReduceSum: (o) => reduce(o, 'sum'),
  ReduceMax: (o) => reduce(o, 'max'),
  ReduceSumSquare: (o) => reduce(o, 'sumSquare'),
  ReduceL2: (o) => reduce(o, 'l2'),
};
