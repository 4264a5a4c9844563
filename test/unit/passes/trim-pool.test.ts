/**
 * passes/trim-pool.ts: a "same"-padded pool larger than its map keeps only the taps that reach it
 * (or the padding an average counts), with its window count and its outputs unchanged.
 */
import { describe, expect, test } from 'vitest';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { makeConfig } from '../../../src/isa/config.js';
import { GRAPH_PASSES, compile } from '../../../src/passes/pipeline.js';
import { trimPool } from '../../../src/passes/trim-pool.js';
import { randomSamples } from '../../helpers/random-graph.js';

const poolGraph = (shape: number[], pool: Partial<NodeOf<'pool2d'>>): Graph => ({
  name: 'g',
  inputs: [{ name: 'x', shape }],
  nodes: [{ name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: 'max', size: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], ...pool }],
  outputs: ['p'],
  notes: [],
});
const poolOf = (g: Graph): NodeOf<'pool2d'> => g.nodes.find((n) => n.op === 'pool2d') as NodeOf<'pool2d'>;

describe('trim-pool', () => {
  test('is a registered graph pass', () => {
    expect(GRAPH_PASSES.map((p) => p.name)).toContain('trim-pool');
  });

  test('a 61×61 same max pool on 8×8 (stride 1) becomes 15×15 with padding 7: same outputs', () => {
    const g = poolGraph([8, 8, 2], { size: [61, 61], pads: [30, 30, 30, 30] });
    const t = trimPool(g);
    expect(poolOf(t)).toMatchObject({ size: [15, 15], pads: [7, 7, 7, 7] });
    for (const x of randomSamples(3, 128, 1, -1, 1)) expect(evaluateOutput(t, x)).toEqual(evaluateOutput(g, x));
  });

  test('an average that counts its padding keeps the counted taps (its divisor)', () => {
    const g = poolGraph([4, 5, 1], { kind: 'avg', size: [9, 9], strides: [2, 2], pads: [4, 4, 4, 4], countPads: [1, 0, 2, 4] });
    const t = trimPool(g);
    expect(poolOf(t).size[0]).toBeLessThan(9);
    for (const x of randomSamples(3, 20, 2, -1, 1)) expect(evaluateOutput(t, x)).toEqual(evaluateOutput(g, x));
  });

  test('pools whose every tap can reach the map are left as they are (the same object)', () => {
    const g = poolGraph([8, 8, 2], { size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    expect(trimPool(g)).toBe(g);
    const same = poolGraph([8, 8, 2], {});
    expect(trimPool(same)).toBe(same);
  });

  test('a huge same pool compiles to the program of the pool it trims to', () => {
    const g = poolGraph([6, 6, 3], { size: [201, 201], pads: [100, 100, 100, 100] });
    const p = compile(g, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: randomSamples(2, 108, 3, -1, 1) }, verify: true }).program;
    // the same program as the 11×11 pool with padding 5 that it trims to
    const small = compile(poolGraph([6, 6, 3], { size: [11, 11], pads: [5, 5, 5, 5] }), { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: randomSamples(2, 108, 3, -1, 1) } }).program;
    expect(p.instructions).toEqual(small.instructions);
    expect(p.constants).toEqual(small.constants);
  });
});
