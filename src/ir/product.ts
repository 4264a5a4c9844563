// SPDX-License-Identifier: MIT
/**
 * The element-wise product of two computed tensors (IR `mul`: a gated convolution, a spatial gate,
 * x · sigmoid(conv(x))) as ops that exist: no op of the array multiplies two computed values, so
 *   a ⊙ b = ((a + k·b)² − (a − k·b)²) / 4k        (quarter squares)
 * with adds, per-channel scales of ±k and two step tables (t²/4k, −t²/4k) on the sums' codes. No new
 * op and no new lowering: every backend runs it as it runs those ops (docs/numerics.md, "A product of
 * two maps"). k balances the two operands: their calibrated widths' ratio, so k·b has a's scale, the
 * add's two integer weights are both 127 (exact) and neither operand's steps drown in the other's.
 */
import type { ExprStep } from './expression.js';
import type { Graph, Node, NodeOf } from './graph.js';

/**
 * The quarter-square nodes of `output` = a ⊙ b over `c` channels (the last axis); the intermediate tensors are
 * named under `output` (unique, where two nodes may share a name), the last node is `name`:
 *   kb = b·k, nkb = b·(−k)                 batchNorm: exact copies when k·b takes a's scale
 *   p = a + kb, m = a + nkb                add: two weights of 127
 *   sp = p²/4k, sm = −m²/4k                step tables on the codes of p and m
 *   output = sp + sm
 */
export function productNodes(name: string, a: string, b: string, output: string, c: number, k = 1): Node[] {
  const t = (s: string): string => `${output}/${s}`;
  const scale = (s: number): Float32Array => new Float32Array(c).fill(s);
  const square = (sign: 1 | -1): { fn: 'expr'; expr: ExprStep[] } => ({ fn: 'expr', expr: [{ op: 'x' }, { op: 'mul', args: [0, 0] }, { op: 'const', value: sign / (4 * k) }, { op: 'mul', args: [1, 2] }] });
  return [
    { name: t('kb'), op: 'batchNorm', inputs: [b], output: t('kb'), scale: scale(k), offset: scale(0) },
    { name: t('nkb'), op: 'batchNorm', inputs: [b], output: t('nkb'), scale: scale(-k), offset: scale(0) },
    { name: t('sum'), op: 'add', inputs: [a, t('kb')], output: t('sum') },
    { name: t('diff'), op: 'add', inputs: [a, t('nkb')], output: t('diff') },
    { name: t('sq+'), op: 'activation', inputs: [t('sum')], output: t('sq+'), fn: square(1) },
    { name: t('sq-'), op: 'activation', inputs: [t('diff')], output: t('sq-'), fn: square(-1) },
    { name, op: 'add', inputs: [t('sq+'), t('sq-')], output },
  ];
}

/** The width of a calibrated range with 0 in it (what sets an int8 scale, passes/quantize.ts). */
const width = ([lo, hi]: readonly [number, number]): number => Math.max(0, hi) - Math.min(0, lo);

/** k for a ⊙ b: a's width over b's (1 when either is 0 or unknown). */
export function balance(a: readonly [number, number] | undefined, b: readonly [number, number] | undefined): number {
  if (a === undefined || b === undefined) return 1;
  const k = width(a) / width(b);
  return Number.isFinite(k) && k > 0 ? k : 1;
}

/** True when the graph has a product of two computed tensors to expand. */
export function hasProducts(g: Graph): boolean {
  return g.nodes.some((n) => n.op === 'mul');
}

/** The tensors the products read (their calibrated ranges set each k). */
export function productOperands(g: Graph): Set<string> {
  return new Set(g.nodes.flatMap((n) => (n.op === 'mul' ? n.inputs : [])));
}

/**
 * Every `mul` as quarter squares, k from `ranges` (the operands' calibrated [min, max]; none: k = 1,
 * as for a shape-only lowering). `channels` gives a tensor's channel count (its shape's last axis).
 * A product of a tensor by itself is the square alone: one table t².
 */
export function expandProducts(g: Graph, channels: (t: string) => number, ranges?: ReadonlyMap<string, readonly [number, number]>): Graph {
  if (!hasProducts(g)) return g;
  const nodes = g.nodes.flatMap((n): Node[] => {
    if (n.op !== 'mul') return [n];
    const [a, b] = n.inputs as [string, string];
    if (a === b) return [{ name: n.name, op: 'activation', inputs: [a], output: n.output, fn: { fn: 'square' } }];
    return productNodes(n.name, a, b, n.output, channels(a), balance(ranges?.get(a), ranges?.get(b)));
  });
  return { ...g, nodes };
}

/**
 * A one-channel map [H, W, 1] repeated over `c` channels (a spatial gate read by every channel, before its
 * product with an [H, W, C] map): a 1×1 convolution with a row of ones, an exact copy of its codes.
 */
/**
 * One value of a vector ([1]) repeated over its k features as the map [1, 1, k]: `${name}/value` (a reshape to one
 * pixel) and `${name}/spread` (a 1×1 conv of ones). A vector times the value is then channelMul with it as the gate
 * (its weight tiles: no quarter squares, whose difference of two large squares loses a small x against a large value,
 * as F.normalize's x · 1/‖x‖ has it); a vector plus it, the add of two one-pixel maps. The ONNX and TF graph importers'.
 */
export function valueSpread(value: string, k: number, name: string): [NodeOf<'reshape'>, NodeOf<'conv2d'>] {
  const map = `${name}/value`;
  return [{ name: map, op: 'reshape', inputs: [value], output: map, shape: [1, 1, 1] }, channelSpread(map, k, `${name}/spread`)];
}

export function channelSpread(g: string, c: number, name: string): NodeOf<'conv2d'> {
  const kernel = { shape: [1, 1, 1, c], data: new Float32Array(c).fill(1) };
  return { name, op: 'conv2d', inputs: [g], output: name, kernel, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' };
}
