// SPDX-License-Identifier: MIT
/**
 * Co-simulation in Icarus Verilog: the generated RTL computes exactly what isa/interpret.ts
 * computes, in exactly isa/timing.ts scheduleTimes().cycles, for fast-check-generated networks on
 * every array shape, for random (non-compiler) programs, for a CNN and for the shipped MLP.
 * One simulator build per machine configuration serves all its programs. FC_SEED sets the seed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRtlSim, type RtlSim } from '../../src/backends/verilog/simulate.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import { loadModel } from '../../src/importers/index.js';
import { interpret } from '../../src/isa/interpret.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { quantizeBatches, quantizeInput, splitOutputs, type Program } from '../../src/isa/program.js';
import { NO_TOKENS } from '../../src/isa/spec.js';
import { compile } from '../../src/passes/pipeline.js';
import { hoistLoads, insertTokens } from '../../src/passes/schedule.js';
import { calibrationSamples, compileDigitsMlp, compileGraph } from '../helpers/compile.js';
import { HEADS_OUTPUTS, writeHeadsModel } from '../helpers/heads-model.js';
import { pooledCnn, type PoolShape } from '../helpers/pooled-cnn.js';
import { randomCnn } from '../helpers/random-cnn.js';
import { residualCnn } from '../helpers/residual-cnn.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';
import { randomProgram } from '../unit/backends/wasm/random-program.js';
import { CAPACITY, expectExact, haveTools, shapeName, SHAPES } from './tools.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251124);
const RUNS = Number(process.env['COSIM_RUNS'] ?? 6);

/** Small buffers: the designs simulate faster and every network below still fits. */
const configFor = (shape: Partial<ArrayConfig>): ArrayConfig =>
  makeConfig({ ...shape, actDepth: 256, wgtDepth: 4 * (shape.rows ?? 8), accDepth: 16, qntDepth: 4, outDepth: 16 });

function tryCompile(sizes: readonly number[], seed: number, config: ArrayConfig): Program | null {
  try {
    return compile(randomMlp(sizes, seed, ['relu', 'relu6', 'linear']), { config, calibration: { samples: randomSamples(8, sizes[0]!, seed + 1, -1, 1) } }).program;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN403') return null;
    throw e;
  }
}

/** A calibrated sample, random codes, and all-saturating codes. */
function inputsOf(p: Program, seed: number): Int8Array[] {
  const r = rng(seed);
  const n = p.input.rows * p.input.rowBytes;
  const sample = randomSamples(1, n, seed + 2, -2, 2)[0]!;
  return [quantizeInput(p, sample), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128), new Int8Array(n).fill(127)];
}

/** A random program (see its file) with tokens inserted by the scheduler, on one machine configuration. */
function scheduledRandomProgram(seed: number, shape: Partial<ArrayConfig>): Program {
  const raw = randomProgram(seed, { rows: shape.rows ?? 1, cols: shape.cols ?? 1 }, { tables: true });
  const config = makeConfig({ ...raw.config, ...shape });
  const list = raw.instructions.filter((i) => i.op !== 'halt').map((insn) => ({ insn: { ...insn, ...NO_TOKENS }, layer: 0 }));
  const whole = [{ space: 'dram' as const, name: 'all', start: 0, size: raw.dramSize }];
  return { ...raw, config, instructions: insertTokens(hoistLoads(list, config), config, whole).map((t) => t.insn) };
}

function useSim(first: () => Program): () => RtlSim {
  let sim: RtlSim | undefined;
  beforeAll(async () => {
    sim = await buildRtlSim(first(), { simulator: 'iverilog', capacity: CAPACITY });
  });
  afterAll(() => sim?.dispose());
  return () => sim!;
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('RTL in Icarus = interpret(), cycles = scheduleTimes()', () => {
  describe.each(SHAPES.map((s) => [shapeName(s), s] as const))('compiled random MLPs on %s', (_, shape) => {
    const config = configFor(shape);
    const maxSide = (shape.rows ?? 8) === 1 ? 10 : 24;
    const sim = useSim(() => tryCompile([3, 2], 1, config)!);
    test('fast-check networks', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: maxSide }), { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 30 }), async (sizes, seed) => {
          const p = tryCompile(sizes, seed, config);
          fc.pre(p !== null);
          const inputs = inputsOf(p, seed);
          expectExact(p, inputs, await sim().run(p, inputs), `mlp ${sizes.join('-')} seed ${seed}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  });

  const programShapes: readonly Partial<ArrayConfig>[] = [
    { rows: 1, cols: 1, dramBytesPerCycle: 2, dramLatency: 0, queueDepth: 2 },
    { rows: 3, cols: 5, dramBytesPerCycle: 7, dramLatency: 4, queueDepth: 1 },
    { rows: 8, cols: 8, dramBytesPerCycle: 8, dramLatency: 20, queueDepth: 8 },
  ];
  describe.each(programShapes.map((s) => [shapeName(s), s] as const))('random programs on %s', (_, shape) => {
    const sim = useSim(() => scheduledRandomProgram(1, shape));
    test('fast-check programs: strides, replication, two-level act rows, extreme shifts, unwritten entries', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 30 }), async (seed) => {
          const p = scheduledRandomProgram(seed, shape);
          const r = rng(seed);
          const inputs = [Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128)];
          expectExact(p, inputs, await sim().run(p, inputs), `random program seed ${seed}`);
        }),
        { seed: SEED, numRuns: 2 * RUNS },
      );
    });
  });

  describe('a CNN (convolution windows through the two-level act addresses)', () => {
    const graph = randomCnn(7);
    const samples = randomSamples(4, 9 * 8 * 3, 8, -1, 1);
    const p = compileGraph(graph, samples, { rows: 4, cols: 4 });
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), 'cnn');
    });
  });

  describe('a residual CNN whose adds fold into their convolutions (the shortcut a term of shifted matmuls: the product shifter)', () => {
    const samples = randomSamples(4, 6 * 6 * 3, 12, -1, 1);
    const p = compileGraph(residualCnn(4), samples, { rows: 4, cols: 4 });
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      expect(p.layers.map((l) => l.name)).not.toContain('b1add');
      expect(p.layers.find((l) => l.name === 'b1c2')?.op).toBe('conv3x3+add+relu');
      expect(p.instructions.some((i) => i.op === 'matmul' && i.shift > 0)).toBe(true);
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), 'folded residual cnn');
    });
  });

  // an 8x2: 4 channels are more than an out row's 2 lanes, so the maps are not packed (pack-taps.ts) and the adds stack
  describe('a residual CNN whose adds stack both inputs on the rows (2c <= R: one matmul), its global pool one run of pixels', () => {
    const samples = randomSamples(4, 6 * 6 * 3, 12, -1, 1);
    // the adds ops of their own (by default each folds into its convolution: the next test)
    const p = compileGraph(residualCnn(4), samples, { rows: 8, cols: 2 }, 1, 'auto', false);
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      const add = p.layers.findIndex((l) => l.name === 'b1add');
      expect(add).toBeGreaterThanOrEqual(0);
      // one matmul per column tile (stacked), which starts from the tile's bias entry
      expect(p.instructions.filter((i, n) => p.insnLayer[n] === add && i.op === 'matmul' && i.bias === 1).length).toBe(p.instructions.filter((i, n) => p.insnLayer[n] === add && i.op === 'threshold').length);
      expect(p.instructions.filter((i, n) => p.insnLayer[n] === add && i.op === 'matmul' && i.bias === 0).length).toBe(0);
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), 'residual cnn');
    });
  });

  describe.each([1, 2, 8])('CNNs with a max pool fused into the threshold (pooling mode), thresholdPasses %i', (passes) => {
    const samples = randomSamples(4, 6 * 8 * 3, 9, -1, 1);
    // tiling windows, then overlapping ones (stride < window) that start in a top or left padding (ResNet's, AlexNet's 3×3/2),
    // then windows that take their first one or two columns from the window before (reusedColumns), and one that may not (3×3/1)
    const shapes: readonly (readonly [number, number, PoolShape?])[] = [[2, 2], [3, 2], [1, 3], [3, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }], [3, 3, { strides: [2, 2], pads: [0, 0, 0, 0] }], [2, 1, { strides: [1, 1], pads: [1, 0, 0, 0] }], [3, 2, { strides: [1, 2], pads: [2, 1, 0, 0] }],
      [2, 2, { strides: [1, 1], pads: [1, 1, 0, 0] }], [3, 4, { strides: [2, 2], pads: [1, 2, 1, 0] }], [1, 3, { strides: [1, 2], pads: [0, 1, 0, 1] }], [3, 3, { strides: [1, 1], pads: [1, 1, 0, 0] }]];
    const programs = shapes.map(([kh, kw, shape]) => compileGraph(pooledCnn(kh, kw, false, shape), samples, { rows: 4, cols: 4, thresholdPasses: passes }));
    const sim = useSim(() => programs[0]!);
    test('bit- and cycle-exact', async () => {
      for (const p of programs) {
        expect(p.instructions.some((i) => i.op === 'threshold' && (i.poolH > 0 || i.poolW > 0))).toBe(true);
        const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
        expectExact(p, inputs, await sim().run(p, inputs), 'pooled cnn');
      }
    });
  });

  describe('an overlapping max pool (3×3/2, padding 1) in tiles of one pooled line: neighbours recompute a line, only the first window line is padded', () => {
    const samples = randomSamples(4, 6 * 8 * 3, 10, -1, 1);
    // three conv lines (24 acc entries) fit twice in 48
    const p = compileGraph(pooledCnn(3, 3, false, { strides: [2, 2], pads: [1, 1, 1, 1] }), samples, { rows: 4, cols: 4, accDepth: 48 });
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      expect(p.instructions.filter((i) => i.op === 'threshold' && i.poolH === 2).length).toBeGreaterThan(1);
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), 'tiled overlapping pool');
    });
  });

  // a program of three outputs (a map read on by two heads, two vectors: rows of 3, 4 and 3 bytes): the bench reads
  // every output's rows, one output after the other, as one-byte pieces (backends/verilog/rom.ts outputRows)
  describe('a model of three outputs (test/helpers/heads-model.ts)', () => {
    const graph = loadModel(writeHeadsModel(mkdtempSync(join(tmpdir(), 'nnchip-cosim-heads-'))));
    const samples = randomSamples(4, 50, 17, -1, 1);
    const p = compileGraph(graph, samples, { rows: 4, cols: 4 });
    const sim = useSim(() => p);
    test('bit- and cycle-exact, every output', async () => {
      expect(p.outputs.map((t) => t.name)).toEqual([...HEADS_OUTPUTS]);
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), 'three outputs');
    });
  });

  // a transposed convolution (one op per output phase, stores striding over the others) and bilinear upsampling (per-phase runs at the edges)
  describe.each(['deconv', 'bilinear'])('the pytorch-zoo %s model (test/fixtures/pytorch-zoo)', (model) => {
    const graph = loadModel(join(import.meta.dirname, `../fixtures/pytorch-zoo/${model}-op13.onnx`));
    const size = model === 'deconv' ? 4 * 8 * 8 : 2 * 8 * 8;
    const samples = randomSamples(4, size, 13, 0, 1);
    const p = compileGraph(graph, samples, { rows: 4, cols: 4 });
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      expect(p.instructions.some((i) => i.op === 'store' && i.stride > p.outputs[0]!.rowBytes)).toBe(true);
      const inputs = samples.slice(0, 2).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim().run(p, inputs), model);
    });
  });

  // thresholdPasses 16: one lane, 4-bit digits (the iCE40 unit), where table rows go out through the lane's stage-4 registers
  describe.each([1, 16])('an MLP with table activations (sigmoid, leaky ReLU, PReLU, hard-swish; threshold table mode), thresholdPasses %i', (thresholdPasses) => {
    const slopes = [0.2, -0.3, 0.5, 0.1, 0, 0.7];
    const g = randomMlp([8, 6, 6, 5, 3], 41, [{ fn: 'leakyrelu', alpha: 0.1 }, { fn: 'prelu', slopes }, { fn: 'hardswish' }]);
    const graph = { ...g, nodes: [...g.nodes, { name: 'p', op: 'activation' as const, fn: { fn: 'sigmoid' as const }, inputs: [g.outputs[0]!], output: 'p' }], outputs: ['p'] };
    const samples = randomSamples(8, 8, 42, -2, 2);
    const p = compileGraph(graph, samples, { rows: 4, cols: 4, accDepth: 1024, actDepth: 256, qntDepth: 4, outDepth: 64, thresholdPasses });
    const sim = useSim(() => p);
    test('bit- and cycle-exact', async () => {
      expect(p.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length).toBeGreaterThanOrEqual(4);
      const inputs = [...samples.slice(0, 2).map((x) => quantizeInput(p, x)), new Int8Array(8).fill(-128)];
      expectExact(p, inputs, await sim().run(p, inputs), 'table mlp');
    });
  });

  describe.each([[4, 4], [8, 8]])('the shipped digits MLP on %ix%i (default configuration)', (rows, cols) => {
    const { program } = compileDigitsMlp({ rows, cols });
    const sim = useSim(() => program);
    test('bit- and cycle-exact on two calibration digits', async () => {
      const inputs = calibrationSamples().slice(0, 2).map((x) => quantizeInput(program, x));
      expectExact(program, inputs, await sim().run(program, inputs), `digits-mlp ${rows}x${cols}`);
    });
  });
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('a batched program in Icarus', () => {
  // 6 samples per inference of a small MLP: the matmuls stream all six through each weight tile
  const config = configFor({ rows: 4, cols: 4, thresholdPasses: 2 });
  const graph = randomMlp([10, 7, 3], 31);
  const cal = { samples: randomSamples(8, 10, 32, -1, 1) };
  const p = compile(graph, { config, calibration: cal, batch: 6 }).program;
  const sim = useSim(() => p);
  test('bit- and cycle-exact, and every sample as the unbatched program computes it', async () => {
    const samples = randomSamples(6, 10, 33, -2, 2);
    const inputs = quantizeBatches(p, samples);
    const runs = await sim().run(p, inputs);
    expectExact(p, inputs, runs, 'batched mlp');
    const single = compile(graph, { config, calibration: cal }).program;
    expect(splitOutputs(p, runs.map((r) => r.raw), 6).map((o) => Array.from(o))).toEqual(samples.map((x) => Array.from(interpret(single, quantizeInput(single, x)))));
  });
});
