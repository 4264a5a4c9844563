// SPDX-License-Identifier: MIT
/**
 * Small in-process tfjs models for importer tests: seeded random weights (no training),
 * saved exactly as tfjs writes them (model.json + weight .bin shard(s)).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Silence the "install tfjs-node" banner (printed via backend_util.warn unless PROD) and pin the CPU backend.
tf.env().set('PROD', true);
await tf.setBackend('cpu');
await tf.ready();

export interface MlpOptions {
  /** hidden-layer activation (default 'relu') */
  activation?: 'relu' | 'linear';
  /** softmax on the last Dense layer (default false: linear) */
  finalSoftmax?: boolean;
  /** initializer seed (default 1) */
  seed?: number;
  /** insert a Dropout(0.25) after every hidden Dense layer */
  dropout?: boolean;
  /** start with Flatten from this input shape, e.g. [28, 28]; its product must equal sizes[0] */
  flattenInput?: number[];
}

function denseInit(seed: number): Pick<Parameters<typeof tf.layers.dense>[0], 'kernelInitializer' | 'biasInitializer'> {
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    // non-zero biases so importers' bias handling is actually exercised
    biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 10_000 }),
  };
}

function checkSizes(sizes: readonly number[]): void {
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`sizes must be >= 2 positive integers, got [${sizes.join(', ')}]`);
  }
}

/** Sequential: [Flatten] -> Dense(sizes[1]) -> [Dropout] -> ... -> Dense(sizes[n-1]); layer names dense_1.. */
export function buildSequentialMlp(sizes: number[], opts: MlpOptions = {}): tf.Sequential {
  checkSizes(sizes);
  const { activation = 'relu', finalSoftmax = false, seed = 1, dropout = false, flattenInput } = opts;
  const model = tf.sequential({ name: 'sequential_mlp' });
  if (flattenInput !== undefined) {
    const n = flattenInput.reduce((a, b) => a * b, 1);
    if (n !== sizes[0]) throw new Error(`flattenInput [${flattenInput.join(', ')}] has ${n} elements, sizes[0] is ${sizes[0]}`);
    model.add(tf.layers.flatten({ name: 'flatten_1', inputShape: flattenInput }));
  }
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1;
    model.add(tf.layers.dense({
      name: `dense_${i}`,
      units: sizes[i]!,
      activation: last ? (finalSoftmax ? 'softmax' : 'linear') : activation,
      ...(i === 1 && flattenInput === undefined ? { inputShape: [sizes[0]!] } : {}),
      ...denseInit(seed + i),
    }));
    if (dropout && !last) model.add(tf.layers.dropout({ name: `dropout_${i}`, rate: 0.25, seed: seed + i }));
  }
  return model;
}

/**
 * Functional (tf.model) MLP: every Dense is linear; hidden activations alternate between a separate
 * `Activation('relu')` layer (activation_<i>) and a `ReLU` layer (re_lu_<i>), starting with Activation.
 * Needs >= 2 hidden layers (sizes.length >= 4) to contain both forms.
 */
export function buildFunctionalMlp(sizes: number[], opts: Pick<MlpOptions, 'finalSoftmax' | 'seed'> = {}): tf.LayersModel {
  checkSizes(sizes);
  const { finalSoftmax = false, seed = 1 } = opts;
  const input = tf.input({ shape: [sizes[0]!], name: 'input_1' });
  let x: tf.SymbolicTensor = input;
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1;
    x = tf.layers.dense({
      name: `dense_${i}`,
      units: sizes[i]!,
      activation: last && finalSoftmax ? 'softmax' : 'linear',
      ...denseInit(seed + i),
    }).apply(x) as tf.SymbolicTensor;
    if (!last) {
      const act = i % 2 === 1
        ? tf.layers.activation({ name: `activation_${i}`, activation: 'relu' })
        : tf.layers.reLU({ name: `re_lu_${i}` });
      x = act.apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.model({ inputs: input, outputs: x, name: 'functional_mlp' });
}

function concatWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
  let off = 0;
  for (const b of parts) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/**
 * Save as `dir/model.json` + weights. Without shardBytes: one `weights.bin` (as tfjs-node's file://
 * handler does). With shardBytes: the concatenated weight bytes are cut every shardBytes bytes
 * (weights may straddle shards, as in the tfjs converter) into `group1-shard<i>of<N>.bin`.
 */
export async function saveTfjsModel(model: tf.LayersModel, dir: string, opts: { shardBytes?: number } = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const bytes = concatWeightData(artifacts.weightData);
    const shards: Uint8Array[] = [];
    const { shardBytes } = opts;
    if (shardBytes === undefined) {
      shards.push(bytes);
    } else {
      if (!Number.isInteger(shardBytes) || shardBytes <= 0) throw new Error(`shardBytes must be a positive integer, got ${shardBytes}`);
      for (let off = 0; off < bytes.length || shards.length === 0; off += shardBytes) {
        shards.push(bytes.subarray(off, off + shardBytes));
      }
    }
    const paths = shardBytes === undefined ? ['weights.bin'] : shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
    shards.forEach((s, i) => writeFileSync(join(dir, paths[i]!), s));
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
  }));
}

/** Run the float model on a batch of flat inputs (reshaped to the model's input shape). */
export function tfjsPredict(model: tf.LayersModel, inputs: Float32Array[]): number[][] {
  const inShape = model.inputs[0]?.shape.slice(1) ?? [];
  const per = inShape.reduce<number>((a, b) => a * (b ?? 1), 1);
  const flat = new Float32Array(inputs.length * per);
  inputs.forEach((row, i) => {
    if (row.length !== per) throw new Error(`input ${i} has ${row.length} values, model expects ${per}`);
    flat.set(row, i * per);
  });
  return tf.tidy(() => {
    const x = tf.tensor(flat, [inputs.length, ...inShape.map((d) => d ?? 1)]);
    const y = model.predict(x);
    if (Array.isArray(y)) throw new Error('tfjsPredict: multi-output models are not supported');
    return (y as tf.Tensor).reshape([inputs.length, -1]).arraySync() as number[][];
  });
}
