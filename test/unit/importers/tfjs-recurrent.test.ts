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
import { DEFAULT_LIMITS } from '../../../src/ir/limits.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { asKeras3 } from '../../helpers/tfjs-formats.js';
import { saveTfjsModel, tfjsPredict, tfjsRefusal } from '../../helpers/tfjs-models.js';

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
const fn = (shape: number[], f: (x: T) => T) => (): tf.LayersModel => {
  const x = tfjs.input({ shape });
  return tfjs.model({ inputs: x, outputs: f(x) });
};
const on = (l: tf.layers.Layer, ...xs: T[]): T => l.apply(xs.length === 1 ? xs[0]! : xs) as T;
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
  ['LSTM return_state: Add of its h and c (outputs 1 and 2)', fn([5, 3], (x) => {
    const [, h, c] = L.lstm({ units: 4, returnState: true, recurrentActivation: 'sigmoid', ...init(1) }).apply(x) as T[];
    return on(L.add(), h!, c!);
  })],
  ['GRU return_state and return_sequences: Concatenate of the last step\'s output and the state', fn([4, 3], (x) => {
    const [y, h] = L.gru({ units: 3, returnState: true, returnSequences: true, ...init(2) }).apply(x) as T[];
    return on(L.concatenate(), on(L.flatten(), y!), h!);
  })],
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

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
/** Keras's GRU with reset_after (its default; tfjs cannot build it): r applied to h·R_h + the recurrent bias. */
function kerasGruResetAfter(x: Float32Array, [steps, f, u]: readonly [number, number, number], kernel: Float32Array, rec: Float32Array, bias: Float32Array): number[] {
  let h = new Array<number>(u).fill(0);
  for (let t = 0; t < steps; t++) {
    const xw = Array.from({ length: 3 * u }, (_, j) => bias[j]! + Array.from({ length: f }, (_, i) => x[t * f + i]! * kernel[i * 3 * u + j]!).reduce((a, b) => a + b, 0));
    const hr = Array.from({ length: 3 * u }, (_, j) => bias[3 * u + j]! + h.reduce((a, hv, i) => a + hv * rec[i * 3 * u + j]!, 0));
    const z = h.map((_, j) => sigmoid(xw[j]! + hr[j]!));
    const r = h.map((_, j) => sigmoid(xw[u + j]! + hr[u + j]!));
    const hh = h.map((_, j) => Math.tanh(xw[2 * u + j]! + r[j]! * hr[2 * u + j]!));
    h = h.map((hv, j) => z[j]! * hv + (1 - z[j]!) * hh[j]!);
  }
  return h;
}

describe('Keras GRU reset_after (bias [2, 3U])', () => {
  test('= Keras\'s formula, float within 1e-5; int8 within 5% of the spread', async () => {
    const [steps, f, u] = [5, 3, 4] as const;
    const model = chain([steps, f], () => [gru(u, { name: 'g', recurrentActivation: 'sigmoid' })])();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-rnn-'));
    await saveTfjsModel(model, dir);
    const [kernel, rec, b0] = model.getWeights().map((t) => t.dataSync() as Float32Array);
    const b1 = Float32Array.from({ length: 3 * u }, (_, j) => Math.sin(j + 1) * 0.3);
    const bias = Float32Array.from([...b0!, ...b1]);
    // the second bias row appended to the shard (the bias is the last weight), its shape [2, 3U]; Keras 2's writer
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([readFileSync(join(dir, 'weights.bin')), Buffer.from(b1.buffer)]));
    const path = join(dir, 'model.json');
    type Entry = { class_name: string; config: Record<string, unknown> };
    const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: { keras_version: string; config: { layers: Entry[] } }; weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    json.modelTopology.keras_version = '2.11.0';
    json.modelTopology.config.layers.find((l) => l.class_name === 'GRU')!.config['reset_after'] = true;
    json.weightsManifest[0]!.weights.find((w) => w.name === 'g/bias')!.shape = [2, 3 * u];
    writeFileSync(path, JSON.stringify(json));
    const graph = loadModel(path);
    const inputs = randomSamples(8, steps * f, 5, -2, 2);
    const want = inputs.map((x) => kerasGruResetAfter(x, [steps, f, u], kernel!, rec!, bias));
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
    // not the reset-before GRU tfjs computes
    expect(Math.max(...tfjsPredict(model, inputs).flat().map((v, j) => Math.abs(v - want.flat()[j]!)))).toBeGreaterThan(0.01);
    expectInt8NearFloat(compileGraph(graph, inputs, { rows: 8, cols: 8 }), inputs, want);
  });
});

describe('Keras 3 files: a recurrent layer\'s weights are its cell\'s (`<model>/<layer>/lstm_cell/kernel`)', () => {
  test.each([
    ['LSTM', () => chain([5, 3], () => [lstm(4, { name: 'rec', recurrentActivation: 'sigmoid' })])(), 'lstm_cell'],
    ['Bidirectional(GRU)', () => chain([4, 2], () => [L.bidirectional({ layer: gru(3, { name: 'inner', recurrentActivation: 'sigmoid' }) as never, name: 'rec' })])(), 'gru_cell'],
  ] as const)('%s = TF.js predict', async (_, build, cell) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-rnn-'));
    await saveTfjsModel(model, dir);
    asKeras3(dir);
    const path = join(dir, 'model.json');
    // Keras 3's LSTM / GRU / SimpleRNN hold their weights in a cell named lstm_cell / gru_cell / simple_rnn_cell
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"([^"]*\/rec(?:\/(?:forward|backward)_inner)?)\/(kernel|recurrent_kernel|bias)"/g, `"$1/${cell}/$2"`));
    expect(readFileSync(path, 'utf8')).toContain(`/${cell}/recurrent_kernel"`);
    expect(readFileSync(path, 'utf8')).not.toMatch(/(_inner|\/rec)\/(kernel|recurrent_kernel|bias)"/);
    const graph = loadModel(path);
    const inputs = randomSamples(6, model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1), 7, -2, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
  });
});

describe('refused in one line', () => {
  test('a sequence of unknown length names the fix', async () => {
    const model = chain([5, 3], () => [lstm(3)])();
    expect(await tfjsRefusal(model, (j) => j.replace('"batch_input_shape":[null,5,3]', '"batch_input_shape":[null,null,3]'))).toMatch(/the input is a sequence of unknown length \[null,3\]: a recurrent layer is unrolled over a fixed number of steps/);
  });
  test('stateful, time_major; Bidirectional with return_state', async () => {
    expect(await tfjsRefusal(chain([5, 3], () => [gru(3)])(), (j) => j.replace('"stateful":false', '"stateful":true'))).toMatch(/stateful: true is not supported/);
    expect(await tfjsRefusal(chain([5, 3], () => [gru(3)])(), (j) => j.replace('"stateful":false', '"stateful":false,"time_major":true'))).toMatch(/time_major: true is not supported/);
    const bi = chain([5, 3], () => [L.bidirectional({ layer: gru(3) as never })])();
    expect(await tfjsRefusal(bi, (j) => j.replace('"return_state":false', '"return_state":true'))).toMatch(/Bidirectional of a layer with return_state: true is not supported/);
  });
  test('a second output of a layer that has one is not read as its first', async () => {
    const model = fn([5, 3], (x) => on(L.dense({ units: 2, name: 'd2' }), on(L.dense({ units: 3, name: 'd1' }), x)))();
    expect(await tfjsRefusal(model, (j) => j.replace('[["d1",0,0,{}]]', '[["d1",0,1,{}]]'))).toMatch(/input tensor "d1:1" is not produced by any earlier layer/);
  });
  test('softmax as an activation of the recurrence', async () => {
    expect(await tfjsRefusal(chain([5, 3], () => [rnn(3)])(), (j) => j.replace('"activation":"tanh"', '"activation":"softmax"'))).toMatch(/activation softmax is not supported in a recurrent layer/);
  });
  test('steps × units over --max-params: NN109 with the figure, before anything is built', async () => {
    const model = chain([5, 3], () => [lstm(3)])();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-rnn-'));
    await saveTfjsModel(model, dir);
    const path = join(dir, 'model.json');
    // 5 steps × 4 gates × (3 + 3) × 3 = 360 weights unrolled (the model holds 4·(3+3)·3 + 12 = 84)
    expect(() => loadModel(path, { ...DEFAULT_LIMITS, maxParams: 359 })).toThrow(/unrolling 5 steps of LSTM\(3\) on 3 features gives 360 weights, over the limit of 359 \(--max-params\)/);
    expect(loadModel(path, { ...DEFAULT_LIMITS, maxParams: 360 }).nodes.length).toBeGreaterThan(50);
  });
});
