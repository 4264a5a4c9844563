// SPDX-License-Identifier: MIT
/**
 * Instance, group, layer and local response normalization as IR ops that exist (the importers' one
 * decomposition: ONNX InstanceNormalization, torch's GroupNorm pattern, Keras GroupNormalization, ONNX
 * LayerNormalization, ONNX and TF LRN). No new op and no new
 * lowering: every backend runs them as it runs those ops (docs/numerics.md, "Instance and group norm").
 */
import { broadcastNodes } from './broadcast.js';
import type { Activation, Node } from './graph.js';
import { channelSpread } from './product.js';
import type { ExprStep } from './expression.js';

/** A node without its names (distributed over the union, so each op's fields are checked). */
type Body = Node extends infer N ? (N extends Node ? Omit<N, 'name' | 'output'> : never) : never;

export interface NormalizeOptions {
  /** ε under the square root */
  readonly eps: number;
  /** channels are normalized over their group's channels and pixels (1 group per channel: instance norm) */
  readonly groups: number;
  /** the per-channel affine after it (γ, β); absent: none */
  readonly scale?: Float32Array;
  readonly offset?: Float32Array;
}

/** C×C: the mean over each channel's group (row i, column j: 1/group size when both are in one group), times k. */
function groupMean(c: number, groups: number, k: number): { shape: number[]; data: Float32Array } {
  const size = c / groups;
  const data = new Float32Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) if (Math.floor(i / size) === Math.floor(j / size)) data[i * c + j] = k / size;
  return { shape: [c, c], data };
}

/**
 * y = (x − μ) / √(σ² + ε) · γ + β over each channel's (group's) pixels of the map x [H, W, C] → `output`:
 *   m = mean over pixels (globalAvgPool)                 [C]
 *   −μ = dense(m, −A) (A: the group mean; I per channel)  [C]
 *   b = −μ at every pixel (broadcast.ts: 1×1 → 1×W → H×W)  [H, W, C]
 *   d = x + b (add)
 *   r = rsqrt(mean over pixels of square(d)) (a table on d's codes; the pool's threshold is the rsqrt
 *       table over its int32 mean, or the group mean's dense's over its sum)
 *   y = channelMul(d, r), then batchNorm(γ, β)
 * The caller checks that C is a multiple of `groups`.
 */
export function normalizeNodes(name: string, x: string, output: string, [h, w, c]: readonly [number, number, number], o: NormalizeOptions): Node[] {
  const t = (s: string): string => `${name}/${s}`;
  const node = (n: Body, out: string): Node => ({ ...n, name: out === output ? name : out, output: out }) as Node;
  const perChannel = o.groups === c;
  const rsqrt = { fn: 'rsqrt', alpha: o.eps } as const;
  const nodes: Node[] = [
    node({ op: 'globalAvgPool', inputs: [x] }, t('mean')),
    node({ op: 'dense', inputs: [t('mean')], kernel: groupMean(c, o.groups, -1), bias: null, activation: 'linear' }, t('negmean')),
  ];
  // the broadcast in two copies (W + H one-line ops, not H·W one-pixel ones)
  const spread = broadcastNodes(t('negmean'), [c], [h, w, c], t('negmean'));
  nodes.push(...spread.nodes);
  const b = spread.output;
  nodes.push(node({ op: 'add', inputs: [x, b] }, t('centred')), node({ op: 'activation', inputs: [t('centred')], fn: { fn: 'square' } }, t('square')));
  if (perChannel) nodes.push(node({ op: 'globalAvgPool', inputs: [t('square')], activation: rsqrt }, t('rsqrt')));
  else nodes.push(node({ op: 'globalAvgPool', inputs: [t('square')] }, t('variance')), node({ op: 'dense', inputs: [t('variance')], kernel: groupMean(c, o.groups, 1), bias: null, activation: rsqrt }, t('rsqrt')));
  const affine = (o.scale !== undefined && o.scale.some((v) => v !== 1)) || (o.offset !== undefined && o.offset.some((v) => v !== 0));
  nodes.push(node({ op: 'channelMul', inputs: [t('centred'), t('rsqrt')] }, affine ? t('normalized') : output));
  if (affine) nodes.push(node({ op: 'batchNorm', inputs: [t('normalized')], scale: o.scale ?? new Float32Array(c).fill(1), offset: o.offset ?? new Float32Array(c) }, output));
  return nodes;
}

/**
 * Layer normalization over each pixel's channels (ONNX LayerNormalization over the last axis of a channels-last
 * map or of rows [N, T, F]: ConvNeXt's permute → LayerNorm → permute, a transformer's per-token norm) of the map
 * x [H, W, C] → `output`, as ops that exist:
 *   d = x · (I − 1/C)                          a 1×1 conv: each channel minus the pixel's mean (exact weights)
 *   s = square(d)                              a step table on d's codes
 *   r = rsqrt(mean over the channels of s + ε)  a 1×1 conv of 1/C to one channel, the rsqrt table in its threshold
 *   y = d ⊙ r (r repeated over the channels: a 1×1 conv of ones), the product of two maps (ir/product.ts); then γ, β
 */
export function pixelNormNodes(name: string, x: string, output: string, c: number, o: Omit<NormalizeOptions, 'groups'>): Node[] {
  const t = (s: string): string => `${name}/${s}`;
  const conv = (out: string, input: string, cout: number, w: (i: number, j: number) => number, activation: Activation = 'linear'): Node => {
    const data = Float32Array.from({ length: c * cout }, (_, k) => w(Math.floor(k / cout), k % cout));
    return { name: out, op: 'conv2d', inputs: [input], output: out, kernel: { shape: [1, 1, c, cout], data }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation };
  };
  const affine = (o.scale !== undefined && o.scale.some((v) => v !== 1)) || (o.offset !== undefined && o.offset.some((v) => v !== 0));
  const nodes: Node[] = [
    conv(t('centred'), x, c, (i, j) => (i === j ? 1 : 0) - 1 / c),
    { name: t('square'), op: 'activation', inputs: [t('centred')], output: t('square'), fn: { fn: 'square' } },
    conv(t('rsqrt'), t('square'), 1, () => 1 / c, { fn: 'rsqrt', alpha: o.eps }),
    channelSpread(t('rsqrt'), c, t('spread')),
    { name: affine ? t('normalized') : name, op: 'mul', inputs: [t('centred'), t('spread')], output: affine ? t('normalized') : output },
  ];
  if (affine) nodes.push({ name, op: 'batchNorm', inputs: [t('normalized')], output, scale: o.scale ?? new Float32Array(c).fill(1), offset: o.offset ?? new Float32Array(c) });
  return nodes;
}

/**
 * L2 normalization over each pixel's channels (Keras UnitNormalization: x · min(rsqrt(Σ x²), 1/ε)) of the map
 * x [H, W, C] → `output`, as ops that exist (docs/numerics.md, "L2 normalization"):
 *   s = square(x)                               a step table on x's codes
 *   r = 1 / max(√(conv1×1(s, ones)), ε)          [H, W, 1]: the table in the conv's threshold, over its int32 sum of squares
 *   y = x ⊙ r (r repeated over the channels: a 1×1 conv of ones), the product of two maps (ir/product.ts)
 * ONNX's F.normalize (ReduceL2, Clip, Div) becomes the same nodes through its importer.
 */
export function l2NormNodes(name: string, x: string, output: string, c: number, eps: number): Node[] {
  const t = (s: string): string => `${name}/${s}`;
  const expr: ExprStep[] = [{ op: 'x' }, { op: 'relu', args: [0] }, { op: 'sqrt', args: [1] }, { op: 'const', value: eps }, { op: 'max', args: [2, 3] }, { op: 'reciprocal', args: [4] }];
  return [
    { name: t('square'), op: 'activation', inputs: [x], output: t('square'), fn: { fn: 'square' } },
    { name: t('rnorm'), op: 'conv2d', inputs: [t('square')], output: t('rnorm'), kernel: { shape: [1, 1, c, 1], data: new Float32Array(c).fill(1) }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: { fn: 'expr', expr } },
    channelSpread(t('rnorm'), c, t('spread')),
    { name, op: 'mul', inputs: [x, t('spread')], output },
  ];
}

export interface LrnOptions {
  /** channels before and after each channel in its window (ONNX size: ⌊(size − 1)/2⌋ and ⌈(size − 1)/2⌉; TF depth_radius: r and r) */
  readonly before: number;
  readonly after: number;
  /** the factor on the sum of squares (ONNX alpha / size, TF alpha), the bias (k) and the exponent β */
  readonly alpha: number;
  readonly bias: number;
  readonly beta: number;
}

/**
 * Local response normalization across channels (AlexNet, GoogLeNet, CaffeNet: ONNX LRN, TF LRN) of the
 * map x [H, W, C] → `output`, as ops that exist (docs/numerics.md, "Local response normalization"):
 *   s = square(x)                                        a step table on x's codes
 *   g = (bias + alpha · Σ_{window} s)^−β                  a 1×1 conv of a 0/1 band, g's table in its threshold
 *   y = x ⊙ g                                            the product of two maps (ir/product.ts)
 * The caller checks bias > 0 (g stays finite) and β finite.
 */
export function lrnNodes(name: string, x: string, output: string, c: number, o: LrnOptions): Node[] {
  const t = (s: string): string => `${name}/${s}`;
  const band = new Float32Array(c * c);
  for (let i = 0; i < c; i++) for (let j = Math.max(0, i - o.after); j <= Math.min(c - 1, i + o.before); j++) band[i * c + j] = 1;
  // relu: a sum of squares is never negative; it keeps the table's search away from a negative base
  const expr: ExprStep[] = [{ op: 'x' }, { op: 'relu', args: [0] }, { op: 'const', value: o.alpha }, { op: 'mul', args: [1, 2] }, { op: 'const', value: o.bias }, { op: 'add', args: [3, 4] }, { op: 'const', value: -o.beta }, { op: 'pow', args: [5, 6] }];
  return [
    { name: t('square'), op: 'activation', inputs: [x], output: t('square'), fn: { fn: 'square' } },
    { name: t('scale'), op: 'conv2d', inputs: [t('square')], output: t('scale'), kernel: { shape: [1, 1, c, c], data: band }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: { fn: 'expr', expr } },
    { name, op: 'mul', inputs: [x, t('scale')], output },
  ];
}
