// SPDX-License-Identifier: MIT
/**
 * A recurrent layer on RTL (ir/recurrent.ts: nothing new for the hardware — crops, denses, adds, sigmoid
 * and tanh step tables, the per-channel product): in Icarus the design computes what interpret()
 * computes in exactly scheduleTimes() cycles, on a tiny LSTM (4 steps of 3 features, 3 units) on 4x4.
 */
import { describe, expect, test } from 'vitest';
import type { Graph, Tensor } from '../../src/ir/graph.js';
import { DEFAULT_LIMITS } from '../../src/ir/limits.js';
import { checkUnrolled, unrollNodes, type Cell } from '../../src/ir/recurrent.js';
import { compileGraph } from '../helpers/compile.js';
import { randomSamples, rng } from '../helpers/random-graph.js';
import { expectRtlExact, haveTools } from './tools.js';

function lstmGraph([steps, features, units]: readonly [number, number, number], seed: number): Graph {
  const r = rng(seed);
  const matrix = (rows: number): Tensor => ({ shape: [rows, units], data: Float32Array.from({ length: rows * units }, () => r() * 1.6 - 0.8) });
  const gates = Array.from({ length: 4 }, () => ({ w: matrix(features), r: matrix(units), b: Float32Array.from({ length: units }, () => r() * 0.6 - 0.3) }));
  const cell: Cell = { kind: 'lstm', units, gates, f: { fn: 'sigmoid' }, g: { fn: 'tanh' }, h: { fn: 'tanh' } };
  checkUnrolled(cell, steps, features, DEFAULT_LIMITS, 'lstm');
  const nodes = unrollNodes('lstm', 'x', [steps, features], cell, false, { hidden: 'h' });
  return { name: 'tiny-lstm', inputs: [{ name: 'x', shape: [1, steps, features] }], nodes, outputs: ['h'], notes: [] };
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('a recurrent layer in Icarus', () => {
  test('LSTM(3) over 4 steps of 3 features on 4x4: bit- and cycle-exact', async () => {
    const graph = lstmGraph([4, 3, 3], 7);
    expect(graph.nodes.filter((n) => n.op === 'channelMul').length).toBe(3 * 4 - 1);
    await expectRtlExact(compileGraph(graph, randomSamples(12, 12, 5, -1, 1), { rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 }), 'iverilog', 41, 'LSTM 4x4 in Icarus');
  }, 600_000);
});
