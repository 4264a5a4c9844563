// SPDX-License-Identifier: MIT
/** Squeeze-excite blocks as graph IR (the per-channel product channelMul), for the agreement, property and cosim tests. */
import type { TableActivation } from '../../src/ir/activations.js';
import type { Activation, Graph, Node } from '../../src/ir/graph.js';
import { rng } from './random-graph.js';

export interface SeOptions {
  readonly h: number;
  readonly w: number;
  /** input channels, and the block's */
  readonly cin: number;
  readonly c: number;
  /** the squeeze's hidden units */
  readonly hidden: number;
  /** the block's activation before the squeeze (its zero point is the product's correction) */
  readonly act: Activation;
  readonly gate: TableActivation;
  readonly seed: number;
  /** a 1x1 convolution after the product (else the product is the output) */
  readonly project?: number;
}

/** input → conv 3x3 (act) = x → global pool → dense (relu) → dense (gate) = g → x·g [→ conv 1x1]. */
export function seGraph(o: SeOptions): Graph {
  const r = rng(o.seed);
  const weights = (n: number, fan: number): Float32Array => Float32Array.from({ length: n }, () => ((r() * 2 - 1) * 1.5) / Math.sqrt(fan));
  const bias = (n: number): Float32Array => Float32Array.from({ length: n }, () => (r() * 2 - 1) * 0.2);
  const nodes: Node[] = [
    { name: 'conv', op: 'conv2d', inputs: ['input'], output: 'x', kernel: { shape: [3, 3, o.cin, o.c], data: weights(9 * o.cin * o.c, 9 * o.cin) }, bias: { shape: [o.c], data: bias(o.c) }, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: o.act },
    { name: 'squeeze', op: 'globalAvgPool', inputs: ['x'], output: 'p' },
    { name: 'fc1', op: 'dense', inputs: ['p'], output: 'h', kernel: { shape: [o.c, o.hidden], data: weights(o.c * o.hidden, o.c) }, bias: { shape: [o.hidden], data: bias(o.hidden) }, activation: 'relu' },
    { name: 'fc2', op: 'dense', inputs: ['h'], output: 'g', kernel: { shape: [o.hidden, o.c], data: weights(o.hidden * o.c, o.hidden) }, bias: { shape: [o.c], data: bias(o.c) }, activation: o.gate },
    { name: 'excite', op: 'channelMul', inputs: ['x', 'g'], output: 'y' },
  ];
  if (o.project !== undefined) nodes.push({ name: 'project', op: 'conv2d', inputs: ['y'], output: 'z', kernel: { shape: [1, 1, o.c, o.project], data: weights(o.c * o.project, o.c) }, bias: { shape: [o.project], data: bias(o.project) }, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  return { name: 'se', inputs: [{ name: 'input', shape: [o.h, o.w, o.cin] }], nodes, outputs: [o.project === undefined ? 'y' : 'z'], notes: [] };
}
