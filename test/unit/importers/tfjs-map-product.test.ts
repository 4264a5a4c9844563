// SPDX-License-Identifier: MIT
/**
 * TF.js Layers Multiply of computed tensors other than a per-channel gate: a gated convolution
 * (conv · sigmoid(conv)), three maps (a chain of products), a spatial gate [H, W, 1] (CBAM's, repeated
 * over the channels first) in either order, and two vectors; each an IR `mul` (quarter squares,
 * ir/product.ts). Models written by tfjs itself: float IR = TF.js; int8 reference = sim = WASM, within
 * 5% of TF.js's output spread. Shapes that are neither equal nor a one-channel map are refused in one line.
 * Keras 3's functional `x * gate` of two tensors and `ops.max` / `ops.mean(x, axis=-1, keepdims=True)` (CBAM
 * without a Lambda) on the Keras-written keras3/ops fixture, edited.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectInt8NearFloat, expectSoftwareBackendsAgree, inputClasses } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 1 }) });
const conv = (x: tf.SymbolicTensor, filters: number, seed: number, activation?: 'sigmoid' | 'tanh' | 'relu'): tf.SymbolicTensor =>
  L.conv2d({ filters, kernelSize: 3, padding: 'same', ...(activation === undefined ? {} : { activation }), ...init(seed) }).apply(x) as tf.SymbolicTensor;

/** [6, 5, 2] → `body` → Flatten → Dense(3). */
function net(body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tfjs.input({ shape: [6, 5, 2] });
  const y = body(input);
  const flat = y.shape.length > 2 ? (L.flatten().apply(y) as tf.SymbolicTensor) : y;
  return tfjs.model({ inputs: input, outputs: L.dense({ units: 3, ...init(9) }).apply(flat) as tf.SymbolicTensor });
}

const MODELS: [string, (x: tf.SymbolicTensor) => tf.SymbolicTensor, number][] = [
  ['a gated convolution: Multiply([conv, conv(sigmoid)])', (x) => L.multiply().apply([conv(x, 4, 1), conv(x, 4, 3, 'sigmoid')]) as tf.SymbolicTensor, 1],
  ['three maps: Multiply([tanh conv, sigmoid conv, conv])', (x) => L.multiply().apply([conv(x, 3, 1, 'tanh'), conv(x, 3, 3, 'sigmoid'), conv(x, 3, 5)]) as tf.SymbolicTensor, 2],
  ['a spatial gate: Multiply([relu conv, conv to 1 channel (sigmoid)])', (x) => {
    const f = conv(x, 4, 1, 'relu');
    return L.multiply().apply([f, conv(f, 1, 3, 'sigmoid')]) as tf.SymbolicTensor;
  }, 1],
  ['a spatial gate first: Multiply([gate, map])', (x) => {
    const f = conv(x, 5, 1);
    return L.multiply().apply([conv(x, 1, 7, 'sigmoid'), f]) as tf.SymbolicTensor;
  }, 1],
  ['two vectors: Multiply([Dense, Dense(tanh)])', (x) => {
    const f = L.flatten().apply(x) as tf.SymbolicTensor;
    return L.multiply().apply([L.dense({ units: 6, ...init(1) }).apply(f), L.dense({ units: 6, activation: 'tanh', ...init(3) }).apply(f)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
  }, 1],
];

describe('TF.js Layers Multiply of two (or more) computed tensors', () => {
  test.each(MODELS)('%s: float = TF.js; int8 ref = sim = WASM, near TF.js', async (_, body, products) => {
    const model = net(body);
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-mul-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.filter((n) => n.op === 'mul')).toHaveLength(products);
    const inputs = randomSamples(20, 6 * 5 * 2, 5, -1, 1);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 4, cols: 4 });
    await expectSoftwareBackendsAgree(program, inputClasses(program, inputs[0]));
    expectInt8NearFloat(program, inputs, want, 0.05, 8);
  });

  test('maps of two shapes that are neither equal nor a one-channel map are refused in one line naming them', async () => {
    const input = tfjs.input({ shape: [4, 4, 2] });
    const a = conv(input, 3, 1);
    const b = L.averagePooling2d({ poolSize: [1, 4], strides: [1, 1] }).apply(conv(input, 3, 3)) as tf.SymbolicTensor;
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-mul-'));
    await saveTfjsModel(tfjs.model({ inputs: input, outputs: L.multiply({ name: 'mul' }).apply([a, b]) as tf.SymbolicTensor }), dir);
    const e = failure(() => loadModel(join(dir, 'model.json')));
    expect(e.format()).toMatch(/^error NN110: model\.json: layer "mul": inputs have shapes \[4,4,3\], \[4,1,3\]; Multiply is supported for tensors of one shape, a map and a per-channel gate of its channels \(\[1, 1, C\] or \[C\]\), or a map and a one-channel map \[H, W, 1\]/);
    expect(e.format().split('\n')).toHaveLength(1);
  });
});

/** A Keras 3 operation layer (module keras.src.ops.*) of the given tensors. */
const op = (module: string, cls: string, name: string, args: string[], config: Record<string, unknown> = {}) => ({
  module: `keras.src.ops.${module}`, class_name: cls, config: { name, ...config }, registered_name: cls, name,
  inbound_nodes: [{ args: args.map((t) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 4, 4], dtype: 'float32', keras_history: [t, 0, 0] } })), kwargs: {} }],
});

test('Keras 3: conv · sigmoid(ops.max over the channels) · ops.mean over the channels (keepdims), as Keras writes x * y: = the float model, int8 near it', async () => {
  const src = new URL('../../fixtures/keras3/ops/', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-keras3-mul-'));
  cpSync(src, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const config = json.modelTopology.model_config.config;
  const upTo = config.layers.findIndex((l: { name: string }) => l.name === 'conv2') + 1;
  config.layers = [
    ...config.layers.slice(0, upTo),
    op('numpy', 'Max', 'cmax', ['conv2'], { axis: -1, keepdims: true }),
    op('numpy', 'Mean', 'cmean', ['conv2'], { axis: [-1], keepdims: true }),
    op('nn', 'Sigmoid', 'gate', ['cmax']),
    op('numpy', 'Multiply', 'gated', ['conv2', 'gate']),
    op('numpy', 'Multiply', 'scaled', ['cmean', 'gated']),
  ];
  config.output_layers = [['scaled', 0, 0]];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  const graph = loadModel(join(dir, 'model.json'));
  expect(graph.nodes.filter((n) => n.op === 'mul')).toHaveLength(2);
  // the oracle: the fixture's own conv2 map (its import checked against Keras's predictions), then the formula
  const full = loadModel(join(src, 'model.json'));
  const conv2 = { ...full, nodes: full.nodes.slice(0, full.nodes.findIndex((n) => n.output === 'conv2') + 1), outputs: ['conv2'] };
  const inputs = randomSamples(16, 4 * 4 * 2, 5, -2, 2);
  const want = inputs.map((x) => {
    const m = evaluateOutput(conv2, x);
    return Array.from(m, (v, i) => {
      const px = m.subarray(i - (i % 4), i - (i % 4) + 4);
      return v * (1 / (1 + Math.exp(-Math.max(...px)))) * (px.reduce((a, b) => a + b, 0) / 4);
    });
  });
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  const program = compileGraph(graph, inputs, { rows: 4, cols: 4 });
  expectInt8NearFloat(program, inputs, want, 0.05, 8);
});
