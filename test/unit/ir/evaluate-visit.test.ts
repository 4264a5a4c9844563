// visitSamples (calibration's walk, which drops a tensor after its last reader) hands over every
// tensor evaluateGraph holds, with the same values, in the same order, each once per sample.
import { expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { evaluateGraph, evaluateOutput, visitSamples } from '../../../src/ir/evaluate.js';

const values = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(k * 31 + i) / 2);

// a residual block: the input is read by the first conv and again by the add, two nodes later
const graph: Graph = {
  name: 'g',
  inputs: [{ name: 'input', shape: [4, 4, 2] }],
  nodes: [
    { name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: { shape: [3, 3, 2, 2], data: values(36, 1) }, bias: { shape: [2], data: values(2, 2) }, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' },
    { name: 'c2', op: 'conv2d', inputs: ['c1'], output: 'c2', kernel: { shape: [3, 3, 2, 2], data: values(36, 3) }, bias: null, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' },
    { name: 'sum', op: 'add', inputs: ['c2', 'input'], output: 'sum' },
    { name: 'flat', op: 'flatten', inputs: ['sum'], output: 'flat', order: 'hwc' },
    { name: 'd', op: 'dense', inputs: ['flat'], output: 'd', kernel: { shape: [32, 3], data: values(96, 4) }, bias: null, activation: 'linear' },
  ],
  outputs: ['d'],
  notes: [],
};

test('visitSamples = evaluateGraph, sample by sample and tensor by tensor', () => {
  const samples = [values(32, 5), values(32, 6)];
  const held = samples.map((s) => evaluateGraph(graph, s));
  const visited: [string, number[]][] = [];
  visitSamples(graph, samples, (name, v) => visited.push([name, Array.from(v)]));
  expect(visited).toEqual(held.flatMap((h) => [...h].map(([name, v]) => [name, Array.from(v)])));
  expect(Array.from(evaluateOutput(graph, samples[0]!))).toEqual(Array.from(held[0]!.get('d')!));
});

test('weights changed in place between evaluations are used (no stale packed kernel)', () => {
  const sample = values(32, 7);
  const before = Array.from(evaluateOutput(graph, sample));
  const kernel = (graph.nodes[0] as { kernel: { data: Float32Array } }).kernel.data;
  const saved = kernel.slice();
  kernel.fill(0.25);
  try {
    expect(Array.from(evaluateOutput(graph, sample))).not.toEqual(before);
  } finally {
    kernel.set(saved);
  }
  expect(Array.from(evaluateOutput(graph, sample))).toEqual(before);
});
