// SPDX-License-Identifier: MIT
/**
 * Keras 3 GroupNormalization (tfjs has no such layer, so the model is a tfjs-written Conv2D →
 * BatchNormalization whose second layer is rewritten as Keras 3 describes a GroupNormalization,
 * gamma and beta kept): the imported graph computes Keras's formula, evaluated independently with
 * tfjs ops on the conv's output (moments over each group's channels and pixels); the int8 program
 * runs the same on the reference interpreter and the simulator, close to float.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const [H, W, C] = [6, 5, 8];
const EPS = 1e-3;

async function groupNormModel(dir: string, config: Record<string, unknown>): Promise<{ conv: tf.LayersModel; gamma: Float32Array; beta: Float32Array }> {
  const input = tfjs.input({ shape: [H, W, 3] });
  const conv = tfjs.layers.conv2d({ filters: C, kernelSize: 3, padding: 'same', kernelInitializer: tfjs.initializers.glorotUniform({ seed: 3 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }), name: 'conv' });
  const bn = tfjs.layers.batchNormalization({ name: 'gn', gammaInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 5 }), betaInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 6 }) });
  const x = conv.apply(input) as tf.SymbolicTensor;
  const model = tfjs.model({ inputs: input, outputs: bn.apply(x) as tf.SymbolicTensor });
  await saveTfjsModel(model, dir);
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } };
  const layer = json.modelTopology.config.layers.find((l) => l.config['name'] === 'gn')!;
  [layer.class_name, layer.config] = ['GroupNormalization', { name: 'gn', axis: -1, epsilon: EPS, center: true, scale: true, ...config }];
  writeFileSync(path, JSON.stringify(json));
  const [gamma, beta] = bn.getWeights().map((t) => t.dataSync() as Float32Array);
  return { conv: tfjs.model({ inputs: input, outputs: x }), gamma: gamma!, beta: beta! };
}

/** Keras's GroupNormalization of the conv output, in tfjs ops: moments over each group's channels and pixels. */
function keras(conv: tf.LayersModel, gn: { gamma: Float32Array; beta: Float32Array }, groups: number, inputs: Float32Array[]): number[][] {
  return tfjsPredict(conv, inputs).map((v) => tfjs.tidy(() => {
    const x = tfjs.tensor(v, [H, W, groups, C / groups]);
    const { mean, variance } = tfjs.moments(x, [0, 1, 3], true);
    const y = x.sub(mean).div(variance.add(EPS).sqrt()).reshape([H, W, C]).mul(tfjs.tensor(gn.gamma)).add(tfjs.tensor(gn.beta));
    return Array.from(y.dataSync());
  }));
}

describe('Keras 3 GroupNormalization', () => {
  // -1: Keras 3's instance normalization (one group per channel)
  test.each([2, 8, 1, -1])('%i groups: float = Keras (tfjs ops); int8 ref = sim, close to float', async (groups) => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-keras-gn-'));
    const { conv, ...gn } = await groupNormModel(dir, { groups });
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.some((n) => n.op === 'channelMul')).toBe(true);
    const inputs = randomSamples(16, H * W * 3, 5, -1, 1);
    const want = keras(conv, gn, groups === -1 ? C : groups, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 4, cols: 4 });
    let [worst, lo, hi] = [0, Infinity, -Infinity];
    inputs.forEach((x, i) => {
      const codes = quantizeInput(program, x);
      const out = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(out));
      dequantizeOutput(program, out).forEach((v, j) => ([worst, lo, hi] = [Math.max(worst, Math.abs(v - want[i]![j]!)), Math.min(lo, want[i]![j]!), Math.max(hi, want[i]![j]!)]));
    });
    expect(worst).toBeLessThan(0.05 * (hi - lo));
  });

  test('groups that do not divide the channels: one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-keras-gn-'));
    await groupNormModel(dir, { groups: 3 });
    expect(failure(() => loadModel(join(dir, 'model.json'))).format()).toMatch(/NN107.*layer "gn": groups 3 does not divide the 8 channels/);
  });
});
