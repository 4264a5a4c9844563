// SPDX-License-Identifier: MIT
/**
 * Keras UnitNormalization (tfjs has no such layer, so the model is a tfjs-written Dense or Conv2D → Activation whose
 * second layer is rewritten as Keras describes a UnitNormalization): the imported graph computes Keras 3's
 * x · min(rsqrt(Σ x²), 1/ε) over the last axis, evaluated independently with tfjs ops on the first layer's output;
 * the int8 program runs the same on the reference interpreter and the simulator, close to float. An axis other than
 * the last is refused in one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

/** A model of `first` then a UnitNormalization "un" with `config` (written as a linear Activation, then rewritten); the first layer alone. */
async function unitNormModel(dir: string, inputShape: number[], first: tf.layers.Layer, config: Record<string, unknown> = { axis: -1 }): Promise<tf.LayersModel> {
  const input = tfjs.input({ shape: inputShape });
  const x = first.apply(input) as tf.SymbolicTensor;
  const model = tfjs.model({ inputs: input, outputs: tfjs.layers.activation({ activation: 'linear', name: 'un' }).apply(x) as tf.SymbolicTensor });
  await saveTfjsModel(model, dir);
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } };
  const layer = json.modelTopology.config.layers.find((l) => l.config['name'] === 'un')!;
  [layer.class_name, layer.config] = ['UnitNormalization', { name: 'un', trainable: true, dtype: 'float32', ...config }];
  writeFileSync(path, JSON.stringify(json));
  return tfjs.model({ inputs: input, outputs: x });
}

/** Keras 3's UnitNormalization of the first layer's outputs over their last axis of `c` values, in tfjs ops. */
function keras(first: tf.LayersModel, c: number, inputs: Float32Array[]): number[][] {
  return tfjsPredict(first, inputs).map((v) => tfjs.tidy(() => {
    const x = tfjs.tensor(v, [v.length / c, c]);
    return Array.from(x.mul(tfjs.minimum(tfjs.rsqrt(x.square().sum(1, true)), 1e7)).dataSync());
  }));
}

describe('Keras UnitNormalization', () => {
  test.each([
    ['of a Dense layer\'s 10 outputs', [12], () => tfjs.layers.dense({ units: 10, kernelInitializer: tfjs.initializers.glorotUniform({ seed: 3 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }) }), 10],
    ['of a map per pixel (Conv2D, 6 channels)', [5, 4, 3], () => tfjs.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: tfjs.initializers.glorotUniform({ seed: 5 }), biasInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1, seed: 6 }) }), 6],
  ] as const)('%s: float = Keras (tfjs ops); int8 ref = sim, within 5% of the range', async (_, shape, layer, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-keras-un-'));
    const first = await unitNormModel(dir, [...shape], layer());
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.some((n) => n.op === 'mul')).toBe(true);
    const inputs = randomSamples(16, shape.reduce((a, b) => a * b, 1), 5, -1, 1);
    const want = keras(first, c, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    expectInt8NearFloat(compileGraph(graph, inputs, { rows: 4, cols: 4 }), inputs, want, 0.05, inputs.length);
  });

  test('over another axis than the last: one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-keras-un-'));
    await unitNormModel(dir, [5, 4, 3], tfjs.layers.conv2d({ filters: 6, kernelSize: 3 }), { axis: [1, 2] });
    expect(failure(() => loadModel(join(dir, 'model.json'))).format()).toMatch(/NN110.*layer "un": axis \[1,2\] is not supported \(only the last axis, -1\)/);
  });
});
