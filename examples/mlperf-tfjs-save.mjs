#!/usr/bin/env node
// Writes a TF.js Layers model (model.json + weights.bin) with TF.js itself, from a spec made by
// mlperf_keras.py: the Sequential's layers (tf.layers factory name + config) and their weights in
// TF.js layout, trained by PyTorch. Before saving, TF.js predicts the spec's check inputs and must
// match PyTorch's outputs (max |Δ| ≤ 1e-4), so the two descriptions of the network agree.
//
//   node examples/mlperf-tfjs-save.mjs spec.json <output dir>
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveLayersModel } from './save-tfjs.mjs';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const [specPath, outDir] = process.argv.slice(2);
if (!specPath || !outDir) throw new Error('usage: node mlperf-tfjs-save.mjs spec.json <output dir>');
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const tensor = ({ shape, data }) => tf.tensor(new Float32Array(Uint8Array.from(Buffer.from(data, 'base64')).buffer), shape);

const model = tf.sequential({ name: spec.name });
spec.layers.forEach(({ class: cls, config }, i) => model.add(tf.layers[cls](i === 0 ? { ...config, inputShape: spec.inputShape } : config)));
spec.layers.forEach(({ config, weights }) => {
  if (weights.length > 0) model.getLayer(config.name).setWeights(weights.map(tensor));
});

const want = tensor(spec.check.outputs);
const got = model.predict(tensor(spec.check.inputs));
const diff = got.sub(want).abs().max().dataSync()[0];
if (!(diff <= 1e-4)) throw new Error(`TF.js and PyTorch disagree: max |Δ| = ${diff}`);

await saveLayersModel(tf, model, outDir);
console.log(`TF.js ${tf.version.tfjs}: ${model.countParams()} parameters; TF.js = PyTorch within ${diff.toExponential(1)}; wrote ${join(outDir, 'model.json')}`);
