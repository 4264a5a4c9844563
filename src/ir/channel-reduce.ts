// SPDX-License-Identifier: MIT
/**
 * Reductions over a map's channels kept as one channel ([H, W, C] → [H, W, 1]; CBAM's channel pool:
 * x.mean(1, keepdim=True), x.amax(1, keepdim=True)) as ops that exist: the mean a 1×1 convolution of
 * weights 1/C; the max a tree of pairwise maxima, max(a, b) = a + relu(b − a) (docs/numerics.md). And
 * channels picked by constant indices (ONNX Slice, Split and Gather of the channels, TF Split, StridedSlice and
 * GatherV2: a run, every k-th, reversed, any list): a 1×1 convolution of 0/1 weights.
 */
import type { Node, NodeOf } from './graph.js';

/** 1×1 convolution of `x` with kernel rows [cin][cout] given by `w(i, j)`. */
function pointwise(name: string, x: string, cin: number, cout: number, w: (i: number, j: number) => number, activation: 'linear' | 'relu' = 'linear'): NodeOf<'conv2d'> {
  const data = new Float32Array(cin * cout);
  for (let i = 0; i < cin; i++) for (let j = 0; j < cout; j++) data[i * cout + j] = w(i, j);
  return { name, op: 'conv2d', inputs: [x], output: name, kernel: { shape: [1, 1, cin, cout], data }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation };
}

/**
 * Channels indices[0], indices[1], … of the c of `x` (a map, or with `vector` a vector), in that order, repeats
 * allowed: a 1×1 conv (a dense) whose output j has one weight 1, on input indices[j]. Exact: a code passes through.
 */
export function selectChannelsNode(name: string, x: string, c: number, indices: readonly number[], output: string, vector = false): Node {
  const conv = { ...pointwise(name, x, c, indices.length, (i, j) => (i === indices[j] ? 1 : 0)), output };
  return vector ? { name, op: 'dense', inputs: [x], output, kernel: { shape: [c, indices.length], data: conv.kernel.data }, bias: null, activation: 'linear' } : conv;
}

/**
 * Where a strided slice of an axis of size d starts and ends, as ONNX Slice and TF StridedSlice take them: a start
 * or end below 0 counts from the end, then both are clamped to [0, d] for a step > 0 and to [0, d − 1] / [−1, d − 1]
 * for a step < 0 (int64 sentinels included).
 */
export function sliceRange(start: number, end: number, step: number, d: number): [number, number] {
  const wrap = (v: number): number => (v < 0 ? v + d : v);
  if (step > 0) return [Math.min(d, Math.max(0, wrap(start))), Math.min(d, Math.max(0, wrap(end)))];
  return [Math.min(d - 1, Math.max(0, wrap(start))), Math.min(d - 1, Math.max(-1, wrap(end)))];
}

/** from, from + step, … while short of `end` (a step < 0 counts down): the channels of a strided slice. */
export function steppedIndices(from: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; step > 0 ? i < end : i > end; i += step) out.push(i);
  return out;
}

/** The mean (or sum) of the channels of `x` ([H, W, C] → [H, W, 1]): a 1×1 convolution of 1/C (1). */
export function channelMeanNode(name: string, x: string, c: number, output = name, sum = false): Node {
  return { ...pointwise(name, x, c, 1, () => (sum ? 1 : 1 / c)), output };
}

/**
 * The max of the channels of `x` ([H, W, C] → [H, W, 1]), `output` named `name`: per level, the first ⌈n/2⌉
 * channels a (selected by a 1×1 conv of ones) plus relu(b − a) of the other ⌊n/2⌋ (a 1×1 conv of ±1 with the
 * ReLU fused; an odd last channel of a has no partner and adds 0): ⌈log2 C⌉ levels of two convs and an add.
 */
export function channelMaxNodes(name: string, x: string, c: number, output = name): Node[] {
  const nodes: Node[] = [];
  let [at, n] = [x, c];
  for (let level = 1; n > 1; level++) {
    const keep = Math.ceil(n / 2);
    const pairs = Math.floor(n / 2);
    const t = (s: string): string => `${name}/max${level}/${s}`;
    const last = keep === 1;
    const from = n;
    nodes.push(
      pointwise(t('a'), at, from, keep, (i, j) => (i === j ? 1 : 0)),
      // column j < pairs: channel keep + j minus channel j; an odd last column reads nothing (relu(0) = 0)
      pointwise(t('rise'), at, from, keep, (i, j) => (j < pairs ? (i === keep + j ? 1 : i === j ? -1 : 0) : 0), 'relu'),
      { name: last ? name : t('max'), op: 'add', inputs: [t('a'), t('rise')], output: last ? output : t('max') },
    );
    [at, n] = [last ? output : t('max'), keep];
  }
  if (nodes.length === 0) nodes.push({ name, op: 'identity', inputs: [x], output });
  return nodes;
}
