// SPDX-License-Identifier: MIT
/**
 * Softmax and log-softmax inside a network (a gate, a classifier's probabilities read on by another
 * layer) as IR ops that exist, over the channels at each pixel of a map [H, W, C] or over the features
 * of a vector [K] (the map of one pixel). A final one is dropped instead (passes/simplify.ts: logits
 * out, argmax unchanged). No new op and no new lowering (docs/numerics.md, "Softmax inside a network"):
 *   m = max over the channels (channel-reduce.ts: pairwise maxima)           [H, W, 1]
 *   d = x − m − ½ (m repeated over the channels by a 1×1 convolution of −1)  [H, W, C], ≤ −½
 *   s = Σ exp(d) over the channels (exp a table; a 1×1 convolution of ones)   [H, W, 1], in [1, C]
 *   z = d − log s (log a table, repeated over the channels by one of −1)      = log-softmax, ≤ 0
 *   y = exp(z)                                                               = softmax, in (0, 1]
 * Adds and tables only: no product of two computed tensors (ir/product.ts's quarter squares, which were
 * less exact here), and every tensor's range is bounded by the shift (d, z ≤ 0; s ≤ C) whatever the logits'
 * range. The shift cancels in z, so any m gives the same function in float; the extra ½ (MAX_MARGIN) keeps
 * d below 0 when the int8 max comes out a little low (its tree's rounding, or a logit past the calibrated
 * range saturating it), where d's codes would clip at the top of its range and the largest term be lost.
 */
import { channelMaxNodes, channelMeanNode } from './channel-reduce.js';
import type { ExprStep } from './expression.js';
import type { Node, NodeOf } from './graph.js';
import { channelSpread } from './product.js';

/** Nats subtracted beside the max: more than the int8 max tree's error, and exp(−½) keeps the largest term at 0.61. */
export const MAX_MARGIN = 0.5;

const table = (op: 'exp' | 'log'): { fn: 'expr'; expr: ExprStep[] } => ({ fn: 'expr', expr: [{ op: 'x' }, { op, args: [0] }] });

/** −g − offset at every channel of a map of c (g: one channel). */
function negatedSpread(g: string, c: number, name: string, offset = 0): NodeOf<'conv2d'> {
  const bias = offset === 0 ? null : { shape: [c], data: new Float32Array(c).fill(-offset) };
  return { ...channelSpread(g, c, name), kernel: { shape: [1, 1, 1, c], data: new Float32Array(c).fill(-1) }, bias };
}

/**
 * The nodes computing `fn` of `x` into `output` (the last node is named `name`): `shape` [H, W, C] per
 * pixel over C, or [K] (reshaped to a map of one pixel and back).
 */
export function softmaxNodes(name: string, x: string, output: string, shape: readonly number[], fn: 'softmax' | 'logsoftmax'): Node[] {
  const t = (s: string): string => `${name}/${s}`;
  const vector = shape.length === 1;
  const c = shape.at(-1)!;
  const nodes: Node[] = [];
  const map = vector ? t('map') : x;
  if (vector) nodes.push({ name: map, op: 'reshape', inputs: [x], output: map, shape: [1, 1, c] });
  const result = vector ? t('map-result') : output;
  nodes.push(
    ...channelMaxNodes(t('max'), map, c),
    negatedSpread(t('max'), c, t('minus-max'), MAX_MARGIN),
    { name: t('shifted'), op: 'add', inputs: [map, t('minus-max')], output: t('shifted') },
    { name: t('exp'), op: 'activation', inputs: [t('shifted')], output: t('exp'), fn: table('exp') },
    channelMeanNode(t('sum'), t('exp'), c, t('sum'), true),
    { name: t('log-sum'), op: 'activation', inputs: [t('sum')], output: t('log-sum'), fn: table('log') },
    negatedSpread(t('log-sum'), c, t('minus-log-sum')),
  );
  const last = vector ? t('map-result') : name;
  if (fn === 'logsoftmax') nodes.push({ name: last, op: 'add', inputs: [t('shifted'), t('minus-log-sum')], output: result });
  else nodes.push({ name: t('log-softmax'), op: 'add', inputs: [t('shifted'), t('minus-log-sum')], output: t('log-softmax') }, { name: last, op: 'activation', inputs: [t('log-softmax')], output: result, fn: table('exp') });
  if (vector) nodes.push({ name, op: 'reshape', inputs: [result], output, shape: [c] });
  return nodes;
}
