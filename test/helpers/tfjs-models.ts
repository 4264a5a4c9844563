// SPDX-License-Identifier: MIT
/**
 * Small in-process tfjs models for importer tests: seeded random weights (no training),
 * saved exactly as tfjs writes them (model.json + weight .bin shard(s)).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/importers/index.js';

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

/** Seeded initializers for conv-like layers: non-zero biases so bias handling is exercised. */
function convInit(seed: number): Pick<Parameters<typeof tf.layers.conv2d>[0], 'kernelInitializer' | 'biasInitializer'> {
  return { kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 10_000 }) };
}

/** BatchNormalization with non-trivial moving statistics (a fresh layer has mean 0, variance 1). */
function batchNorm(name: string, seed: number, opts: { center?: boolean; scale?: boolean } = {}): tf.layers.Layer {
  return tf.layers.batchNormalization({
    name,
    ...opts,
    epsilon: 0.01,
    gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed }),
    betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 1 }),
    movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
    movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.3, maxval: 2, seed: seed + 3 }),
  });
}

/**
 * Sequential CNN on [9, 9, 3] using most image layers: Conv2D (same, strides 2, relu6),
 * DepthwiseConv2D (same), BatchNormalization, ReLU(max_value 6), ZeroPadding2D, MaxPooling2D (same),
 * AveragePooling2D (same, stride 1: padding excluded from the mean), Conv2D (valid, no bias),
 * Activation relu6, GlobalAveragePooling2D, Dense softmax. Input: 243 floats (NHWC).
 */
export function buildSequentialCnn(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'sequential_cnn' });
  m.add(tf.layers.conv2d({ name: 'conv_a', inputShape: [9, 9, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6', ...convInit(seed) }));
  m.add(tf.layers.depthwiseConv2d({ name: 'depthwise', kernelSize: [3, 2], padding: 'same', depthwiseInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 2 }) }));
  m.add(batchNorm('bn', seed + 3));
  m.add(tf.layers.reLU({ name: 'relu6_layer', maxValue: 6 }));
  m.add(tf.layers.zeroPadding2d({ name: 'pad', padding: [[1, 0], [0, 2]] }));
  m.add(tf.layers.maxPooling2d({ name: 'max_pool', poolSize: 2, strides: 2, padding: 'same' }));
  m.add(tf.layers.averagePooling2d({ name: 'avg_pool', poolSize: 2, strides: 1, padding: 'same' }));
  m.add(tf.layers.conv2d({ name: 'conv_b', filters: 5, kernelSize: 2, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }) }));
  m.add(tf.layers.activation({ name: 'act', activation: 'relu6' }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'out', units: 4, activation: 'softmax', ...denseInit(seed + 5) }));
  return m;
}

/**
 * Functional CNN on [8, 8, 2] with multi-input layers: two conv branches joined by Add and by
 * Concatenate, valid average pooling, a Reshape to a map and Flatten (NHWC order) into Dense, and
 * a BatchNormalization (center/scale off) on the Dense output vector. Input: 128 floats.
 */
export function buildFunctionalCnn(seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2], name: 'image' });
  const a = tf.layers.conv2d({ name: 'branch_a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...convInit(seed) }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: 'branch_b', filters: 4, kernelSize: 1, ...convInit(seed + 1) }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat', axis: -1 }).apply([sum, a, input]) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling2d({ name: 'avg', poolSize: [2, 3], strides: [2, 1] }).apply(cat) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(pooled) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ name: 'fc', units: 12, ...denseInit(seed + 2) }).apply(flat) as tf.SymbolicTensor;
  const bn = batchNorm('bn_vec', seed + 3, { center: false }).apply(dense) as tf.SymbolicTensor;
  const relu = tf.layers.reLU({ name: 'relu' }).apply(bn) as tf.SymbolicTensor;
  const bn2 = batchNorm('bn_vec2', seed + 4, { scale: false }).apply(relu) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logits', units: 3, ...denseInit(seed + 5) }).apply(bn2) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'functional_cnn' });
}

/** Sequential from a flat [48] input: Reshape to [4, 4, 3], strided valid Conv2D, MaxPooling2D, Flatten, Dense. */
export function buildReshapeCnn(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'reshape_cnn' });
  m.add(tf.layers.reshape({ name: 'to_map', inputShape: [48], targetShape: [4, 4, 3] }));
  m.add(tf.layers.conv2d({ name: 'conv', filters: 5, kernelSize: 2, strides: [1, 2], activation: 'relu', ...convInit(seed) }));
  m.add(tf.layers.maxPooling2d({ name: 'pool', poolSize: [2, 1], strides: [1, 1] }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ name: 'out', units: 3, ...denseInit(seed + 1) }));
  return m;
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
/**
 * Models used as layers of other models, as tfjs saves them. 'teachable': Teachable Machine's image
 * model — a Sequential of [a Sequential of (a functional base, GlobalAveragePooling2D), a Sequential
 * head of two Dense] — on an 8×8×3 input; 'sequential': a Sequential holding a Sequential; 'functional':
 * a functional model applying a Sequential to its input.
 */
export function buildNestedNet(kind: 'teachable' | 'sequential' | 'functional', seed = 1): tf.LayersModel {
  if (kind === 'teachable') {
    const input = tf.input({ shape: [8, 8, 3] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'Conv1', ...denseInit(seed) }).apply(input) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'Conv2', ...denseInit(seed + 1) }).apply(c1) as tf.SymbolicTensor;
    const base = tf.model({ inputs: input, outputs: tf.layers.add({ name: 'add_1' }).apply([c1, c2]) as tf.SymbolicTensor, name: 'model1' });
    const trunk = tf.sequential({ name: 'sequential_1', layers: [base, tf.layers.globalAveragePooling2d({ name: 'gap' })] });
    const head = tf.sequential({
      name: 'sequential_3',
      layers: [tf.layers.dense({ units: 6, inputShape: [4], activation: 'relu', name: 'dense_Dense1', ...denseInit(seed + 2) }), tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense_Dense2', ...denseInit(seed + 3) })],
    });
    return tf.sequential({ name: 'sequential_4', layers: [trunk, head] });
  }
  const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ units: 5, inputShape: [4], activation: 'tanh', name: 'inner_dense', ...denseInit(seed) })] });
  if (kind === 'sequential') return tf.sequential({ name: 'outer', layers: [inner, tf.layers.dense({ units: 2, name: 'outer_dense', ...denseInit(seed + 1) })] });
  const x = tf.input({ shape: [4] });
  const y = tf.layers.dense({ units: 2, name: 'outer_dense', ...denseInit(seed + 1) }).apply(inner.apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y, name: 'fn' });
}

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

/** The one-line error nnchip gives for a model tfjs saved, its model.json first edited (as Keras would write it); 'loaded' when it loads. */
export async function tfjsRefusal(model: tf.LayersModel, edit: (json: string) => string = (j) => j): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-refusal-'));
  await saveTfjsModel(model, dir);
  const path = join(dir, 'model.json');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  try {
    loadModel(path);
  } catch (e) {
    return (e as Error).message;
  }
  return 'loaded';
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

/** Load a model.json + single weights.bin from disk into TF.js (the independent float runtime). */
export async function loadTfjsFromFiles(modelJsonPath: string): Promise<tf.LayersModel> {
  const { readFileSync } = await import('node:fs');
  const { dirname, join: joinPath } = await import('node:path');
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const group = json.weightsManifest[0]!;
  const bin = Buffer.concat(group.paths.map((p) => readFileSync(joinPath(dirname(modelJsonPath), p))));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
}

/** float → IEEE half bits, rounding to nearest even (as numpy's astype(float16) in tfjs-converter). */
export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to infinity)
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
}

/** numpy's round: half to even. */
const roundEven = (v: number): number => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

export type WeightQuantization = 'uint8' | 'uint16' | 'float16';

/**
 * tfjs-converter's weight quantization (tensorflowjs/quantization.py, --quantize_uint8/uint16/float16):
 * affine with scale (max − min)/(2^bits − 1) and min nudged so that 0 is exact; float16 by rounding.
 * Returns the stored bytes and the manifest's quantization entry.
 */
export function quantizeWeight(data: Float32Array, dtype: WeightQuantization): { bytes: Uint8Array; quantization: Record<string, unknown> } {
  if (dtype === 'float16') {
    const half = Uint16Array.from(data, floatToHalf);
    return { bytes: new Uint8Array(half.buffer), quantization: { dtype, original_dtype: 'float32' } };
  }
  const qmax = dtype === 'uint8' ? 255 : 65535;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const q = dtype === 'uint8' ? new Uint8Array(data.length) : new Uint16Array(data.length);
  let scale = 1;
  let min = lo;
  if (lo !== hi) {
    scale = (hi - lo) / qmax;
    if (lo <= 0 && 0 <= hi) min = -roundEven(-lo / scale) * scale;
    const max = qmax * scale + min;
    data.forEach((v, i) => (q[i] = roundEven((Math.min(max, Math.max(min, v)) - min) / scale)));
  }
  return { bytes: new Uint8Array(q.buffer), quantization: { dtype, min, scale, original_dtype: 'float32' } };
}

interface SavedManifest { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: Record<string, unknown> }[] }

/** Rewrite a saved model's float32 weights (dir/model.json + its shards) as tfjs-converter stores them quantized, in one shard `weights.bin`. */
export function quantizeSavedModel(dir: string, dtype: WeightQuantization): void {
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest: SavedManifest[] };
  const parts: Uint8Array[] = [];
  const groups = json.weightsManifest.map((group) => {
    const bin = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let at = 0;
    const weights = group.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const raw = bin.subarray(at, at + n * 4); // tfjs saves float32 and int32 weights, 4 bytes each
      at += n * 4;
      if (w.dtype !== 'float32' || w.quantization !== undefined) {
        parts.push(new Uint8Array(raw));
        return w;
      }
      const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      const q = quantizeWeight(floats, dtype);
      parts.push(q.bytes);
      return { ...w, quantization: q.quantization };
    });
    return { paths: ['weights.bin'], weights };
  });
  for (const g of json.weightsManifest) for (const p of g.paths) rmSync(join(dir, p));
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(parts));
  writeFileSync(path, JSON.stringify({ ...json, weightsManifest: [{ paths: ['weights.bin'], weights: groups.flatMap((g) => g.weights) }] }));
}

/**
 * Sequential 1-D net on [20, 3] sequences: Conv1D (same, relu), MaxPooling1D, Conv1D (valid; tfjs cannot run causal),
 * AveragePooling1D, Conv1D (valid, strided), GlobalMaxPooling1D, Dense. Input: 60 floats.
 */
export function buildConv1dNet(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'conv1d_net' });
  m.add(tf.layers.conv1d({ name: 'c1', inputShape: [20, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...convInit(seed) }));
  m.add(tf.layers.maxPooling1d({ name: 'p1', poolSize: 2 }));
  m.add(tf.layers.conv1d({ name: 'c2', filters: 5, kernelSize: 3, ...convInit(seed + 1) }));
  m.add(tf.layers.averagePooling1d({ name: 'p2', poolSize: 2, strides: 2 }));
  m.add(tf.layers.conv1d({ name: 'c3', filters: 6, kernelSize: 2, strides: 2, activation: 'relu', ...convInit(seed + 2) }));
  m.add(tf.layers.globalMaxPooling1d({ name: 'gmp' }));
  m.add(tf.layers.dense({ name: 'out', units: 3, ...denseInit(seed + 3) }));
  return m;
}

/**
 * Sequential on [6, 6, 2]: SeparableConv2D (same, relu), UpSampling2D [2, 3], Cropping2D
 * [[1, 2], [3, 0]], Conv2D (valid), GlobalMaxPooling2D, Dense. Input: 72 floats.
 */
export function buildUpsampleNet(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'upsample_net' });
  m.add(tf.layers.separableConv2d({ name: 'sep', inputShape: [6, 6, 2], filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: tf.initializers.glorotUniform({ seed }), pointwiseInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 2 }) }));
  m.add(tf.layers.upSampling2d({ name: 'up', size: [2, 3] }));
  m.add(tf.layers.cropping2D({ name: 'crop', cropping: [[1, 2], [3, 0]] }));
  m.add(tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3, ...convInit(seed + 3) }));
  m.add(tf.layers.globalMaxPooling2d({ name: 'gmp' }));
  m.add(tf.layers.dense({ name: 'out', units: 3, ...denseInit(seed + 4) }));
  return m;
}

/** Layout no-ops on [4, 1, 3]: Permute [2, 1, 3] (moves an axis of size 1), Reshape to [4, 3], GlobalAveragePooling1D, Dense. */
export function buildPermuteNet(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'permute_net' });
  m.add(tf.layers.permute({ name: 'perm', inputShape: [4, 1, 3], dims: [2, 1, 3] }));
  m.add(tf.layers.reshape({ name: 'seq', targetShape: [4, 3] }));
  m.add(tf.layers.globalAveragePooling1d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'out', units: 2, ...denseInit(seed) }));
  return m;
}

/** channels_first on [3, 6, 6]: Conv2D (same, relu), BatchNormalization axis 1, MaxPooling2D, Flatten (channel-major), Dense. Input: 108 floats, channel-major. */
export function buildChannelsFirstNet(seed = 1): tf.LayersModel {
  const cf = { dataFormat: 'channelsFirst' as const };
  const m = tf.sequential({ name: 'channels_first_net' });
  m.add(tf.layers.conv2d({ name: 'c1', inputShape: [3, 6, 6], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...convInit(seed), ...cf }));
  m.add(tf.layers.batchNormalization({ name: 'bn', axis: 1, movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 1 }) }));
  m.add(tf.layers.maxPooling2d({ name: 'p1', poolSize: 2, ...cf }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ name: 'out', units: 3, ...denseInit(seed + 2) }));
  return m;
}

/** Broadcasting merges on [4, 4, 3]: Add and Maximum of a conv and the input's [1, 1, 3] mean, GlobalAveragePooling2D, RepeatVector 3, Flatten. Input: 48 floats. */
export function buildBroadcastNet(seed = 1): tf.LayersModel {
  const x = tf.input({ shape: [4, 4, 3] });
  const conv = tf.layers.conv2d({ name: 'c1', filters: 3, kernelSize: 3, padding: 'same', ...convInit(seed) }).apply(x) as tf.SymbolicTensor;
  const mean = tf.layers.reshape({ name: 'mean', targetShape: [1, 1, 3] }).apply(tf.layers.globalAveragePooling2d({ name: 'gap0' }).apply(x)) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([conv, mean]) as tf.SymbolicTensor;
  const hi = tf.layers.maximum({ name: 'hi' }).apply([mean, sum]) as tf.SymbolicTensor;
  const v = tf.layers.globalAveragePooling2d({ name: 'gap1' }).apply(hi) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.flatten({ name: 'flat' }).apply(tf.layers.repeatVector({ name: 'rep', n: 3 }).apply(v)) as tf.SymbolicTensor });
}
