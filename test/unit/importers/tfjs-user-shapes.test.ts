// SPDX-License-Identifier: MIT
/**
 * Models in the shapes users build with @tensorflow/tfjs (session 13 survey), saved by tfjs in 100-byte shards
 * (weights straddling them) and compared with its predict: the imported float graph within 1e-4, the int8 program
 * (8x8) the same on the reference interpreter and the simulator and within 5% of the output range. Transfer learning
 * (a functional base, frozen, nested in a head), the blocks of MobileNetV1, ResNet50V2, Xception, EfficientNet and
 * DenseNet, autoencoders, 1-D conv models. Shared layers (one layer, or one nested model, applied twice: a Siamese
 * branch, a weight-tied block) were refused before; the same models rewritten as Keras 3 and tf.keras 2 write them.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { asKeras3, asTfKeras2 } from '../../helpers/tfjs-formats.js';
import { quantizeSavedModel, saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
type T = tf.SymbolicTensor;
let seedN = 100;
const init = () => { const s = seedN += 2; return { kernelInitializer: tfjs.initializers.glorotUniform({ seed: s }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: s + 1 }) }; };
const bnInit = () => { const s = seedN += 4; return { movingMeanInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: s }), movingVarianceInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s + 1 }), gammaInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s + 2 }), betaInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: s + 3 }) }; };
const on = (l: tf.layers.Layer, ...xs: T[]): T => l.apply(xs.length === 1 ? xs[0]! : xs) as T;
const conv = (filters: number, k: number, o: Record<string, unknown> = {}) => L.conv2d({ filters, kernelSize: k, padding: 'same', ...init(), ...o });
const bn = () => L.batchNormalization(bnInit());
const relu = () => L.activation({ activation: 'relu' });
const sep = (filters: number, o: Record<string, unknown> = {}) => L.separableConv2d({ filters, kernelSize: 3, padding: 'same', depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: seedN += 1 }), pointwiseInitializer: tfjs.initializers.glorotUniform({ seed: seedN += 1 }), ...o });
const dw = (o: Record<string, unknown> = {}) => L.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: seedN += 1 }), ...o });

function base(shape: number[], name = `base${seedN}`): tf.LayersModel {
  const x = tfjs.input({ shape });
  let y = on(conv(4, 3, { strides: 2, useBias: false }), x);
  y = on(relu(), on(bn(), y));
  y = on(conv(6, 3), y);
  return tfjs.model({ inputs: x, outputs: y, name });
}

/** The weights re-stored as float16 (tfjs-converter's --quantize_float16): tfjs predicted with the float32 ones. */
const toFloat16 = (dir: string): void => quantizeSavedModel(dir, 'float16');

function sharedConv(): tf.LayersModel {
  const x = tfjs.input({ shape: [6, 6, 3] });
  const c = conv(3, 3, { activation: 'relu' });
  const y = on(c, on(c, x));
  return tfjs.model({ inputs: x, outputs: on(L.add(), y, x) });
}
function sharedSequential(): tf.LayersModel {
  const b = tfjs.sequential({ name: 'block', layers: [L.conv2d({ inputShape: [6, 6, 3], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }), bn()] });
  const x = tfjs.input({ shape: [6, 6, 3] });
  return tfjs.model({ inputs: x, outputs: on(L.globalAveragePooling2d({}), on(b, on(b, x))) });
}
/** A nested model applied twice, the model's output its second call (output_layers names the nested model's call). */
function twiceOut(kind: 'functional' | 'sequential'): () => tf.LayersModel {
  return () => {
    const b = kind === 'functional' ? base([6, 6, 3], 'block') : tfjs.sequential({ name: 'block', layers: [L.conv2d({ inputShape: [6, 6, 3], filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', ...init() })] });
    const x = tfjs.input({ shape: [6, 6, 3] });
    const adapt = kind === 'functional' ? on(L.conv2d({ filters: 3, kernelSize: 1, strides: 1, ...init() }), on(L.upSampling2d({ size: [2, 2] }), on(b, x))) : on(b, x);
    return tfjs.model({ inputs: x, outputs: on(b, adapt) });
  };
}
/** One base on the input and on its mirror (a 1x1 conv of it), the two embeddings subtracted: output_layers names a later layer. */
function siamese(): tf.LayersModel {
  const b = base([8, 8, 3], 'tower');
  const x = tfjs.input({ shape: [8, 8, 3] });
  const gap = L.globalAveragePooling2d({});
  const e1 = on(gap, on(b, x));
  const e2 = on(gap, on(b, on(conv(3, 1), x)));
  const d = on(L.add(), e1, on(L.dense({ units: 6, ...init() }), e2));
  return tfjs.model({ inputs: x, outputs: on(L.dense({ units: 2, ...init() }), d) });
}

const CASES: [string, () => tf.LayersModel, ((dir: string) => void)?][] = [
  ['transfer: functional base applied in a functional head', () => {
    const b = base([8, 8, 3], 'mobilenet_base');
    b.trainable = false;
    const x = tfjs.input({ shape: [8, 8, 3] });
    const y = on(L.dense({ units: 3, ...init() }), on(L.dropout({ rate: 0.2 }), on(L.globalAveragePooling2d({}), on(b, x))));
    return tfjs.model({ inputs: x, outputs: y });
  }],
  ['transfer: frozen base in a Sequential head', () => {
    const b = base([8, 8, 3]);
    b.trainable = false;
    return tfjs.sequential({ layers: [b, L.flatten(), L.dense({ units: 4, activation: 'relu', ...init() }), L.dense({ units: 2, activation: 'softmax', ...init() })] });
  }],
  ['transfer: base truncated at an inner layer (tf.model on base.getLayer(..).output)', () => {
    const b = base([8, 8, 3]);
    const trunk = tfjs.model({ inputs: b.inputs, outputs: b.layers[3]!.output as T });
    return tfjs.sequential({ layers: [trunk, L.globalAveragePooling2d({}), L.dense({ units: 3, ...init() })] });
  }],
  ['shared conv called twice', sharedConv],
  ['shared nested Sequential called twice', sharedSequential],
  ['shared nested Sequential called twice, as Keras 3 writes it', sharedSequential, asKeras3],
  ['shared nested Sequential called twice, as tf.keras 2 writes it', sharedSequential, asTfKeras2],
  ['shared functional base on two branches (Siamese), its output read by name', siamese],
  ['shared functional base on two branches, as Keras 3 writes it', siamese, asKeras3],
  ['shared conv called twice, as Keras 3 writes it', sharedConv, asKeras3],
  ...(['functional', 'sequential'] as const).flatMap((kind): [string, () => tf.LayersModel, ((dir: string) => void)?][] => [
    [`nested ${kind} model applied twice, the output its second call`, twiceOut(kind)],
    [`nested ${kind} model applied twice, the output its second call, as Keras 3 writes it`, twiceOut(kind), asKeras3],
    [`nested ${kind} model applied twice, the output its second call, as tf.keras 2 writes it`, twiceOut(kind), asTfKeras2],
  ]),
  ['shared dense on two branches', () => {
    const x = tfjs.input({ shape: [6] });
    const d = L.dense({ units: 6, activation: 'tanh', ...init() });
    const a = on(d, x);
    const b2 = on(d, on(L.dense({ units: 6, ...init() }), x));
    return tfjs.model({ inputs: x, outputs: on(L.concatenate(), a, b2) });
  }],
  ['MobileNetV1 α=0.25 with Rescaling', () => {
    const x = tfjs.input({ shape: [16, 16, 3] });
    let y = on(L.rescaling({ scale: 1 / 127.5, offset: -1 }), x);
    y = on(L.reLU({ maxValue: 6 }), on(bn(), on(conv(8, 3, { strides: 2, useBias: false }), y)));
    for (const [f, s] of [[16, 1], [32, 2], [32, 1]] as const) {
      y = on(L.reLU({ maxValue: 6 }), on(bn(), on(dw({ strides: s, useBias: false }), y)));
      y = on(L.reLU({ maxValue: 6 }), on(bn(), on(conv(f, 1, { useBias: false }), y)));
    }
    y = on(L.globalAveragePooling2d({}), y);
    y = on(L.reshape({ targetShape: [1, 1, 32] }), y);
    y = on(L.dropout({ rate: 0.001 }), y);
    y = on(conv(5, 1), y);
    y = on(L.reshape({ targetShape: [5] }), y);
    return tfjs.model({ inputs: x, outputs: on(L.activation({ activation: 'softmax' }), y) });
  }],
  ['ResNet50V2 pre-activation blocks', () => {
    const x = tfjs.input({ shape: [8, 8, 3] });
    let y = on(conv(8, 3), x);
    for (const s of [1, 2]) {
      const pre = on(relu(), on(bn(), y));
      const sc = s === 1 ? y : on(conv(16, 1, { strides: 2 }), pre);
      let r = on(relu(), on(bn(), on(conv(4, 1, { useBias: false }), pre)));
      r = on(L.zeroPadding2d({ padding: 1 }), r);
      r = on(relu(), on(bn(), on(conv(4, 3, { strides: s, padding: 'valid', useBias: false }), r)));
      r = on(conv(s === 1 ? 8 : 16, 1), r);
      y = on(L.add(), sc, r);
    }
    y = on(relu(), on(bn(), y));
    return tfjs.model({ inputs: x, outputs: on(L.dense({ units: 3, ...init() }), on(L.globalAveragePooling2d({}), y)) });
  }],
  ['Xception separable block', () => {
    const x = tfjs.input({ shape: [8, 8, 3] });
    let y = on(relu(), on(bn(), on(conv(8, 3, { useBias: false }), x)));
    const sc = on(bn(), on(conv(16, 1, { strides: 2, useBias: false }), y));
    y = on(bn(), on(sep(16, { useBias: false }), y));
    y = on(relu(), y);
    y = on(bn(), on(sep(16, { useBias: false }), y));
    y = on(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), y);
    y = on(L.add(), y, sc);
    return tfjs.model({ inputs: x, outputs: on(L.globalMaxPooling2d({}), y) });
  }],
  ['EfficientNet-like MBConv with SE (swish, Multiply of a vector)', () => {
    const x = tfjs.input({ shape: [8, 8, 8] });
    let y = on(L.activation({ activation: 'swish' }), on(bn(), on(conv(24, 1, { useBias: false }), x)));
    y = on(L.activation({ activation: 'swish' }), on(bn(), on(dw({ useBias: false }), y)));
    let se = on(L.globalAveragePooling2d({}), y);
    se = on(L.reshape({ targetShape: [1, 1, 24] }), se);
    se = on(conv(2, 1, { activation: 'swish' }), se);
    se = on(conv(24, 1, { activation: 'sigmoid' }), se);
    y = on(L.multiply(), y, se);
    y = on(bn(), on(conv(8, 1, { useBias: false }), y));
    y = on(L.add(), on(L.dropout({ rate: 0.2 }), y), x);
    return tfjs.model({ inputs: x, outputs: y });
  }],
  ['DenseNet concat chain with transition', () => {
    const x = tfjs.input({ shape: [8, 8, 3] });
    let y = on(conv(6, 3), x);
    for (let i = 0; i < 3; i++) {
      const r = on(conv(4, 3, { useBias: false }), on(relu(), on(bn(), on(conv(8, 1, { useBias: false }), on(relu(), on(bn(), y))))));
      y = on(L.concatenate({ axis: 3 }), y, r);
    }
    y = on(L.averagePooling2d({ poolSize: 2, strides: 2 }), on(conv(9, 1, { useBias: false }), on(relu(), on(bn(), y))));
    return tfjs.model({ inputs: x, outputs: on(L.globalAveragePooling2d({}), y) });
  }],
  ['autoencoder Conv2DTranspose / UpSampling2D, sigmoid', () => tfjs.sequential({ layers: [
    L.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...init() }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...init() }),
    L.upSampling2d({ size: [2, 2] }),
    L.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', ...init() }),
  ] })],
  ['Dense autoencoder with Reshape to a map', () => tfjs.sequential({ layers: [
    L.flatten({ inputShape: [6, 6, 1] }), L.dense({ units: 8, activation: 'relu', ...init() }), L.dense({ units: 36, activation: 'sigmoid', ...init() }), L.reshape({ targetShape: [6, 6, 1] }),
  ] })],
  ['Conv1D audio: dilation 2 and 4 (same: tfjs cannot run causal), GlobalMaxPooling1D', () => tfjs.sequential({ layers: [
    L.conv1d({ inputShape: [32, 2], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', ...init() }),
    L.conv1d({ filters: 6, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu', ...init() }),
    L.conv1d({ filters: 6, kernelSize: 3, padding: 'same', dilationRate: 4, activation: 'relu', ...init() }),
    L.maxPooling1d({ poolSize: 2 }), L.batchNormalization(bnInit()), L.globalMaxPooling1d({}), L.dense({ units: 3, ...init() }),
  ] })],
  ['Conv1D sensor: strided valid, flatten, dense', () => tfjs.sequential({ layers: [
    L.conv1d({ inputShape: [20, 3], filters: 8, kernelSize: 5, strides: 2, activation: 'relu', ...init() }),
    L.dropout({ rate: 0.5 }), L.averagePooling1d({ poolSize: 2 }), L.flatten(), L.dense({ units: 4, activation: 'softmax', ...init() }),
  ] })],
  ['Conv2D dilation 2 stride 1 valid, use_bias false everywhere', () => tfjs.sequential({ layers: [
    L.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, dilationRate: 2, useBias: false, ...init() }),
    L.dense({ units: 3, useBias: false, ...init() }), L.flatten(), L.dense({ units: 2, useBias: false, ...init() }),
  ] })],
  ['channels_first CNN', () => tfjs.sequential({ layers: [
    L.conv2d({ inputShape: [2, 6, 6], filters: 4, kernelSize: 3, dataFormat: 'channelsFirst', activation: 'relu', ...init() }),
    L.maxPooling2d({ poolSize: 2, dataFormat: 'channelsFirst' }), L.flatten(), L.dense({ units: 3, ...init() }),
  ] })],
  ['float16-quantized weights', () => base([6, 6, 3]), toFloat16],
  ['Keras 3 form of the transfer model', () => {
    const b = base([8, 8, 3], 'base');
    const x = tfjs.input({ shape: [8, 8, 3] });
    return tfjs.model({ inputs: x, outputs: on(L.dense({ units: 3, ...init() }), on(L.globalAveragePooling2d({}), on(b, x))) });
  }, asKeras3],
  ['tf.keras 2 form of the transfer model', () => {
    const b = base([8, 8, 3], 'base');
    const x = tfjs.input({ shape: [8, 8, 3] });
    return tfjs.model({ inputs: x, outputs: on(L.dense({ units: 3, ...init() }), on(L.globalAveragePooling2d({}), on(b, x))) });
  }, asTfKeras2],
];

describe('users\' model shapes = TF.js predict', () => {
  test.each(CASES)('%s', async (_, build, edit) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-survey-'));
    await saveTfjsModel(model, dir, { shardBytes: 100 });
    edit?.(dir);
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.inputs).toHaveLength(1);
    const size = model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    const inputs = randomSamples(8, size, 7, -2, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, edit === toFloat16 ? 2e-3 : 1e-4));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    if (graph.nodes.some((n) => n.op === 'activation' && n.fn === 'softmax')) return;
    expectInt8NearFloat(program, inputs, want);
  });
});
