/**
 * WASM = reference interpreter, bit for bit, in both builds (SIMD and scalar): every example
 * model, fast-check random MLPs over array shapes, random CNNs, and every input class (random,
 * all-zero, saturating codes). The interpreter is the oracle; nothing here computes an expected value.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate, type ModelInstance } from '../../src/backends/wasm/instance.js';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, tensorSize, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { calibrationSamples } from '../helpers/compile.js';
import { randomCnn } from '../helpers/random-cnn.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';

const example = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const SHAPES = [[1, 1], [3, 5], [8, 8], [16, 4]] as const;
const SEED = Number(process.env['FC_SEED'] ?? 20251123);

/** The input classes every back end is held to: random codes, zeros, and both saturation rails. */
function codeInputs(p: Program, seed: number): Int8Array[] {
  const n = p.input.rows * p.input.rowBytes;
  const r = rng(seed);
  return [Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128), new Int8Array(n), new Int8Array(n).fill(-128), new Int8Array(n).fill(127)];
}

async function builds(p: Program): Promise<ModelInstance[]> {
  return Promise.all([true, false].map((simd) => instantiate(emitWasm(p, { simd }))));
}

async function expectAgreement(p: Program, inputs: readonly Int8Array[]): Promise<void> {
  const modules = await builds(p);
  for (const x of inputs) {
    const want = Array.from(interpret(p, x));
    for (const m of modules) expect(Array.from(m.runRaw(x))).toEqual(want);
  }
}

const compiled = (g: Graph, samples: readonly ArrayLike<number>[], rows = 8, cols = 8): Program =>
  compile(g, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true }).program;

describe('example models', () => {
  test('digits MLP (TF.js) on its calibration samples and every input class, on two array shapes', async () => {
    const graph = loadModel(example('digits-mlp/model.json'));
    const samples = calibrationSamples(example('digits-mlp/calibration.json'));
    for (const [rows, cols] of [[8, 8], [16, 4]] as const) {
      const p = compiled(graph, samples, rows, cols);
      await expectAgreement(p, [...samples.slice(0, 10).map((x) => quantizeInput(p, x)), ...codeInputs(p, 1)]);
    }
  });

  test('digits CNN on 4x4 with two acc banks (its odd column tiles in the upper half): the same codes as on one bank', async () => {
    const graph = loadModel(example('digits-cnn/model.json'));
    const samples = calibrationSamples(example('digits-cnn/calibration.json')).slice(0, 4);
    const [one, two] = [1, 2].map((accBanks) => compile(graph, { config: makeConfig({ rows: 4, cols: 4, accBanks }), calibration: { samples }, verify: true }).program);
    expect(two!.instructions).not.toEqual(one!.instructions);
    const inputs = samples.map((x) => quantizeInput(two!, x));
    await expectAgreement(two!, inputs);
    for (const x of inputs) expect(Array.from(interpret(two!, x))).toEqual(Array.from(interpret(one!, x)));
  });

  test('digits ONNX model', async () => {
    const graph = loadModel(example('digits-onnx/model.onnx'));
    const samples = calibrationSamples(example('digits-onnx/calibration.json'));
    const p = compiled(graph, samples);
    await expectAgreement(p, [...samples.slice(0, 5).map((x) => quantizeInput(p, x)), ...codeInputs(p, 2)]);
  });

  test('tiny nnchip-JSON model on a 2x2 array', async () => {
    const p = compile(loadModel(example('tiny/tiny.nnchip.json')), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { inputRange: [-1, 1] } }).program;
    await expectAgreement(p, codeInputs(p, 3));
  });
});

describe('random networks', () => {
  test('fast-check MLPs on 1x1, 3x5, 8x8 and 16x4 arrays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 }),
        fc.constantFrom(...SHAPES),
        fc.integer({ min: 0, max: 2 ** 30 }),
        async (sizes, [rows, cols], seed) => {
          const g = randomMlp(sizes, seed, ['relu', 'relu6', 'linear']);
          const p = compiled(g, randomSamples(16, sizes[0]!, seed + 1, -1, 1), rows, cols);
          await expectAgreement(p, [...randomSamples(2, sizes[0]!, seed + 2, -2, 2).map((x) => quantizeInput(p, x)), ...codeInputs(p, seed)]);
        },
      ),
      { numRuns: 24, seed: SEED },
    );
  });

  test.each([1, 2, 3])('random CNN %i (conv, depthwise, pooling, add, concat)', async (seed) => {
    const g = randomCnn(seed);
    const n = g.inputs[0]!.shape.reduce((a, b) => a * b, 1);
    const [rows, cols] = SHAPES[seed % SHAPES.length]!;
    const p = compiled(g, randomSamples(8, n, seed), rows, cols);
    expect(tensorSize(p.input)).toBe(n);
    await expectAgreement(p, [...randomSamples(2, n, seed + 7).map((x) => quantizeInput(p, x)), ...codeInputs(p, seed)]);
  });
});
