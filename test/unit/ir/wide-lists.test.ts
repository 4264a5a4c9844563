// SPDX-License-Identifier: MIT
/**
 * Lists the size of a model or a sweep are never spread into one call (Math.max(...xs), push(...xs)):
 * past about 120,000 elements that throws RangeError, and `run` on a model of 150,000 outputs, or
 * the report of a large sweep, ended as an internal error. Nor are lists grown by copying: a concat
 * of 30,000 inputs (30,000 ops writing one tensor) took 40 s to lower, 100,000 never finished.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { paretoChart, type ScatterPoint } from '../../../src/explore/charts.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { appendTo, maxOf, minOf, type Graph } from '../../../src/ir/graph.js';

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

  test('appendTo: 300,000 values under one key, grown in place (a copy per value is 4.5·10^10 element copies)', () => {
    const m = new Map<string, number[]>();
    appendTo(m, 'out', 0);
    const first = m.get('out');
    for (let i = 1; i < N; i++) appendTo(m, 'out', i);
    expect(m.get('out')).toBe(first);
    expect(first).toHaveLength(N);
    expect(first![N - 1]).toBe(N - 1);
  });

  test('appendTo groups any sequence as a filter per key does, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), fc.integer())), (pairs) => {
        const m = new Map<string, number[]>();
        for (const [k, v] of pairs) appendTo(m, k, v);
        for (const k of new Set(pairs.map(([k]) => k))) expect(m.get(k)).toEqual(pairs.filter(([j]) => j === k).map(([, v]) => v));
        expect(m.size).toBe(new Set(pairs.map(([k]) => k)).size);
      }),
      { seed: 14, numRuns: 200 },
    );
  });
});
