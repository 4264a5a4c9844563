/**
 * passes/whole-map-pool.ts: an unpadded average pool whose window is its whole map is the global
 * average pool, so a map too large for the act buffer as one window (nsfwjs' MobileNetV2 closes with
 * AveragePooling2D(7) on 7×7×1280) is summed in runs of pixels instead of refused (NN403).
 */
import { describe, expect, test } from 'vitest';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { makeConfig } from '../../../src/isa/config.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { GRAPH_PASSES, compile } from '../../../src/passes/pipeline.js';
import { wholeMapPools } from '../../../src/passes/whole-map-pool.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { randomSamples, rng } from '../../helpers/random-graph.js';

const C = 40;
/** x [7, 7, C] → average pool → flatten → dense C → 3. */
const pooledDense = (pool: Partial<NodeOf<'pool2d'>>): Graph => {
  const r = rng(7);
  return {
    name: 'g',
    inputs: [{ name: 'x', shape: [7, 7, C] }],
    nodes: [
      { name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: 'avg', size: [7, 7], strides: [7, 7], pads: [0, 0, 0, 0], ...pool },
      { name: 'f', op: 'flatten', inputs: ['p'], output: 'f' },
      { name: 'd', op: 'dense', inputs: ['f'], output: 'd', kernel: { shape: [C, 3], data: Float32Array.from({ length: 3 * C }, () => r() - 0.5) }, bias: null, activation: 'linear' },
    ],
    outputs: ['d'],
    notes: [],
  };
};
const samples = randomSamples(4, 7 * 7 * C, 3, -1, 1);

describe('whole-map-pool', () => {
  test('is a registered graph pass, after trim-pool', () => {
    const names = GRAPH_PASSES.map((p) => p.name);
    expect(names.indexOf('whole-map-pool')).toBeGreaterThan(names.indexOf('trim-pool'));
  });

  test('a 7×7 average on a 7×7 map becomes a global average pool reshaped to 1×1: the same floats but for rounding', () => {
    const g = pooledDense({});
    const t = wholeMapPools(g);
    expect(t.nodes.map((n) => n.op)).toEqual(['globalAvgPool', 'reshape', 'flatten', 'dense']);
    for (const x of samples) {
      const [a, b] = [evaluateOutput(t, x), evaluateOutput(g, x)];
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    }
  });

  test('padded, smaller or max windows are left as they are (the same graph)', () => {
    for (const pool of [{ pads: [1, 1, 1, 1] as const, size: [9, 9] as const }, { size: [3, 3] as const, strides: [3, 3] as const }, { kind: 'max' as const }]) {
      const full = pooledDense(pool);
      const g = { ...full, nodes: full.nodes.slice(0, 1), outputs: ['p'] };
      expect(wholeMapPools(g)).toBe(g);
    }
  });

  test('on an act buffer smaller than the window (245 entries, 128 here) the network lowers, and ref = fast sim = step sim', () => {
    const config = makeConfig({ rows: 8, cols: 8, actDepth: 128 });
    const p = compile(pooledDense({}), { config, calibration: { samples }, verify: true }).program;
    expect(p.layers.map((l) => l.op)).toContain('global-avgpool');
    for (const x of samples.slice(0, 2)) expectSimExact(p, quantizeInput(p, x));
  });
});
