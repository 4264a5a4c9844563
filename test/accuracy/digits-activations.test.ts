/**
 * Table activations on real digits (threshold table mode): models trained here by TF.js with tanh,
 * leaky ReLU, PReLU, swish and sigmoid hidden layers, saved as TF.js writes them and imported —
 * int8 top-1 accuracy within 1 point of the float model; and a binary classifier whose final
 * sigmoid gives probabilities close to TF.js's.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../src/isa/program.js';
import { argmax, calibrationSamples, compileGraph, int8Predict } from '../helpers/compile.js';
import { saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

const accuracy = (pred: readonly number[], labels: readonly number[]): number => pred.filter((p, i) => p === labels[i]).length / labels.length;
const test_ = loadDigits('test');
const train = loadDigits('train', 3000);
const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });

async function fitAndImport(model: tf.LayersModel, labels: readonly number[], loss: string) {
  model.compile({ optimizer: tf.train.adam(0.003), loss });
  const xs = tf.tensor2d(train.inputs.flatMap((x) => Array.from(x)), [train.inputs.length, 784]);
  await model.fit(xs, tf.tensor1d(labels as number[], 'float32'), { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-acc-act-'));
  await saveTfjsModel(model, dir);
  const program = compileGraph(loadModel(join(dir, 'model.json')), calibrationSamples());
  expect(program.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length).toBeGreaterThan(0);
  return program;
}

describe('table activations on held-out MNIST digits', () => {
  test('tanh, LeakyReLU, PReLU, swish, sigmoid hidden layers: int8 within 1 point of float', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.dense({ units: 32, activation: 'tanh', inputShape: [784], ...seeded(1) }),
      tf.layers.dense({ units: 24, ...seeded(2) }),
      tf.layers.leakyReLU({ alpha: 0.1 }),
      tf.layers.dense({ units: 24, ...seeded(3) }),
      tf.layers.prelu({ alphaInitializer: tf.initializers.constant({ value: 0.25 }) }),
      tf.layers.dense({ units: 20, activation: 'swish', ...seeded(4) }),
      tf.layers.dense({ units: 16, activation: 'sigmoid', ...seeded(5) }),
      tf.layers.dense({ units: 10, activation: 'softmax', ...seeded(6) }),
    ] });
    const program = await fitAndImport(model, train.labels, 'sparseCategoricalCrossentropy');
    const floatAcc = accuracy(tfjsPredict(model, test_.inputs).map(argmax), test_.labels);
    const intAcc = accuracy(int8Predict(program, test_.inputs), test_.labels);
    expect(floatAcc).toBeGreaterThan(0.8);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  }, 120_000);

  test('a binary classifier ("is it a 0?") ending in sigmoid: int8 probabilities follow TF.js, accuracy within 1 point', async () => {
    const isZero = train.labels.map((l) => (l === 0 ? 1 : 0));
    const model = tf.sequential({ layers: [
      tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [784], ...seeded(11) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', ...seeded(12) }),
    ] });
    const program = await fitAndImport(model, isZero, 'binaryCrossentropy');
    const want = tfjsPredict(model, test_.inputs).map((p) => p[0]!);
    const got = test_.inputs.map((x) => dequantizeOutput(program, interpret(program, quantizeInput(program, x)))[0]!);
    const truth = test_.labels.map((l) => (l === 0 ? 1 : 0));
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
