/**
 * Breadth of the Keras / tfjs layer configurations users' models hold (session 12 audit), each a small
 * model written by tfjs itself and compared with its predict: the imported float graph within 1e-4,
 * the int8 program (8x8) the same on the reference interpreter and the simulator and within 5% of the
 * output range. Most held before the audit; broadcasting merges, RepeatVector, Concatenate along H / W
 * (or a sequence's steps) and LayerNormalization of a vector were refused; LayerNormalization of a map or
 * sequence (per pixel or step, session 13: ir/normalize.ts pixelNormNodes) too.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { asKeras3 } from '../../helpers/tfjs-formats.js';
import { attr, GraphBuilder } from '../../helpers/tfjs-graph-builder.js';
import { saveTfjsModel, tfjsPredict, tfjsRefusal } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
type T = tf.SymbolicTensor;
const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 1 }) });
const uniform = (lo: number, hi: number, seed: number) => tfjs.initializers.randomUniform({ minval: lo, maxval: hi, seed });
const conv = (o: Partial<Parameters<typeof L.conv2d>[0]>, seed = 1) => L.conv2d({ filters: 3, kernelSize: 1, ...init(seed), ...o });
const dense = (units: number, seed = 3, o: Partial<Parameters<typeof L.dense>[0]> = {}) => L.dense({ units, ...init(seed), ...o });
/** A chain of layers on an input of `shape`. */
const chain = (shape: number[], layers: () => tf.layers.Layer[]) => (): tf.LayersModel => {
  const x = tfjs.input({ shape });
  return tfjs.model({ inputs: x, outputs: layers().reduce<T>((y, l) => l.apply(y) as T, x) });
};
/** A functional model y = f(x). */
const fn = (shape: number[], f: (x: T) => T) => (): tf.LayersModel => {
  const x = tfjs.input({ shape });
  return tfjs.model({ inputs: x, outputs: f(x) });
};
const on = (l: tf.layers.Layer, ...xs: T[]): T => l.apply(xs.length === 1 ? xs[0]! : xs) as T;
/** The [1, 1, C] mean of a map (a per-channel vector computed in the network). */
const gate = (x: T): T => on(L.reshape({ targetShape: [1, 1, 3] }), on(L.globalAveragePooling2d({}), x));

const CASES: [string, () => tf.LayersModel][] = [
  ['Conv2D dilation_rate [2, 3], same', chain([9, 9, 3], () => [conv({ filters: 4, kernelSize: 3, dilationRate: [2, 3], padding: 'same' })])],
  ['Conv2D same, kernel 2, stride 1 (all padding at the end)', chain([7, 7, 3], () => [conv({ filters: 4, kernelSize: 2, padding: 'same' })])],
  ['Conv2D same, kernel 4, stride 2, even map', chain([8, 8, 3], () => [conv({ filters: 4, kernelSize: 4, strides: 2, padding: 'same' })])],
  ['Conv2D same, kernel 3, stride 2, odd map', chain([9, 7, 3], () => [conv({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })])],
  ['Conv2D same, kernel [1, 4], strides [1, 3]', chain([7, 10, 3], () => [conv({ filters: 4, kernelSize: [1, 4], strides: [1, 3], padding: 'same' })])],
  ['Conv2D same, kernel 1, stride 2; use_bias false', chain([8, 7, 3], () => [conv({ filters: 4, strides: 2, padding: 'same', useBias: false })])],
  ['SeparableConv2D depth_multiplier 3, same, stride 2', chain([7, 7, 2], () => [L.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 3, strides: 2, padding: 'same', depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: 1 }), pointwiseInitializer: tfjs.initializers.glorotUniform({ seed: 2 }), biasInitializer: uniform(-1, 1, 3) })])],
  ['DepthwiseConv2D kernel 2, stride 2, same, depth_multiplier 2', chain([7, 8, 3], () => [L.depthwiseConv2d({ kernelSize: 2, strides: 2, padding: 'same', depthMultiplier: 2, depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: 1 }) })])],
  ...(['valid', 'same'] as const).flatMap((padding) => ([[2, 2, 3], [3, 3, 2], [2, 1, 4], [3, 2, 3]] as const).map(([sh, sw, k]): [string, () => tf.LayersModel] => [`Conv2DTranspose ${padding}, kernel ${k}, strides [${sh}, ${sw}]`, chain([4, 5, 3], () => [L.conv2dTranspose({ filters: 2, kernelSize: k, strides: [sh, sw], padding, ...init(7) })])])),
  ['Cropping2D [[2, 0], [1, 3]]', chain([7, 8, 2], () => [L.cropping2D({ cropping: [[2, 0], [1, 3]] }), conv({})])],
  ['ZeroPadding2D [[0, 2], [3, 1]] before a conv, and before a max pool', chain([5, 6, 2], () => [L.zeroPadding2d({ padding: [[0, 2], [3, 1]] }), conv({ kernelSize: 3 }), L.zeroPadding2d({ padding: [[1, 2], [0, 1]] }), L.maxPooling2d({ poolSize: 2 })])],
  ['UpSampling2D [3, 3], [2, 3] bilinear', chain([3, 4, 2], () => [L.upSampling2d({ size: [3, 3] }), conv({}), L.upSampling2d({ size: [2, 3], interpolation: 'bilinear' })])],
  ['GlobalMaxPooling2D', chain([5, 6, 3], () => [L.globalMaxPooling2d({})])],
  ['MaxPooling2D same 3 stride 2; valid 3 stride 2', chain([9, 8, 3], () => [L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), L.maxPooling2d({ poolSize: 3, strides: 2 })])],
  ['AveragePooling2D same 3 stride 2 (the padding not counted)', chain([7, 8, 3], () => [L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })])],
  ['AveragePooling2D same 4 stride 3', chain([10, 8, 3], () => [L.averagePooling2d({ poolSize: 4, strides: 3, padding: 'same' })])],
  ['BatchNormalization center and scale false', chain([5, 5, 3], () => [conv({ kernelSize: 3 }), L.batchNormalization({ center: false, scale: false, movingMeanInitializer: uniform(-1, 1, 3), movingVarianceInitializer: uniform(0.3, 2, 4) })])],
  ['BatchNormalization axis 1 of a vector', chain([6], () => [dense(4), L.batchNormalization({ axis: 1, movingMeanInitializer: uniform(-1, 1, 3) })])],
  ['Dense on a sequence (per step), no bias', chain([5, 4], () => [dense(3, 3, { useBias: false }), L.globalAveragePooling1d({})])],
  ['Dense on a map (per pixel), relu', chain([3, 4, 2], () => [dense(3, 3, { activation: 'relu' })])],
  ...['elu', 'selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new', 'relu6', 'hardSigmoid', 'linear', 'tanh', 'sigmoid'].map((a): [string, () => tf.LayersModel] => [`Activation ${a}, and as Dense's activation`, chain([6], () => [dense(5, 4), L.activation({ activation: a as 'relu' }), dense(4, 6, { activation: a as 'relu' })])]),
  ['PReLU shared_axes [1, 2]', chain([4, 4, 3], () => [conv({}), L.prelu({ sharedAxes: [1, 2], alphaInitializer: uniform(0, 0.5, 3) })])],
  ['LeakyReLU alpha 0.1, default 0.3; ThresholdedReLU theta −0.5', chain([6], () => [dense(4), L.leakyReLU({ alpha: 0.1 }), dense(4, 5), L.leakyReLU({}), L.thresholdedReLU({ theta: -0.5 })])],
  ['LayerNormalization of a vector (γ, β), Dense; and without center, ε 0.01', chain([6], () => [dense(8), L.layerNormalization({ gammaInitializer: uniform(0.5, 1.5, 4), betaInitializer: uniform(-0.5, 0.5, 5) }), dense(5, 7), L.layerNormalization({ epsilon: 0.01, center: false })])],
  ['LayerNormalization of a map, per pixel (ConvNeXt), γ β', chain([3, 4, 3], () => [conv({ filters: 5, kernelSize: 3, padding: 'same' }), L.layerNormalization({ gammaInitializer: uniform(0.5, 1.5, 4), betaInitializer: uniform(-0.5, 0.5, 5) })])],
  ['LayerNormalization of a sequence, per step, without center', chain([5, 4], () => [dense(6), L.layerNormalization({ center: false }), dense(3, 5)])],
  ['Softmax as the last layer', chain([6], () => [dense(4), L.softmax({})])],
  ['GaussianNoise, AlphaDropout, SpatialDropout1D (identities at inference)', chain([5, 3], () => [L.gaussianNoise({ stddev: 1 }), L.alphaDropout({ rate: 0.5 }), L.spatialDropout1d({ rate: 0.5 }), dense(3)])],
  ['Add of a map and its [1, 1, C] mean (broadcast)', fn([4, 4, 3], (x) => on(L.add(), on(conv({}), x), gate(x)))],
  ['Add of a [C] vector and a map (broadcast, Keras expands it at axis 1)', fn([4, 4, 3], (x) => on(L.add(), on(L.globalAveragePooling2d({}), x), on(conv({}), x)))],
  ['Average of a map and a [1, 1, C] vector', fn([4, 4, 3], (x) => on(L.average(), on(conv({}), x), gate(x)))],
  ['Maximum of a map, a [1, 1, C] vector and the input', fn([4, 4, 3], (x) => on(L.maximum(), on(conv({}), x), gate(x), x))],
  ['Minimum of a [1, 1, C] vector and a map of one column', fn([4, 1, 3], (x) => on(L.minimum(), on(L.reshape({ targetShape: [1, 1, 3] }), on(L.globalMaxPooling2d({}), x)), on(conv({}), x)))],
  ['Concatenate of three, axis 3', fn([4, 4, 3], (x) => on(L.concatenate({ axis: 3 }), on(conv({ filters: 2 }), x), x, on(conv({ kernelSize: 3, padding: 'same' }, 9), x)))],
  ['Concatenate axis 1 (H) of a conv and the input', fn([4, 4, 3], (x) => on(L.concatenate({ axis: 1 }), on(conv({}), x), x))],
  ['Concatenate axis 2 (W) of three, then a conv', fn([4, 3, 3], (x) => on(conv({ kernelSize: 3 }, 11), on(L.concatenate({ axis: 2 }), on(conv({}), x), x, on(conv({ kernelSize: 3, padding: 'same' }, 9), x))))],
  ['Concatenate axis 1 of sequences (the steps)', fn([5, 3], (x) => on(L.concatenate({ axis: 1 }), on(dense(3), x), on(L.conv1d({ filters: 3, kernelSize: 3, ...init(5) }), x)))],
  ['Multiply of a map and a sigmoid gate', fn([4, 4, 3], (x) => on(L.multiply(), on(conv({}), x), on(L.reshape({ targetShape: [1, 1, 3] }), on(dense(3, 5, { activation: 'sigmoid' }), on(L.globalAveragePooling2d({}), x)))))],
  ['RepeatVector 5, Dense per step, Flatten', chain([4], () => [dense(3), L.repeatVector({ n: 5 }), dense(2, 5, { activation: 'tanh' }), L.flatten()])],
  ['RepeatVector 6, Conv1D, GlobalMaxPooling1D', chain([4], () => [dense(3), L.repeatVector({ n: 6 }), L.conv1d({ filters: 2, kernelSize: 3, ...init(5) }), L.globalMaxPooling1d({})])],
  ['Conv1D same, kernel 4, stride 2; MaxPooling1D and AveragePooling1D same 3 stride 2', chain([17, 3], () => [L.conv1d({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', ...init(3) }), L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' })])],
];

describe('Keras / tfjs layer configurations = TF.js predict', () => {
  test.each(CASES)('%s', async (_, build) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-breadth-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    const size = model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    const inputs = randomSamples(8, size, 7, -2, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    // a final softmax is dropped (logits out); a ThresholdedReLU jumps by θ where the int8 input crosses it
    if (graph.nodes.some((n) => n.op === 'activation' && (n.fn === 'softmax' || (typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn === 'thresholdedrelu')))) return;
    expectInt8NearFloat(program, inputs, want);
  });
});

describe('refused in one line, never computed otherwise', () => {
  test('Softmax over the steps of a sequence (axis 1: tfjs\'s default, which tfjs cannot run on a sequence) was taken over the channels', async () => {
    const model = chain([5, 4], () => [dense(3), L.softmax({ name: 'sm' })])();
    expect(await tfjsRefusal(model)).toMatch(/Softmax over axis 1 is not supported \(only the last axis, -1\)/);
    // Keras's default -1, or the last axis counted with the batch
    expect(await tfjsRefusal(model, (j) => j.replace('"axis":1', '"axis":-1'))).toBe('loaded');
    expect(await tfjsRefusal(model, (j) => j.replace('"axis":1', '"axis":2'))).toBe('loaded');
  });
  test('LayerNormalization of a map over an axis other than the channels names it', async () => {
    expect(await tfjsRefusal(chain([3, 3, 2], () => [L.layerNormalization({ axis: 1 })])())).toMatch(/axis \[1\] is not supported \(only the last axis, -1\)/);
  });
  test('LayerNormalization with Keras 3\'s rms_scaling (x · rsqrt(var + ε) · γ: no −mean, no β) is refused, not read as a plain layer norm', async () => {
    const model = chain([6], () => [dense(4), L.layerNormalization({})])();
    expect(await tfjsRefusal(model, (j) => j.replace('"epsilon":', '"rms_scaling":true,"epsilon":'))).toMatch(/rms_scaling true is not supported/);
    expect(await tfjsRefusal(model, (j) => j.replace('"epsilon":', '"rms_scaling":false,"epsilon":'))).toBe('loaded');
  });
  test('Masking names why', async () => {
    expect(await tfjsRefusal(chain([5, 3], () => [L.masking({ maskValue: 0 }), dense(2)])())).toMatch(/Masking is not supported: its mask changes what later layers compute/);
  });
});

/**
 * Keras' Conv2DTranspose output_padding (tfjs ignores it, so only Keras 3 files are taken): the layer as Keras
 * computes it is TF's conv2d_transpose to Keras' output size, which a graph model states outright
 * (Conv2DBackpropInput with that size, then BiasAdd) and TF.js's loadGraphModel runs.
 */
describe('Conv2DTranspose output_padding (Keras 3) = conv2d_transpose to the size Keras computes', () => {
  test.each([
    ['same', 2, 1, 3], ['same', 3, 2, 3], ['same', 2, 1, 4], ['valid', 2, 1, 3], ['valid', 3, 1, 2], ['same', 3, 1, 2],
  ] as const)('%s, stride %i, output_padding %i, kernel %i', async (padding, stride, outPad, k) => {
    const model = chain([4, 5, 3], () => [L.conv2dTranspose({ name: 'up', filters: 2, kernelSize: k, strides: stride, padding, ...init(7) })])();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-outpad-'));
    await saveTfjsModel(model, dir);
    asKeras3(dir);
    const path = join(dir, 'model.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"padding":', `"output_padding":[${outPad},${outPad}],"padding":`));
    const graph = loadModel(path);
    // Keras: (n − 1)·s + k − 2·pad + output_padding, pad = k // 2 under same
    const size = (n: number): number => (n - 1) * stride + k - 2 * (padding === 'same' ? Math.floor(k / 2) : 0) + outPad;
    const [kernel, bias] = model.getWeights().map((t) => t.dataSync() as Float32Array);
    const g = new GraphBuilder([4, 5, 3]);
    const up = g.op('Conv2DBackpropInput', [g.ints([1, size(4), size(5), 2]), g.constant([k, k, 2, 3], kernel), 'x'], { strides: attr.ints([1, stride, stride, 1]), padding: attr.str(padding.toUpperCase()), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]) });
    g.op('BiasAdd', [up, g.constant([2], bias)], { data_format: attr.str('NHWC') });
    const run = await g.tfjsRunner();
    const inputs = randomSamples(4, 60, 3, -2, 2);
    inputs.forEach((x) => expectClose(evaluateOutput(graph, x), run(x)));
    expect(run(inputs[0]!).length).toBe(2 * size(4) * size(5));
  });

  test('in a tfjs-written file (tfjs ignores it) it is refused in one line', async () => {
    const model = chain([4, 5, 3], () => [L.conv2dTranspose({ name: 'up', filters: 2, kernelSize: 3, strides: 2, padding: 'same', ...init(7) })])();
    expect(await tfjsRefusal(model, (j) => j.replace('"padding":', '"output_padding":[1,1],"padding":'))).toMatch(/output_padding \[1,1\] is not supported \(tfjs ignores it, Keras applies it: taken from Keras 3 files only\)/);
  });
});
