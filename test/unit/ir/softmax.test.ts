// SPDX-License-Identifier: MIT
/**
 * A softmax or log-softmax inside a network as ops that exist (ir/softmax.ts), over a vector's features and over a
 * map's channels at each pixel: the float graph is the function (to float32 rounding, as convolutions evaluate),
 * for logits of any spread (±60: exp of the unshifted logits would overflow float32) and ties; the graph pass keeps
 * a final softmax dropped and expands one that another layer reads; the int8 program (sim = the reference
 * interpreter) is near the function.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph, Node } from '../../../src/ir/graph.js';
import { softmaxNodes } from '../../../src/ir/softmax.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { prepareGraph } from '../../../src/passes/pipeline.js';
import { simulate } from '../../../sim/index.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261207);

/** softmax (or log-softmax) of each pixel's c values, in float64. */
function reference(x: ArrayLike<number>, c: number, log: boolean): number[] {
  const out: number[] = [];
  for (let p = 0; p < x.length / c; p++) {
    const v = Array.from({ length: c }, (_, j) => x[p * c + j]!);
    const m = Math.max(...v);
    const lse = m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
    out.push(...v.map((t) => (log ? t - lse : Math.exp(t - lse))));
  }
  return out;
}

const graphOf = (shape: number[], { nodes, hints }: ReturnType<typeof softmaxNodes>): Graph => ({ name: 'softmax', inputs: [{ name: 'x', shape }], nodes, outputs: ['y'], notes: [], rangeHints: new Map(hints) });

describe('softmaxNodes', () => {
  test('the float graph is softmax / log-softmax per pixel, for any logits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<number[]>([5], [1], [2, 3, 4], [1, 1, 9], [2, 2, 1]),
        fc.boolean(),
        fc.double({ min: 0.01, max: 60, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (shape, log, spread, seed) => {
          const c = shape.at(-1)!;
          const size = shape.reduce((a, b) => a * b, 1);
          const [x] = randomSamples(1, size, seed, -spread, spread);
          if (seed % 3 === 0) x![0] = x![c - 1]!; // a tie for the max
          const g = graphOf(shape, softmaxNodes('s', 'x', 'y', shape, log ? 'logsoftmax' : 'softmax'));
          const got = evaluateOutput(g, x!);
          const want = reference(x!, c, log);
          got.forEach((v, j) => expect(Math.abs(v - want[j]!), `${j}`).toBeLessThan(log ? 1e-5 * Math.max(1, Math.abs(want[j]!)) : 5e-6));
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });

  test('a final softmax stays dropped; one read by another layer becomes ops that exist, the same function', () => {
    const dense = (name: string, input: string, k: number, n: number, seed: number): Node => {
      const [w] = randomSamples(1, k * n, seed, -1, 1);
      return { name, op: 'dense', inputs: [input], output: name, kernel: { shape: [k, n], data: w! }, bias: null, activation: 'linear' };
    };
    const inner: Graph = {
      name: 'inner',
      inputs: [{ name: 'x', shape: [6] }],
      nodes: [dense('a', 'x', 6, 5, 1), { name: 'p', op: 'activation', inputs: ['a'], output: 'p', fn: 'softmax' }, dense('y', 'p', 5, 3, 2)],
      outputs: ['y'],
      notes: [],
    };
    const prepared = prepareGraph(inner, true);
    expect(prepared.nodes.some((n) => n.op === 'activation' && n.fn === 'softmax')).toBe(false);
    expect(prepared.notes).toEqual([]);
    for (const x of randomSamples(5, 6, 3, -3, 3)) {
      const want = evaluateOutput(inner, x);
      evaluateOutput(prepared, x).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 5));
    }
    const final: Graph = { ...inner, nodes: [inner.nodes[0]!, { name: 'y', op: 'activation', inputs: ['a'], output: 'y', fn: 'softmax' }] };
    const dropped = prepareGraph(final, true);
    expect(dropped.nodes.map((n) => n.op)).toEqual(['dense']);
    expect(dropped.notes).toEqual(['final softmax "y" dropped: outputs are logits, argmax unchanged']);
  });

  test.each([
    ['softmax', [8]],
    ['logsoftmax', [8]],
    ['softmax', [3, 4, 5]],
  ] as const)('%s of %j: int8 near it, sim = interpret', (fn, shape) => {
    const c = shape.at(-1)!;
    const size = shape.reduce<number>((a, b) => a * b, 1);
    const g = graphOf([...shape], softmaxNodes('s', 'x', 'y', shape, fn));
    const samples = randomSamples(64, size, 9, -3, 3);
    const program = compileGraph(g, samples, { rows: 4, cols: 4 });
    const spread = fn === 'softmax' ? 1 : Math.max(...samples.flatMap((x) => reference(x, c, true).map((v) => -v)));
    for (const x of samples.slice(0, 8)) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      const want = reference(x, c, fn === 'logsoftmax');
      dequantizeOutput(program, ref).forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(0.05 * spread));
    }
  });
});
