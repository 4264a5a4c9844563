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
 * (a softmax's d and z quantized down to −ln(512·C) only: FLOOR_PER_CHANNEL)
 * Adds and tables only: no product of two computed tensors (ir/product.ts's quarter squares, which were
 * less exact here), and every tensor's range is bounded by the shift (d, z ≤ 0; s ≤ C) whatever the logits'
 * range. The shift cancels in z, so any m gives the same function in float; the extra ½ (MAX_MARGIN) keeps
 * d below 0 when the int8 max comes out a little low (its tree's rounding, or a logit past the calibrated
 * range saturating it), where d's codes would clip at the top of its range and the largest term be lost.
 */
import { channelMaxNodes, channelMeanNode } from './channel-reduce.js';
import type { ExprStep } from './expression.js';
import type { Graph, Node, NodeOf, RangeHint } from './graph.js';
import { channelSpread } from './product.js';
import { checkGraph } from './verify.js';

/** Nats subtracted beside the max: more than the int8 max tree's error, and exp(−½) keeps the largest term at 0.61. */
export const MAX_MARGIN = 0.5;

/**
 * How far below −MAX_MARGIN the log of the sum may fall on the machine: float calibration sees it no lower (the
 * largest term is e^−½), but the int8 max may come out a little high and x − m rounds (two large values, a small
 * difference), so the largest d can be a few tenths lower; clipped at −½, log Σ would leave z's top term that much
 * short (the digits MLP's 0.998 came out 0.84).
 */
const LOG_SUM_SLACK = 1;

/**
 * A softmax's exp(d) and exp(z) below 1/(512·C) round to a code of 0 whatever their tensor's scale (its largest value
 * is at least 1/C): the int8 ranges of d and z stop at −ln(512·C) (−8.5 for 10 classes, −13 for 1,000; their codes
 * saturate below), so their steps are set by the logits that matter, while the float graph stays the exact softmax.
 * Over the whole range, a classifier's logits spread over 30 made z's step 0.12 near 0, and the top probability could
 * only be 1 or 0.886 (a log-softmax's ranges stay whole: there the small values are the output).
 */
const FLOOR_PER_CHANNEL = 512;

const table = (op: 'exp' | 'log'): { fn: 'expr'; expr: ExprStep[] } => ({ fn: 'expr', expr: [{ op: 'x' }, { op, args: [0] }] });

/** −g − offset at every channel of a map of c (g: one channel). */
function negatedSpread(g: string, c: number, name: string, offset = 0): NodeOf<'conv2d'> {
  const bias = offset === 0 ? null : { shape: [c], data: new Float32Array(c).fill(-offset) };
  return { ...channelSpread(g, c, name), kernel: { shape: [1, 1, 1, c], data: new Float32Array(c).fill(-1) }, bias };
}

/**
 * The nodes computing `fn` of `x` into `output` (the last node is named `name`): `shape` [H, W, C] per
 * pixel over C, or [K] (reshaped to a map of one pixel and back); and where their int8 ranges differ from what
 * float calibration sees (Graph.rangeHints). Narrowed: a softmax's d and z to −ln(512·C) below
 * (FLOOR_PER_CHANNEL). Widened: exp(d) up to 1 (the largest d, −½ in float, can come out higher when the int8
 * max is a little low: clipped at e^−½, Σ and so every probability of that pixel came out too high, a
 * segmentation pixel's by 0.2); the log of the sum and its negation by LOG_SUM_SLACK; a softmax's
 * probabilities to the whole of [0, 1] (a sample more confident than every calibration sample would otherwise
 * saturate at their largest).
 */
export function softmaxNodes(name: string, x: string, output: string, shape: readonly number[], fn: 'softmax' | 'logsoftmax'): { nodes: Node[]; hints: [string, RangeHint][] } {
  const t = (s: string): string => `${name}/${s}`;
  const vector = shape.length === 1;
  const c = shape.at(-1)!;
  const nodes: Node[] = [];
  const map = vector ? t('map') : x;
  if (vector) nodes.push({ name: map, op: 'reshape', inputs: [x], output: map, shape: [1, 1, c] });
  const result = vector ? t('map-result') : output;
  const last = vector ? t('map-result') : name;
  if (c === 1) {
    // over one channel: 1 (log-softmax 0) whatever x, a table of one step (the general form would quantize d = −½ and
    // z = 0 over empty ranges; a 1×1 convolution of weight 0 and that bias loses the bias to the input's scale)
    const constant: Node = { name: last, op: 'activation', inputs: [map], output: result, fn: { fn: 'expr', expr: [{ op: 'x' }, { op: 'const', value: fn === 'softmax' ? 1 : 0 }] } };
    return { nodes: [...nodes, constant, ...(vector ? [{ name, op: 'reshape' as const, inputs: [result], output, shape: [c] }] : [])], hints: [] };
  }
  nodes.push(
    ...channelMaxNodes(t('max'), map, c),
    negatedSpread(t('max'), c, t('minus-max'), MAX_MARGIN),
    { name: t('shifted'), op: 'add', inputs: [map, t('minus-max')], output: t('shifted') },
    { name: t('exp'), op: 'activation', inputs: [t('shifted')], output: t('exp'), fn: table('exp') },
    channelMeanNode(t('sum'), t('exp'), c, t('sum'), true),
    { name: t('log-sum'), op: 'activation', inputs: [t('sum')], output: t('log-sum'), fn: table('log') },
    negatedSpread(t('log-sum'), c, t('minus-log-sum')),
  );
  if (fn === 'logsoftmax') nodes.push({ name: last, op: 'add', inputs: [t('shifted'), t('minus-log-sum')], output: result });
  else nodes.push({ name: t('log-softmax'), op: 'add', inputs: [t('shifted'), t('minus-log-sum')], output: t('log-softmax') }, { name: last, op: 'activation', inputs: [t('log-softmax')], output: result, fn: table('exp') });
  if (vector) nodes.push({ name, op: 'reshape', inputs: [result], output, shape: [c] });
  const logSum = [-MAX_MARGIN - LOG_SUM_SLACK, Math.log(c)] as const;
  const floor = -Math.log(FLOOR_PER_CHANNEL * c);
  const hints: [string, RangeHint][] = [[t('exp'), { reach: [0, 1] }], [t('log-sum'), { reach: logSum }], [t('minus-log-sum'), { reach: [-logSum[1], -logSum[0]] }]];
  if (fn === 'softmax') hints.push([t('shifted'), { within: [floor - MAX_MARGIN, Infinity] }], [t('log-softmax'), { within: [floor, Infinity] }], [result, { reach: [0, 1] }]);
  return { nodes, hints };
}

/** "Softmax" or "LogSoftmax": how errors name the node's function. */
export const softmaxName = (n: Node): string => (n.op === 'activation' && n.fn === 'logsoftmax' ? 'LogSoftmax' : 'Softmax');

/**
 * `g` with each softmax and log-softmax node that `pick` selects replaced by softmaxNodes (passes/simplify.ts: those
 * inside the network; importers/index.ts: every one, with --final-softmax compute); `refuse` throws for one that is
 * neither a vector nor a map (its input's rank).
 */
export function expandSoftmaxes(g: Graph, pick: (n: Node) => boolean, refuse: (n: Node, rank: number) => never): Graph {
  let shapes: Map<string, readonly number[]> | undefined;
  const hints = new Map(g.rangeHints);
  let changed = false;
  const nodes = g.nodes.flatMap((n) => {
    if (n.op !== 'activation' || (n.fn !== 'softmax' && n.fn !== 'logsoftmax') || !pick(n)) return [n];
    const shape = (shapes ??= checkGraph(g)).get(n.inputs[0]!)!;
    if (shape.length !== 1 && shape.length !== 3) refuse(n, shape.length);
    changed = true;
    const expanded = softmaxNodes(n.name, n.inputs[0]!, n.output, shape, n.fn);
    for (const [t, r] of expanded.hints) hints.set(t, r);
    return expanded.nodes;
  });
  return changed ? { ...g, nodes, rangeHints: hints } : g;
}
