// SPDX-License-Identifier: MIT
/**
 * LSTM, GRU, SimpleRNN and Bidirectional of TF.js Layers, unrolled over their steps (ir/recurrent.ts):
 * each a small model written by tfjs itself and compared with its predict: the imported float graph
 * within 1e-4, the int8 program (8x8) the same on the reference interpreter and the simulator and
 * within 5% of the output range. Keras's GRU reset_after (tfjs cannot build it) against Keras's formula.
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
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
type T = tf.SymbolicTensor;
const init = (seed: number) => ({
  kernelInitializer: tfjs.initializers.glorotUniform({ seed }),
  recurrentInitializer: tfjs.initializers.glorotUniform({ seed: seed + 1 }),
  biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 2 }),
});
const chain = (shape: number[], layers: () => tf.layers.Layer[]) => (): tf.LayersModel => {
  const x = tfjs.input({ shape });
  return tfjs.model({ inputs: x, outputs: layers().reduce<T>((y, l) => l.apply(y) as T, x) });
};
const lstm = (units: number, o: Partial<Parameters<typeof L.lstm>[0]> = {}, seed = 1) => L.lstm({ units, ...init(seed), ...o });
const gru = (units: number, o: Partial<Parameters<typeof L.gru>[0]> = {}, seed = 1) => L.gru({ units, ...init(seed), ...o });
const rnn = (units: number, o: Partial<Parameters<typeof L.simpleRNN>[0]> = {}, seed = 1) => L.simpleRNN({ units, ...init(seed), ...o });

const CASES: [string, () => tf.LayersModel][] = [
  ['LSTM(4) of 5 steps, last h (hard_sigmoid gates, tfjs default)', chain([5, 3], () => [lstm(4)])],
  ['LSTM(3) sigmoid gates, return_sequences, then Dense', chain([6, 2], () => [lstm(3, { recurrentActivation: 'sigmoid', returnSequences: true }), L.flatten(), L.dense({ units: 2, ...init(9) })])],
  ['LSTM(4) go_backwards, return_sequences', chain([4, 3], () => [lstm(4, { goBackwards: true, returnSequences: true, recurrentActivation: 'sigmoid' })])],
  ['LSTM(3) use_bias false, relu activation', chain([4, 2], () => [lstm(3, { useBias: false, activation: 'relu', recurrentActivation: 'sigmoid' })])],
  ['LSTM of one step', chain([1, 3], () => [lstm(3)])],
  ['two LSTMs stacked', chain([5, 2], () => [lstm(4, { returnSequences: true }, 3), lstm(3, { recurrentActivation: 'sigmoid' }, 5)])],
  ['GRU(4) (reset before), last h', chain([5, 3], () => [gru(4)])],
  ['GRU(3) sigmoid, return_sequences, go_backwards', chain([4, 2], () => [gru(3, { recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: true })])],
  ['GRU(3) use_bias false', chain([4, 2], () => [gru(3, { useBias: false, recurrentActivation: 'sigmoid' })])],
  ['SimpleRNN(4) tanh', chain([6, 3], () => [rnn(4)])],
  ['SimpleRNN(3) relu, return_sequences', chain([4, 2], () => [rnn(3, { activation: 'relu', returnSequences: true })])],
  ['Bidirectional(LSTM) concat', chain([5, 3], () => [L.bidirectional({ layer: lstm(3, { recurrentActivation: 'sigmoid' }) as never, mergeMode: 'concat' })])],
  ['Bidirectional(GRU) sum, return_sequences', chain([4, 2], () => [L.bidirectional({ layer: gru(3, { returnSequences: true }) as never, mergeMode: 'sum' })])],
  ['Bidirectional(SimpleRNN) ave', chain([4, 3], () => [L.bidirectional({ layer: rnn(3) as never, mergeMode: 'ave' })])],
  ['Conv1D, LSTM, Dense', chain([8, 2], () => [L.conv1d({ filters: 3, kernelSize: 3, activation: 'relu', ...init(11) }), lstm(4, { recurrentActivation: 'sigmoid' }), L.dense({ units: 3, ...init(13) })])],
];

describe('recurrent layers = TF.js predict', () => {
  test.each(CASES)('%s', async (_, build) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-rnn-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    const size = model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    const inputs = randomSamples(8, size, 7, -2, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
    // the outputs vary with the input (a recurrence that collapsed to a constant would agree trivially)
    expect(Math.max(...want.map((w, i) => Math.abs(w[0]! - want[(i + 1) % want.length]![0]!)))).toBeGreaterThan(0.01);
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    expectInt8NearFloat(program, inputs, want);
  });
});
