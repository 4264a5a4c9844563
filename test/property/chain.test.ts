// SPDX-License-Identifier: MIT
/**
 * Chaining (a matmul taking its load's token once the load wrote its first row: isa/chain.ts):
 * random CNNs on random arrays and DRAM timings, compiled (passes/chain.ts chains where it pays),
 * then a random part of their other load-popping matmuls chained by force. Whatever the race check
 * accepts, step mode (which reads each entry in the cycle the hardware does) = fast mode =
 * interpret, with the certificate's cycles; whatever it refuses would have read an entry early:
 * step mode is the witness. FC_SEED sets the seed.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { certify } from '../../src/isa/cost.js';
import { interpret } from '../../src/isa/interpret.js';
import { makeConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { simulate } from '../../sim/index.js';
import { convPair, validates } from '../helpers/chain.js';
import { randomCnn } from '../helpers/random-cnn.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261207);

test('chained programs the race check accepts: step = fast = interpret, cycles = the certificate', () => {
  const seen = { compiledChains: 0, forcedAccepted: 0, forcedRefused: 0 };
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 30 }),
      fc.record({ rows: fc.integer({ min: 3, max: 16 }), cols: fc.integer({ min: 2, max: 8 }), dramBytesPerCycle: fc.constantFrom(1, 3, 8, 32, 4096), dramLatency: fc.integer({ min: 0, max: 12 }), accBanks: fc.constantFrom(1, 2) }),
      fc.option(fc.record({ side: fc.integer({ min: 4, max: 24 }), c: fc.integer({ min: 1, max: 6 }), mid: fc.integer({ min: 2, max: 12 }) }), { freq: 3 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (seed, cfg, pair, share) => {
        const graph = pair === null ? randomCnn(seed) : convPair(seed, pair.side, pair.c, pair.mid);
        const size = graph.inputs[0]!.shape.reduce((a, b) => a * b, 1);
        const compiled = compile(graph, { config: makeConfig(cfg), calibration: { samples: randomSamples(3, size, seed + 1, -1, 1) } }).program;
        seen.compiledChains += compiled.instructions.filter((i) => i.op === 'matmul' && i.chain === 1).length;
        const r = rng(seed + 2);
        const forced: Program = { ...compiled, instructions: compiled.instructions.map((i) => (i.op === 'matmul' && i.popPrev && r() < share ? { ...i, chain: 1 } : i)) };
        const accepted = validates(forced);
        if (forced.instructions.some((i, k) => i !== compiled.instructions[k])) seen[accepted ? 'forcedAccepted' : 'forcedRefused'] += 1;
        for (const p of accepted ? [compiled, forced] : [compiled]) {
          const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
          const fast = simulate(p, x);
          const step = simulate(p, x, { mode: 'step' });
          expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
          expect(Array.from(step.output)).toEqual(Array.from(fast.output));
          expect([step.cycles, step.traceHash]).toEqual([fast.cycles, fast.traceHash]);
          expect(step.stats).toEqual(fast.stats);
          expect(fast.cycles).toBe(certify(p).cycles);
        }
      },
    ),
    { numRuns: 40, seed: SEED },
  );
  // the runs reached every case: chains the compiler chose, forced ones the check took and refused
  expect(seen.compiledChains).toBeGreaterThan(0);
  expect(seen.forcedAccepted).toBeGreaterThan(0);
  expect(seen.forcedRefused).toBeGreaterThan(0);
}, 600_000);
