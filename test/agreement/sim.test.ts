/**
 * sim = reference interpreter on every example model and input class (real samples, random,
 * all-zero, both saturation rails), and the constant-cost proof on each (which also runs step
 * mode once and holds every figure of the static certificate).
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, tensorSize, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { calibrationSamples } from '../helpers/compile.js';
import { randomCnn } from '../helpers/random-cnn.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const example = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;

function codeInputs(p: Program, seed: number): Int8Array[] {
  const n = tensorSize(p.input);
  const r = rng(seed);
  return [Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128), new Int8Array(n), new Int8Array(n).fill(-128), new Int8Array(n).fill(127)];
}

function expectAgreement(p: Program, inputs: readonly Int8Array[]): void {
  for (const x of inputs) expect(Array.from(simulate(p, x, { trace: false }).output)).toEqual(Array.from(interpret(p, x)));
  const proof = prove(p, inputs.slice(0, 3), { randomInputs: 2 });
  expect(proof.problems).toEqual([]);
}

const compiled = (g: Graph, samples: readonly ArrayLike<number>[], rows: number, cols: number): Program =>
  compile(g, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true }).program;

describe('example models', () => {
  test.each([[8, 8], [16, 4], [32, 32]] as const)('digits MLP (TF.js) on %ix%i', (rows, cols) => {
    const samples = calibrationSamples(example('digits-mlp/calibration.json'));
    const p = compiled(loadModel(example('digits-mlp/model.json')), samples, rows, cols);
    expectAgreement(p, [...samples.slice(0, 20).map((x) => quantizeInput(p, x)), ...codeInputs(p, 1)]);
  });

  test('digits ONNX model', () => {
    const samples = calibrationSamples(example('digits-onnx/calibration.json'));
    const p = compiled(loadModel(example('digits-onnx/model.onnx')), samples, 8, 8);
    expectAgreement(p, [...samples.slice(0, 5).map((x) => quantizeInput(p, x)), ...codeInputs(p, 2)]);
  });

  test('tiny nnchip-JSON model on a 2x2 array', () => {
    const p = compile(loadModel(example('tiny/tiny.nnchip.json')), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { inputRange: [-1, 1] } }).program;
    expectAgreement(p, codeInputs(p, 3));
  });
});

describe('random CNNs (conv, depthwise, pooling, add, concat)', () => {
  test.each([[1, 4, 4], [2, 8, 3], [3, 1, 1], [4, 3, 5]] as const)('CNN %i on %ix%i', (seed, rows, cols) => {
    const g = randomCnn(seed);
    const n = g.inputs[0]!.shape.reduce((a, b) => a * b, 1);
    const p = compiled(g, randomSamples(8, n, seed), rows, cols);
    expectAgreement(p, [...randomSamples(2, n, seed + 7).map((x) => quantizeInput(p, x)), ...codeInputs(p, seed)]);
  });
});
