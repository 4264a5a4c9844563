#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Reproducible training of the recurrent example: an LSTM reading each 28×28 digit row by row (28
// steps of 28 pixels), its last state into a softmax Dense, trained by TF.js on the deterministic
// 'train' split of ../digits-data.mjs.
//
//   node examples/digits-lstm/train.mjs
//
// Writes, next to this file: model.json + weights.bin (tfjs Layers format, float32) and
// calibration.json ({"inputs": [...]}: 40 train images, 4 per class, pixels at 4 decimals).
// Adam (lr 0.01, x0.8 per epoch), batch 64, 10 epochs, a seeded permutation per epoch, seeded
// initializers; no Math.random, so on the tfjs CPU backend a re-run writes the same bytes.
import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_SIZE, loadDigits, NUM_CLASSES, writeLabeledJson } from '../digits-data.mjs';
import { saveLayersModel } from '../save-tfjs.mjs';
import { prng } from '../prng.mjs';

const OUT_DIR = dirname(fileURLToPath(import.meta.url));
const SEED = 2612;
const EPOCHS = 10;
const BATCH_SIZE = 64;
const LEARNING_RATE = 0.01;
const LR_DECAY = 0.8;
const UNITS = 16;

tf.env().set('PROD', true);
await tf.setBackend('cpu');
await tf.ready();

const rand = prng(SEED);

function buildModel() {
  const model = tf.sequential({ name: 'digits_lstm' });
  model.add(tf.layers.lstm({
    name: 'lstm', units: UNITS, inputShape: [28, 28], recurrentActivation: 'sigmoid',
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }), recurrentInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }), biasInitializer: 'zeros',
  }));
  model.add(tf.layers.dense({ name: 'logits', units: NUM_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 2 }), biasInitializer: 'zeros' }));
  return model;
}

const toTensor = (inputs) => {
  const x = new Float32Array(inputs.length * IMAGE_SIZE);
  inputs.forEach((row, i) => x.set(row, i * IMAGE_SIZE));
  return tf.tensor3d(x, [inputs.length, 28, 28]);
};

function accuracy(model, xs, labels) {
  const pred = tf.tidy(() => model.predict(xs).argMax(-1).dataSync());
  return labels.filter((l, i) => pred[i] === l).length / labels.length;
}

const t0 = Date.now();
const train = loadDigits('train');
const test = loadDigits('test');
const testX = toTensor(test.inputs);
const model = buildModel();
const optimizer = tf.train.adam(LEARNING_RATE);
model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  optimizer.learningRate = LEARNING_RATE * LR_DECAY ** epoch;
  const perm = Array.from(train.labels, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const xs = toTensor(perm.map((p) => train.inputs[p]));
  const ys = tf.tensor1d(perm.map((p) => train.labels[p]), 'float32');
  const h = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH_SIZE, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  console.log(`epoch ${epoch + 1}/${EPOCHS} loss=${Number(h.history.loss[0]).toFixed(4)} test_acc=${accuracy(model, testX, test.labels).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const testAcc = accuracy(model, testX, test.labels);
await saveLayersModel(tf, model, OUT_DIR);
// 40 calibration images: rows 0-9, 60-69, 120-129, 180-189 of the 20-per-class calibration split (round-robin order)
const cal = loadDigits('calibration');
writeLabeledJson(join(OUT_DIR, 'calibration.json'), { inputs: cal.inputs.filter((_, j) => Math.floor(j / NUM_CLASSES) % 6 === 0) });
console.log(`test accuracy: ${(testAcc * 100).toFixed(2)}% (${test.labels.length} samples); done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
