// SPDX-License-Identifier: MIT
// Save a TF.js Layers model exactly as tfjs's file handlers do (model.json + one weights.bin
// shard), each file written to a temporary name and renamed: shared by the examples' build scripts.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function writeAtomic(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function concat(weightData) {
  if (!Array.isArray(weightData)) return new Uint8Array(weightData);
  const out = new Uint8Array(weightData.reduce((n, b) => n + b.byteLength, 0));
  let off = 0;
  for (const b of weightData) { out.set(new Uint8Array(b), off); off += b.byteLength; }
  return out;
}

/** `tf` is the caller's @tensorflow/tfjs (one instance per process); `dir` receives model.json + weights.bin. */
export async function saveLayersModel(tf, model, dir) {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeAtomic(join(dir, 'weights.bin'), concat(artifacts.weightData));
    writeAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
}
