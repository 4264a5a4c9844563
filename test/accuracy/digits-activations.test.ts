/**
 * Table activations on real digits (threshold table mode). The shipped examples — a TF.js MLP
 * (tanh, LeakyReLU, PReLU, hard_swish, sigmoid) and a PyTorch CNN exported to ONNX (LeakyRelu,
 * PRelu, HardSwish, Tanh, Sigmoid) — lowered to int8 classify the held-out digits within 1 point
 * of their own float runtimes (TF.js, onnxruntime-node), with ref = sim = WASM on five of those
 * digits (the RTL: test/cosim/examples.test.ts). A binary classifier trained here ends
 * in a sigmoid: its int8 outputs are probabilities close to TF.js's.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { registerHardSwish } from '../../examples/tfjs-hard-swish.mjs';
import { loadModel } from '../../src/importers/index.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import { expectSoftwareBackendsAgree } from '../helpers/agreement.js';
import { argmax, calibrationSamples, compileGraph, int8Predict } from '../helpers/compile.js';
import { ortRun } from '../helpers/onnx-models.js';
import { loadTfjsFromFiles, saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const accuracy = (pred: readonly number[], labels: readonly number[]): number => pred.filter((p, i) => p === labels[i]).length / labels.length;
const heldOut = loadDigits('test');
const tableLayers = (p: Program): number => p.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length;
/** Five held-out digits (classes 0-4) as the program's input codes. */
const realDigits = (p: Program): [string, Int8Array][] => heldOut.inputs.slice(0, 5).map((x, i) => [`held-out digit ${heldOut.labels[i]}`, quantizeInput(p, x)]);

describe('shipped table-activation examples on the held-out MNIST digits (2,004 images)', () => {
  test('digits-activations (TF.js: tanh, LeakyReLU, PReLU, hard_swish, sigmoid): int8 within 1 point of TF.js', async () => {
    registerHardSwish(tf);
    const model = await loadTfjsFromFiles(ex('digits-activations/model.json'));
    const floatAcc = accuracy(tfjsPredict(model, heldOut.inputs).map(argmax), heldOut.labels);
    const program = compileGraph(loadModel(ex('digits-activations/model.json')), calibrationSamples(ex('digits-activations/calibration.json')));
    expect(tableLayers(program)).toBeGreaterThanOrEqual(5);
    const intAcc = accuracy(await int8Predict(program, heldOut.inputs), heldOut.labels);
    await expectSoftwareBackendsAgree(program, realDigits(program));
    expect(floatAcc).toBeGreaterThan(0.85);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  }, 120_000);

  test('digits-activations-onnx (PyTorch → ONNX: LeakyRelu, PRelu, HardSwish, Tanh, Sigmoid): int8 within 1 point of onnxruntime', async () => {
    const model = ex('digits-activations-onnx/model.onnx');
    const floatAcc = accuracy((await ortRun(model, [1, 1, 28, 28], heldOut.inputs)).map(argmax), heldOut.labels);
    const program = compileGraph(loadModel(model), calibrationSamples(ex('digits-activations-onnx/calibration.json')));
    expect(tableLayers(program)).toBeGreaterThanOrEqual(5);
    const intAcc = accuracy(await int8Predict(program, heldOut.inputs), heldOut.labels);
    await expectSoftwareBackendsAgree(program, realDigits(program));
    expect(floatAcc).toBeGreaterThan(0.9);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  }, 120_000);
});

describe('a binary classifier ending in sigmoid', () => {
  test('"is it a 0?": int8 probabilities follow TF.js, accuracy within 1 point', async () => {
    const train = loadDigits('train', 3000);
    const isZero = train.labels.map((l) => (l === 0 ? 1 : 0));
    const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
    const model = tf.sequential({ layers: [
      tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [784], ...seeded(11) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', ...seeded(12) }),
    ] });
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'binaryCrossentropy' });
    const xs = tf.tensor2d(train.inputs.flatMap((x) => Array.from(x)), [train.inputs.length, 784]);
    await model.fit(xs, tf.tensor1d(isZero, 'float32'), { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-acc-act-'));
    await saveTfjsModel(model, dir);
    const program = compileGraph(loadModel(join(dir, 'model.json')), calibrationSamples());
    expect(tableLayers(program)).toBeGreaterThan(0);
    const want = tfjsPredict(model, heldOut.inputs).map((p) => p[0]!);
    const got = heldOut.inputs.map((x) => dequantizeOutput(program, interpret(program, quantizeInput(program, x)))[0]!);
    const truth = heldOut.labels.map((l) => (l === 0 ? 1 : 0));
    const acc = (p: readonly number[]) => p.filter((v, i) => (v >= 0.5 ? 1 : 0) === truth[i]).length / truth.length;
    expect(acc(want)).toBeGreaterThan(0.9);
    expect(Math.abs(acc(got) - acc(want))).toBeLessThanOrEqual(0.01);
    for (const [i, p] of got.entries()) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
      expect(Math.abs(p - want[i]!)).toBeLessThan(0.05);
    }
  }, 120_000);
});
