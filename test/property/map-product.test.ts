// SPDX-License-Identifier: MIT
/**
 * Products of two maps (ir/product.ts) over random shapes, operand scales 1/1000 to 1000 apart,
 * either order, a one-channel gate or not, on random machines: fast mode = the reference interpreter on
 * several inputs, the certificate = the simulation; and on the calibration samples the int8 product is
 * within 3% of its float spread whatever the scales' ratio (the balance k; with k = 1 a ratio of 100 was
 * 37% off: docs/numerics.md).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { channelSpread } from '../../src/ir/product.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);

const conv = (name: string, cin: number, cout: number, seed: number, s: number, relu: boolean): Node => ({
  name, op: 'conv2d', inputs: ['x'], output: name, kernel: { shape: [1, 1, cin, cout], data: randomSamples(1, cin * cout, seed, -s, s)[0]! },
  bias: { shape: [cout], data: randomSamples(1, cout, seed + 1, -s / 4, s / 4)[0]! }, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: relu ? 'relu' : 'linear',
});

test('random products of two maps on random machines: sim = interpret, certificate = simulation, int8 within 3% of the spread', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 6 }), cin: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 9 }),
        ratio: fc.constantFrom(1e-3, 0.1, 1, 7, 1000), gate: fc.boolean(), swap: fc.boolean(), relu: fc.boolean(),
        rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), accBanks: fc.constantFrom(1, 2), dramBytesPerCycle: fc.constantFrom(1, 3, 8, 64), dramLatency: fc.constantFrom(0, 2, 20),
      }),
      (o) => {
        const a = conv('a', o.cin, o.c, o.seed, o.ratio, o.relu);
        const b = conv('b', o.cin, o.gate ? 1 : o.c, o.seed + 7, 1, false);
        const spread = o.gate ? [channelSpread('b', o.c, 'spread')] : [];
        const operands = [a.output, spread[0]?.output ?? b.output];
        const nodes: Node[] = [a, b, ...spread, { name: 'p', op: 'mul', inputs: o.swap ? operands.reverse() : operands, output: 'p' }];
        const graph: Graph = { name: 'product', inputs: [{ name: 'x', shape: [o.h, o.w, o.cin] }], nodes, outputs: ['p'], notes: [] };
        const samples = randomSamples(12, o.h * o.w * o.cin, o.seed, -1, 1);
        const config = makeConfig({ rows: o.rows, cols: o.cols, accDepth: 1024, accBanks: o.accBanks, dramBytesPerCycle: o.dramBytesPerCycle, dramLatency: o.dramLatency });
        const { program: p } = compile(graph, { config, calibration: { samples } });
        const r = rng(o.seed + 1);
        const n = p.input.rows * p.input.rowBytes;
        const inputs = [new Int8Array(n), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
        for (const codes of inputs) expect(Array.from(simulate(p, codes, { trace: false }).output)).toEqual(Array.from(interpret(p, codes)));
        expect(prove(p, inputs, { randomInputs: 1 }).problems).toEqual([]);
        const want = samples.map((x) => evaluateOutput(graph, x));
        const spreadOf = Math.max(...want.map((v) => Math.max(...v))) - Math.min(...want.map((v) => Math.min(...v)));
        samples.forEach((x, s) => dequantizeOutput(p, interpret(p, quantizeInput(p, x))).forEach((v, j) => expect(Math.abs(v - want[s]![j]!)).toBeLessThanOrEqual(0.03 * spreadOf + 1e-12)));
      },
    ),
    { numRuns: 30, seed: SEED },
  );
});
