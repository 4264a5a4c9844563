/**
 * The MLPerf Tiny examples lowered to int8 (default 8x8 machine) against the float model run by an
 * independent runtime on held-out digits made into each model's input: ONNX Runtime for the PyTorch
 * exports, TF.js for the TF.js Layers models. Classifiers: int8 top-1 accuracy within 1 point of the
 * float runtime's; autoencoder: int8 reconstruction error within 5% of the float runtime's.
 * int8 outputs come from the WASM runtime (= interpret() bit for bit, test/agreement/mlperf-tiny).
 */
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { autoencoderInput, dsCnnInput, mobilenetInput, mobilenetLabel, resnet8Input } from '../../examples/mlperf-inputs.mjs';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { loadModel } from '../../src/importers/index.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import { argmax, calibrationSamples, compileGraph } from '../helpers/compile.js';
import { ortRun } from '../helpers/onnx-models.js';
import { loadTfjsFromFiles, tfjsPredict } from '../helpers/tfjs-models.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const TIMEOUT = 300_000; // tens of seconds of CPU at most; generous for a loaded machine

function lower(model: string): Program {
  return compileGraph(loadModel(ex(`${model}`)), calibrationSamples(ex(model.replace(/[^/]+$/, 'calibration.json'))));
}

async function int8Outputs(program: Program, inputs: readonly Float32Array[]): Promise<Float64Array[]> {
  const codes = await runWasm(program, inputs.map((x) => quantizeInput(program, x)));
  return codes.map((c) => dequantizeOutput(program, c));
}

async function expectWithinOnePoint(program: Program, inputs: Float32Array[], labels: number[], floatOut: ArrayLike<number>[], minFloat: number): Promise<void> {
  const accuracy = (pred: number[]): number => pred.filter((p, i) => p === labels[i]).length / labels.length;
  const floatAcc = accuracy(floatOut.map(argmax));
  const intAcc = accuracy((await int8Outputs(program, inputs)).map(argmax));
  expect(floatAcc, 'the float model is trained').toBeGreaterThan(minFloat);
  expect(Math.abs(intAcc - floatAcc), `int8 ${intAcc} vs float ${floatAcc}`).toBeLessThanOrEqual(0.01);
}

describe('MLPerf Tiny examples: int8 against independent float runtimes on held-out digits', () => {
  test('resnet8 (PyTorch → ONNX): int8 top-1 within 1 point of ONNX Runtime on 1,000 digits', async () => {
    const held = loadDigits('test', 1000);
    const inputs = held.inputs.map(resnet8Input);
    const floatOut = await ortRun(ex('resnet8/model.onnx'), [1, 3, 32, 32], inputs);
    await expectWithinOnePoint(lower('resnet8/model.onnx'), inputs, held.labels, floatOut, 0.9);
  }, TIMEOUT);

  test('ds-cnn (TF.js Layers): int8 top-1 within 1 point of TF.js on 1,000 digits', async () => {
    const held = loadDigits('test', 1000);
    const inputs = held.inputs.map(dsCnnInput);
    const floatOut = tfjsPredict(await loadTfjsFromFiles(ex('ds-cnn/model.json')), inputs);
    await expectWithinOnePoint(lower('ds-cnn/model.json'), inputs, held.labels, floatOut, 0.85);
  }, TIMEOUT);

  test('mobilenet-vww (TF.js Layers): int8 top-1 within 1 point of TF.js on 400 digits (≥ 5 or not)', async () => {
    const held = loadDigits('test', 400);
    const inputs = held.inputs.map(mobilenetInput);
    const model = await loadTfjsFromFiles(ex('mobilenet-vww/model.json'));
    const floatOut = inputs.flatMap((_, i) => (i % 50 === 0 ? tfjsPredict(model, inputs.slice(i, i + 50)) : []));
    await expectWithinOnePoint(lower('mobilenet-vww/model.json'), inputs, held.labels.map(mobilenetLabel), floatOut, 0.7);
  }, TIMEOUT);

  test('autoencoder (PyTorch → ONNX): int8 reconstruction error within 5% of ONNX Runtime on 1,000 digits', async () => {
    const inputs = loadDigits('test', 1000).inputs.map(autoencoderInput);
    const mse = (out: ArrayLike<number>[]): number =>
      out.reduce((s, y, i) => s + Array.from(y).reduce((t, v, j) => t + (v - inputs[i]![j]!) ** 2, 0), 0) / (inputs.length * 640);
    const floatMse = mse(await ortRun(ex('autoencoder/model.onnx'), [1, 640], inputs));
    const intMse = mse(await int8Outputs(lower('autoencoder/model.onnx'), inputs));
    expect(floatMse, 'the float model is trained (an all-zero output would score 0.135)').toBeLessThan(0.06);
    expect(Math.abs(intMse - floatMse) / floatMse, `int8 MSE ${intMse} vs float ${floatMse}`).toBeLessThanOrEqual(0.05);
  }, TIMEOUT);
});
