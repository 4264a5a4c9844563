/** foldScaleForward: the folded graph computes what the original did (float), and folds only where that holds. */
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph, Node } from '../../../src/ir/graph.js';
import { foldScaleForward } from '../../../src/passes/fold-scale.js';
import { expectClose } from '../../helpers/close.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { weights } from '../../helpers/onnx-models.js';

const t = (shape: number[], seed: number) => ({ shape, data: weights(shape.reduce((a, b) => a * b, 1), seed) });
const bn = (c: number, offset: boolean): Node => ({ name: 'bn', op: 'batchNorm', inputs: ['x'], output: 'n', scale: Float32Array.from({ length: c }, (_, i) => 0.5 + i), offset: Float32Array.from({ length: c }, (_, i) => (offset ? 0.3 - 0.2 * i : 0)) });

function graph(shape: number[], nodes: Node[]): Graph {
  return { name: 'g', inputs: [{ name: 'x', shape }], nodes, outputs: [nodes[nodes.length - 1]!.output], notes: [] };
}

function same(g: Graph, folded: Graph): void {
  const size = g.inputs[0]!.shape.reduce((a, b) => a * b, 1);
  for (const x of randomSamples(4, size, 9, -1, 1)) expectClose(evaluateOutput(folded, x), evaluateOutput(g, x), 1e-5);
}

describe('fold a per-channel scale and offset into the next layer', () => {
  const conv = (depthwise: boolean, pads: [number, number, number, number]): Node => ({
    name: 'c', op: 'conv2d', inputs: ['n'], output: 'y', kernel: t(depthwise ? [3, 3, 3, 1] : [3, 3, 3, 4], 1), bias: t([depthwise ? 3 : 4], 2), strides: [1, 1], pads, depthwise, activation: 'relu',
  });
  test.each([
    ['conv, no padding, offset', false, [0, 0, 0, 0], true, true],
    ['depthwise conv, no padding, offset', true, [0, 0, 0, 0], true, true],
    ['padded conv, pure scale', false, [1, 1, 1, 1], false, true],
    ['padded conv, offset: not folded (the padding would move)', false, [1, 1, 1, 1], true, false],
  ] as const)('%s', (_, depthwise, pads, offset, folds) => {
    const g = graph([5, 5, 3], [bn(3, offset), conv(depthwise, [...pads])]);
    const folded = foldScaleForward(g);
    expect(folded.nodes.map((n) => n.op)).toEqual(folds ? ['conv2d'] : ['batchNorm', 'conv2d']);
    same(g, folded);
  });

  test.each([['hwc'], ['chw']] as const)('flatten (%s) → dense', (order) => {
    const g = graph([2, 3, 3], [bn(3, true), { name: 'f', op: 'flatten', inputs: ['n'], output: 'v', order }, { name: 'd', op: 'dense', inputs: ['v'], output: 'y', kernel: t([18, 4], 3), bias: null, activation: 'linear' }]);
    const folded = foldScaleForward(g);
    expect(folded.nodes.map((n) => n.op)).toEqual(['flatten', 'dense']);
    same(g, folded);
  });

  test('a scale with a second user stays', () => {
    const d = (name: string, output: string): Node => ({ name, op: 'dense', inputs: ['n'], output, kernel: t([4, 2], 4), bias: null, activation: 'linear' });
    const g = graph([4], [bn(4, true), d('a', 'p'), d('b', 'q'), { name: 's', op: 'add', inputs: ['p', 'q'], output: 'y' }]);
    expect(foldScaleForward(g).nodes.map((n) => n.op)).toEqual(['batchNorm', 'dense', 'dense', 'add']);
  });
});
