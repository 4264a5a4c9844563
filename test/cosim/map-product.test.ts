// SPDX-License-Identifier: MIT
/**
 * Products of two maps on RTL (ir/product.ts: nothing new for the hardware — ±k scales, adds, two
 * square step tables, an add): in Icarus the design computes what interpret() computes in exactly
 * scheduleTimes() cycles, on a gated convolution (conv · sigmoid(conv)), a spatial gate ([H, W, 1] spread
 * over the channels by a 1×1 conv of ones) and a layer norm per pixel (ir/normalize.ts) on a 4x4 machine.
 */
import { describe, test } from 'vitest';
import type { Graph, Node } from '../../src/ir/graph.js';
import { channelSpread } from '../../src/ir/product.js';
import { pixelNormNodes } from '../../src/ir/normalize.js';
import { compileGraph } from '../helpers/compile.js';
import { randomSamples } from '../helpers/random-graph.js';
import { expectRtlExact, haveTools } from './tools.js';

const [H, W, C] = [3, 4, 2];
const conv = (name: string, x: string, cout: number, seed: number, activation: 'linear' | 'relu' | { fn: 'sigmoid' } = 'linear'): Node => ({
  name, op: 'conv2d', inputs: [x], output: name, kernel: { shape: [3, 3, C, cout], data: randomSamples(1, 9 * C * cout, seed, -0.5, 0.5)[0]! },
  bias: null, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation,
});
const graph = (nodes: Node[]): Graph => ({ name: 'product', inputs: [{ name: 'x', shape: [H, W, C] }], nodes, outputs: [nodes.at(-1)!.output], notes: [] });
const CASES: [string, Graph][] = [
  ['conv · sigmoid(conv)', graph([conv('a', 'x', 3, 1), conv('b', 'x', 3, 2, { fn: 'sigmoid' }), { name: 'p', op: 'mul', inputs: ['a', 'b'], output: 'p' }])],
  ['relu conv · spread sigmoid gate [H, W, 1]', graph([conv('a', 'x', 3, 3, 'relu'), conv('g', 'x', 1, 4, { fn: 'sigmoid' }), channelSpread('g', 3, 'spread'), { name: 'p', op: 'mul', inputs: ['spread', 'a'], output: 'p' }])],
  ['conv, layer norm per pixel (γ, β)', graph([conv('a', 'x', 4, 5), ...pixelNormNodes('ln', 'a', 'n', 4, { eps: 1e-5, scale: Float32Array.of(0.5, 1, 1.5, 2), offset: Float32Array.of(0.1, -0.2, 0.3, 0) })])],
];

describe.skipIf(!haveTools('iverilog', 'vvp'))('products of two maps in Icarus', () => {
  test.each(CASES)('%s on 4x4: bit- and cycle-exact', (name, g) => {
    const p = compileGraph(g, randomSamples(12, H * W * C, 7, -1, 1), { rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 });
    return expectRtlExact(p, 'iverilog', 34, `${name} in Icarus`);
  }, 600_000);
});
