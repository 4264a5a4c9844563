/**
 * fast-check over random networks, array shapes and machine configs (buffers, queues, DRAM
 * bandwidth and latency): sim = interpret bit for bit, the static certificate = the simulated
 * counters, and step mode = fast mode. FC_SEED sets the seed; a failure prints it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../src/diagnostics/error.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { certify } from '../../src/isa/cost.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { certificateFigures } from '../../sim/prove.js';
import { simulate } from '../../sim/index.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';
import { scheduledRandomProgram } from '../helpers/scheduled-program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251123);

const arbConfig = (maxSide: number): fc.Arbitrary<Partial<ArrayConfig>> =>
  fc.record({
    rows: fc.oneof(fc.integer({ min: 1, max: maxSide }), fc.constant(32)),
    cols: fc.oneof(fc.integer({ min: 1, max: maxSide }), fc.constant(32)),
    dramBytesPerCycle: fc.integer({ min: 1, max: 16 }),
    dramLatency: fc.integer({ min: 0, max: 25 }),
    queueDepth: fc.integer({ min: 1, max: 8 }),
    accDepth: fc.integer({ min: 2, max: 8 }),
    outDepth: fc.integer({ min: 2, max: 8 }),
    qntDepth: fc.integer({ min: 1, max: 3 }),
    actDepth: fc.constantFrom(24, 64, 4096),
  }).chain((c) => {
    const divisors = Array.from({ length: c.cols }, (_, i) => i + 1).filter((d) => c.cols % d === 0);
    return fc.constantFrom(...divisors, ...[2, 4, 8, 16].map((d) => c.cols * d)).map((thresholdPasses) => ({ ...c, thresholdPasses }));
  });

/** Compile, or null when the buffers are too small for the network (NN403 is the compiler's answer). */
function tryCompile(sizes: number[], seed: number, cfg: Partial<ArrayConfig>, wgtSlots: number): Program | null {
  const config = makeConfig({ ...cfg, wgtDepth: wgtSlots * (cfg.rows ?? 8) });
  try {
    return compile(randomMlp(sizes, seed, ['relu', 'relu6', 'linear']), { config, calibration: { samples: randomSamples(8, sizes[0]!, seed + 1, -1, 1) } }).program;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN403') return null;
    throw e;
  }
}

function inputsOf(p: Program, sizes: number[], seed: number): Int8Array[] {
  const r = rng(seed);
  const n = p.input.rows * p.input.rowBytes;
  return [quantizeInput(p, randomSamples(1, sizes[0]!, seed + 2, -2, 2)[0]!), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128), new Int8Array(n).fill(127)];
}

const arbSizes = (max: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max }), { minLength: 2, maxLength: 3 });

describe('random MLPs × arrays × machine configs', () => {
  test('sim = interpret, and every certificate figure = the simulated counter', () => {
    fc.assert(
      fc.property(arbSizes(24), fc.integer({ min: 0, max: 2 ** 30 }), arbConfig(10), fc.constantFrom(1, 2), (sizes, seed, cfg, slots) => {
        const p = tryCompile(sizes, seed, cfg, slots);
        fc.pre(p !== null);
        const cert = certify(p);
        for (const x of inputsOf(p, sizes, seed)) {
          const r = simulate(p, x);
          expect(Array.from(r.output)).toEqual(Array.from(interpret(p, x)));
          expect(r.cycles).toBe(cert.cycles);
          expect(certificateFigures(cert, r).filter((f) => !f.ok)).toEqual([]);
        }
      }),
      { numRuns: 120, seed: SEED },
    );
  });

  test('step mode = fast mode (outputs, cycles, trace hash, every counter)', () => {
    fc.assert(
      fc.property(arbSizes(10), fc.integer({ min: 0, max: 2 ** 30 }), arbConfig(6), fc.constantFrom(1, 2), (sizes, seed, cfg, slots) => {
        const p = tryCompile(sizes, seed, cfg, slots);
        fc.pre(p !== null);
        const x = inputsOf(p, sizes, seed)[1]!;
        const fast = simulate(p, x);
        const step = simulate(p, x, { mode: 'step' });
        expect(Array.from(step.output)).toEqual(Array.from(fast.output));
        expect(step.cycles).toBe(fast.cycles);
        expect(step.traceHash).toBe(fast.traceHash);
        expect(step.stats).toEqual(fast.stats);
      }),
      { numRuns: 50, seed: SEED },
    );
  });
});

describe('random programs the compiler would not emit, tokens inserted by the scheduler', () => {
  test('sim = interpret; step = fast; the certificate\'s counters = the simulated ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 12 }), (seed, queueDepth, dramLatency) => {
        const { p, x } = scheduledRandomProgram(seed, queueDepth, dramLatency);
        const fast = simulate(p, x);
        expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
        const step = simulate(p, x, { mode: 'step' });
        expect(step.stats).toEqual(fast.stats);
        expect([step.cycles, step.traceHash]).toEqual([fast.cycles, fast.traceHash]);
        // these programs have no memory map, so only the figures stated as equalities apply
        expect(certificateFigures(certify(p), fast).filter((f) => !f.ok)).toEqual([]);
      }),
      { numRuns: 80, seed: SEED },
    );
  });
});

describe('sparse weights (fast mode runs only the nonzero weights of a tile)', () => {
  test('sim = interpret and step = fast when whole weight rows, columns and random entries are zero', () => {
    fc.assert(
      fc.property(arbSizes(20), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: 0, max: 1, noNaN: true }), (sizes, seed, side, density) => {
        const graph = randomMlp(sizes, seed, ['relu', 'linear']);
        const r = rng(seed + 3);
        for (const node of graph.nodes) {
          if (node.op !== 'dense') continue;
          const [k, n] = node.kernel.shape as [number, number];
          const deadRow = Math.floor(r() * k);
          const deadCol = Math.floor(r() * n);
          for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) if (i === deadRow || j === deadCol || r() > density) node.kernel.data[i * n + j] = 0;
        }
        const config = makeConfig({ rows: side, cols: side });
        const p = compile(graph, { config, calibration: { samples: randomSamples(8, sizes[0]!, seed + 1, -1, 1) } }).program;
        for (const x of inputsOf(p, sizes, seed)) {
          const fast = simulate(p, x);
          expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
          const step = simulate(p, x, { mode: 'step' });
          expect(Array.from(step.output)).toEqual(Array.from(fast.output));
          expect(step.stats).toEqual(fast.stats);
        }
      }),
      { numRuns: 40, seed: SEED },
    );
  });
});
