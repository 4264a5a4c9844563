/** Small CNNs for the fused max pool (passes/fuse-ops.ts): conv3x3 + relu → max pool kh×kw (stride = size unless given). */
import type { Graph } from '../../src/ir/graph.js';
import { builder } from './random-cnn.js';

export const POOLED_INPUT = [6, 8, 3] as const;

/** A max pool's stride and [top, left, bottom, right] padding. */
export interface PoolShape {
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

/** conv3x3 (+relu, 5 channels) → max pool kh×kw → output; `keep` also outputs the conv (then nothing fuses). */
export function pooledCnn(kh: number, kw: number, keep = false, shape: PoolShape = { strides: [kh, kw], pads: [0, 0, 0, 0] }): Graph {
  const b = builder(7);
  const c1 = b.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: b.tensor([3, 3, 3, 5], 0.6), bias: b.tensor([5], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  const mp = b.add({ name: 'mp', op: 'pool2d', kind: 'max', size: [kh, kw], strides: shape.strides, pads: shape.pads, inputs: [c1], output: 'mp' });
  return { name: 'pooled', inputs: [{ name: 'input', shape: [...POOLED_INPUT] }], nodes: b.nodes, outputs: keep ? [mp, c1] : [mp], notes: [] };
}
