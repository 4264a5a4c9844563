// SPDX-License-Identifier: MIT
/**
 * Instance and group normalization (ir/normalize.ts) on random blocks and random machines — array
 * shapes, buffers small enough to split the maps, the broadcast and the tables into several tiles,
 * one or two acc banks, DRAM corners: fast mode = the reference interpreter on several inputs, the
 * certificate = the simulation (sim/prove.ts).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { normGraph } from '../helpers/norm-graph.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);

test('random normalization blocks on random machines: sim = interpret; certificate = simulation', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 6 }), cin: fc.integer({ min: 1, max: 3 }), groups: fc.integer({ min: 1, max: 6 }), size: fc.integer({ min: 1, max: 4 }),
        affine: fc.boolean(), project: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        rows: fc.integer({ min: 1, max: 10 }), cols: fc.integer({ min: 1, max: 10 }),
        outDepth: fc.constantFrom(8, 16, 64, 1024), accBanks: fc.constantFrom(1, 2), dramBytesPerCycle: fc.constantFrom(1, 3, 8, 64), dramLatency: fc.constantFrom(0, 2, 20),
      }),
      (o) => {
        const graph = normGraph({ ...o, c: o.groups * o.size });
        const samples = randomSamples(8, o.h * o.w * o.cin, o.seed, -1, 1);
        const config = makeConfig({ rows: o.rows, cols: o.cols, outDepth: Math.max(o.outDepth, 2 * o.w), accDepth: 1024, accBanks: o.accBanks, dramBytesPerCycle: o.dramBytesPerCycle, dramLatency: o.dramLatency });
        const { program: p } = compile(graph, { config, calibration: { samples } });
        const r = rng(o.seed + 1);
        const n = p.input.rows * p.input.rowBytes;
        const inputs = [new Int8Array(n), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
        for (const codes of inputs) expect(Array.from(simulate(p, codes, { trace: false }).output)).toEqual(Array.from(interpret(p, codes)));
        expect(prove(p, inputs, { randomInputs: 1 }).problems).toEqual([]);
      },
    ),
    { numRuns: 30, seed: SEED },
  );
});
