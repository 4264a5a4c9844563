/**
 * int8 top-1 accuracy of the lowered CNN examples on held-out real digits stays within 1 point of
 * the float model run by an independent runtime: TF.js for the TF.js CNN, ONNX Runtime for the
 * PyTorch-exported ONNX model.
 */
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { argmax, calibrationSamples, compileGraph, int8Predict } from '../helpers/compile.js';
import { ortRun } from '../helpers/onnx-models.js';
import { loadTfjsFromFiles, tfjsPredict } from '../helpers/tfjs-models.js';

const CNN = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
const ONNX = new URL('../../examples/digits-onnx/model.onnx', import.meta.url).pathname;
const held = loadDigits('test', 1000);
const accuracy = (pred: readonly number[]): number => pred.filter((p, i) => p === held.labels[i]).length / held.labels.length;

describe('CNN accuracy against independent float runtimes on held-out MNIST digits', () => {
  test('examples/digits-cnn (TF.js): int8 within 1 point of TF.js', async () => {
    const floatAcc = accuracy(tfjsPredict(await loadTfjsFromFiles(CNN), held.inputs).map(argmax));
    const program = compileGraph(loadModel(CNN), calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname));
    const intAcc = accuracy(await int8Predict(program, held.inputs));
    expect(floatAcc).toBeGreaterThan(0.93);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  });

  test('examples/digits-onnx (PyTorch export): int8 within 1 point of ONNX Runtime', async () => {
    const floatAcc = accuracy((await ortRun(ONNX, [1, 1, 28, 28], held.inputs)).map(argmax));
    const program = compileGraph(loadModel(ONNX), calibrationSamples(new URL('../../examples/digits-onnx/calibration.json', import.meta.url).pathname));
    const intAcc = accuracy(await int8Predict(program, held.inputs));
    expect(floatAcc).toBeGreaterThan(0.93);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  });
});
