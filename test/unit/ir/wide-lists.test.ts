// SPDX-License-Identifier: MIT
/**
 * Lists the size of a model or a sweep are never spread into one call (Math.max(...xs), push(...xs)):
 * past about 120,000 elements that throws RangeError, and `run` on a model of 150,000 outputs, or
 * the report of a large sweep, ended as an internal error.
 */
import { describe, expect, test } from 'vitest';
import { paretoChart, type ScatterPoint } from '../../../src/explore/charts.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { maxOf, minOf, type Graph } from '../../../src/ir/graph.js';

const N = 300_000;

describe('lists of 300,000', () => {
  test('maxOf and minOf', () => {
    const xs = Float64Array.from({ length: N }, (_, i) => Math.sin(i) * i);
    let [hi, lo] = [-Infinity, Infinity];
    for (const x of xs) [hi, lo] = [Math.max(hi, x), Math.min(lo, x)];
    expect([maxOf(xs), minOf(xs)]).toEqual([hi, lo]);
    expect([maxOf([]), minOf([])]).toEqual([-Infinity, Infinity]);
  });

  test('a softmax over 300,000 values (the float reference of a wide final layer)', () => {
    const g: Graph = {
      name: 'wide',
      inputs: [{ name: 'x', shape: [N] }],
      nodes: [{ name: 'p', op: 'activation', fn: 'softmax', inputs: ['x'], output: 'p' }],
      outputs: ['p'],
      notes: [],
    };
    const y = evaluateOutput(g, new Float32Array(N).fill(1));
    expect(y).toHaveLength(N);
    expect(y[0]).toBeCloseTo(1 / N, 12);
  });

  test("the report's Pareto chart of 300,000 points", () => {
    const points: ScatterPoint[] = Array.from({ length: N }, (_, i) => ({ index: i, label: `p${i}`, pes: 16 + (i % 64), sramBytes: 1024 * (1 + (i % 97)), cycles: 1000 + i, pareto: i < 3, chosen: i === 0 }));
    expect(paretoChart(points)).toMatch(/^<svg id="pareto-chart"[\s\S]*<\/svg>$/);
  });
});
