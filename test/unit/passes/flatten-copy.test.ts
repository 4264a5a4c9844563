/**
 * passes/flatten-copy.ts: a flattened map of several pixels is a view the dense reading it gathers
 * its rows from; any other reader (a concat of flattened maps, an activation) reads a copy in order,
 * in either flatten order (ONNX channel-major, TF.js pixel-major). Before, the concat copied one
 * pixel's channels of each map: outputs far off the float graph.
 */
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { copyFlattenedMaps } from '../../../src/passes/flatten-copy.js';
import { GRAPH_PASSES } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples, rng } from '../../helpers/random-graph.js';

/** x [4, 4, 3] → max pool 2 ([2, 2, 3]) and global average ([3]); cat(flatten, flatten) → ReLU6 → dense 15 → 4. */
const catOfFlattens = (order: 'hwc' | 'chw'): Graph => {
  const r = rng(3);
  return {
    name: 'g',
    inputs: [{ name: 'x', shape: [4, 4, 3] }],
    nodes: [
      { name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: 'max', size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] },
      { name: 'g', op: 'globalAvgPool', inputs: ['x'], output: 'g' },
      { name: 'f', op: 'flatten', inputs: ['p'], output: 'f', order },
      { name: 'c', op: 'concat', inputs: ['f', 'g'], output: 'c' },
      { name: 'a', op: 'activation', inputs: ['c'], output: 'a', fn: 'relu6' },
      { name: 'd', op: 'dense', inputs: ['a'], output: 'd', kernel: { shape: [15, 4], data: Float32Array.from({ length: 60 }, () => r() - 0.5) }, bias: null, activation: 'linear' },
    ],
    outputs: ['d'],
    notes: [],
  };
};
const samples = randomSamples(20, 48, 5, -1, 4);

describe('copy-flattened-maps', () => {
  test('is a registered graph pass, after the scales fold forward (a BatchNorm1d before a Linear stays free) and before activations fuse (a ReLU joins the copy)', () => {
    const names = GRAPH_PASSES.map((p) => p.name);
    expect(names.indexOf('copy-flattened-maps')).toBe(names.indexOf('fold-scale-forward') + 1);
    expect(names.indexOf('fuse-activation')).toBe(names.indexOf('copy-flattened-maps') + 1);
  });

  test('a concat reads an identity dense of the flattened map; the float graph is unchanged; a dense alone is left as it is', () => {
    const g = catOfFlattens('chw');
    const t = copyFlattenedMaps(g);
    expect(t.nodes.map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(['pool2d(x)', 'globalAvgPool(x)', 'flatten(p)', 'dense(f)', 'concat(f/copy,g)', 'activation(c)', 'dense(a)']);
    for (const x of samples.slice(0, 3)) expect(Array.from(evaluateOutput(t, x))).toEqual(Array.from(evaluateOutput(g, x)));
    const direct: Graph = { ...g, nodes: [g.nodes[0]!, g.nodes[2]!, { ...g.nodes[5]!, inputs: ['f'], kernel: { shape: [12, 4], data: new Float32Array(48).fill(0.1) } }] as Graph['nodes'] };
    expect(copyFlattenedMaps(direct)).toBe(direct);
  });

  test.each(['hwc', 'chw'] as const)('%s order: the int8 program within a twentieth of the float graph, the sim exact', (order) => {
    const g = catOfFlattens(order);
    const p = compileGraph(g, samples);
    let worst = 0;
    let spread = 0;
    for (const x of samples) {
      const want = evaluateOutput(g, x);
      const got = dequantizeOutput(p, interpret(p, quantizeInput(p, x)));
      want.forEach((v, i) => ((worst = Math.max(worst, Math.abs(v - got[i]!))), (spread = Math.max(spread, Math.abs(v)))));
    }
    expect(worst / spread).toBeLessThan(0.05);
    expectSimExact(p, quantizeInput(p, samples[0]!));
  });
});
