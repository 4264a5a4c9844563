/**
 * Keras models saved with data_format channels_first (maps [C, H, W]; Keras 2 trained on GPUs): the
 * input read channel-major, maps held [H, W, C] as every map, Flatten channel-major unless its own
 * data_format is channels_first, BatchNormalization and Concatenate on axis 1, a map out given back
 * channel-major. They were refused ("only channels_last"). Compared with tfjs predict on the same file,
 * and, where tfjs's CPU kernels cannot run the channels_first form (BatchNormalization axis 1 scales
 * along the last axis; a depthwise bias fails to broadcast), with its channels_last twin of the same
 * weights on the transposed input. int8: ref = sim, close to float, in the model's layout. Permute((3, 1, 2))
 * of a channels_last map makes such a map (and Permute((2, 3, 1)) undoes it), moving no data.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import type { Graph } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { toModelLayout } from '../../../src/isa/layout.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
type T = tf.SymbolicTensor;
const cf = { dataFormat: 'channelsFirst' as const };
const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 1 }) });
const conv = (o: Partial<Parameters<typeof L.conv2d>[0]>, seed = 1) => L.conv2d({ filters: 3, kernelSize: 3, ...init(seed), ...cf, ...o });
const chain = (shape: number[], layers: () => tf.layers.Layer[]) => (): tf.LayersModel => {
  const x = tfjs.input({ shape });
  return tfjs.model({ inputs: x, outputs: layers().reduce<T>((y, l) => l.apply(y) as T, x) });
};

async function imported(model: tf.LayersModel): Promise<Graph> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cf-'));
  await saveTfjsModel(model, dir);
  return loadModel(join(dir, 'model.json'));
}

/** float = `want`; the int8 program: ref = sim, within 5% of the output range, in the model's layout. */
function expectAgrees(graph: Graph, inputs: Float32Array[], want: number[][]): void {
  const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
  // the float graph's output is pixel-major for a map, already channel-major for a channel-major flatten
  const flat = graph.nodes.find((n) => n.output === graph.outputs[0])?.op === 'flatten';
  inputs.forEach((x, i) => expectClose(flat ? evaluateOutput(graph, x) : toModelLayout(program.outputs[0]!, evaluateOutput(graph, x)), want[i]!));
  const range = Math.max(...want.flat()) - Math.min(...want.flat());
  for (const [i, x] of inputs.slice(0, 3).entries()) {
    const codes = quantizeInput(program, x);
    const ref = interpret(program, codes);
    expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
    Array.from(toModelLayout(program.outputs[0]!, ref)).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.05 * range));
  }
}

const CASES: [string, () => tf.LayersModel][] = [
  ['Conv2D valid: a [C, H, W] map out', chain([3, 6, 5], () => [conv({ filters: 4 })])],
  ['Conv2D same, Flatten (channel-major), Dense', chain([3, 6, 6], () => [conv({ filters: 4, padding: 'same' }), L.flatten(), L.dense({ units: 3, ...init(5) })])],
  ['Conv2D, Flatten data_format channels_first (pixel-major), Dense', chain([3, 6, 6], () => [conv({ filters: 4 }), L.flatten(cf as object), L.dense({ units: 3, ...init(5) })])],
  ['Conv2D, a final Flatten (channel-major out)', chain([2, 5, 4], () => [conv({ filters: 3 }), L.flatten()])],
  ['a flat input reshaped to [C, H, W] (Keras 2 MNIST-style), Conv2D, Flatten, Dense', () => tfjs.sequential({ layers: [L.reshape({ inputShape: [60], targetShape: [3, 5, 4] }), conv({ filters: 2 }), L.flatten(), L.dense({ units: 3, ...init(5) })] })],
  ['Conv2D, MaxPooling2D, GlobalAveragePooling2D', chain([3, 7, 6], () => [conv({ filters: 4, padding: 'same' }), L.maxPooling2d({ poolSize: 2, ...cf }), L.globalAveragePooling2d(cf)])],
  ['Conv2DTranspose same stride 2, GlobalMaxPooling2D', chain([3, 4, 4], () => [L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', ...init(3), ...cf }), L.globalMaxPooling2d(cf)])],
  ['functional: Add of a conv and the input, Concatenate axis 1, ReLU', () => {
    const x = tfjs.input({ shape: [3, 5, 5] });
    const sum = L.add().apply([conv({ kernelSize: 1 }).apply(x) as T, x]) as T;
    return tfjs.model({ inputs: x, outputs: L.reLU().apply(L.concatenate({ axis: 1 }).apply([sum, conv({ filters: 2, padding: 'same' }, 7).apply(x) as T])) as T });
  }],

];

describe('channels_first Keras models', () => {
  test.each(CASES)('%s = TF.js predict', async (_, build) => {
    const model = build();
    const graph = await imported(model);
    expect(graph.inputs[0]!.layout).toBe('chw');
    const inputs = randomSamples(6, model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1), 9, -2, 2);
    expectAgrees(graph, inputs, tfjsPredict(model, inputs));
  });

  test('DepthwiseConv2D, SeparableConv2D, AveragePooling2D same, UpSampling2D, ZeroPadding2D, Cropping2D, BatchNormalization axis 1 = the channels_last twin', async () => {
    const layers = (f: object, axis: number): tf.layers.Layer[] => [
      L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: 1 }), ...f }),
      L.separableConv2d({ filters: 4, kernelSize: 3, depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: 2 }), pointwiseInitializer: tfjs.initializers.glorotUniform({ seed: 3 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -1, maxval: 1, seed: 4 }), ...f }),
      L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', ...f }),
      L.upSampling2d({ size: [2, 2], ...f }),
      L.zeroPadding2d({ padding: [[1, 0], [0, 2]], ...f }),
      L.cropping2D({ cropping: [[0, 1], [1, 0]], ...f }),
      L.batchNormalization({ axis, movingMeanInitializer: tfjs.initializers.randomUniform({ minval: -1, maxval: 1, seed: 5 }), gammaInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 6 }) }),
      L.globalAveragePooling2d(f),
    ];
    const model = chain([2, 7, 6], () => layers(cf, 1))();
    const twin = chain([7, 6, 2], () => layers({}, -1))();
    twin.setWeights(model.getWeights());
    const graph = await imported(model);
    const inputs = randomSamples(6, 84, 11, -2, 2);
    const hwc = inputs.map((x) => Float32Array.from({ length: 84 }, (_, i) => x[(i % 2) * 42 + Math.floor(i / 2)]!));
    expectAgrees(graph, inputs, tfjsPredict(twin, hwc));
  });

  test('Concatenate axis −3 (Keras\'s other name for the channels of [N, C, H, W]; tfjs mis-reads it) = the same model with axis 1', async () => {
    const x = tfjs.input({ shape: [2, 4, 5] });
    const model = tfjs.model({ inputs: x, outputs: L.concatenate({ axis: 1 }).apply([conv({ kernelSize: 1 }).apply(x) as T, x]) as T });
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cf-'));
    await saveTfjsModel(model, dir);
    const path = join(dir, 'model.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"axis":1', '"axis":-3'));
    const inputs = randomSamples(6, 40, 9, -2, 2);
    expectAgrees(loadModel(path), inputs, tfjsPredict(model, inputs));
  });

  test.each([
    ['Permute((3, 1, 2)), Flatten, Dense (a model ported from PyTorch keeps its weights\' order)', chain([4, 3, 2], () => [L.conv2d({ filters: 3, kernelSize: 1, ...init(3) }), L.permute({ dims: [3, 1, 2] }), L.flatten(), L.dense({ units: 3, ...init(5) })])],
    ['Permute((3, 1, 2)), ReLU, a final Flatten (channel-major out)', chain([4, 3, 2], () => [L.conv2d({ filters: 3, kernelSize: 1, ...init(3) }), L.permute({ dims: [3, 1, 2] }), L.reLU(), L.flatten()])],
    ['Permute((3, 1, 2)) then ((2, 3, 1)): channels last again, a Conv2D', chain([4, 3, 2], () => [L.permute({ dims: [3, 1, 2] }), L.permute({ dims: [2, 3, 1] }), L.conv2d({ filters: 3, kernelSize: 3, ...init(3) })])],
  ] as const)('%s = TF.js predict (Permute moved data and was refused)', async (_, build) => {
    const model = build();
    const graph = await imported(model);
    const inputs = randomSamples(6, 24, 9, -2, 2);
    expectAgrees(graph, inputs, tfjsPredict(model, inputs));
  });

  test.each([
    ['Dense on a channels_first map (it would act on W)', chain([3, 4, 4], () => [conv({}), L.dense({ name: 'd', units: 2 })]), /Dense reading a channels_first map \[C, H, W\] is not supported/],
    ['a channels_last layer after a channels_first one', chain([3, 4, 4], () => [conv({}), L.conv2d({ name: 'c', filters: 2, kernelSize: 1 })]), /a channels_last layer reading a channels_first map \[C, H, W\] is not supported/],
    ['BatchNormalization on the last axis (W) of a channels_first map', chain([3, 4, 4], () => [conv({}), L.batchNormalization({ name: 'bn', axis: -1 })]), /BatchNormalization reading a channels_first map/],
    ['a convolution whose activation is softmax (Keras takes it over W)', chain([3, 4, 4], () => [conv({ name: 'sm', activation: 'softmax' })]), /Conv2D with activation softmax on a channels_first map is not supported \(Keras takes it over W, the last axis\)/],
  ] as const)('refused in one line: %s', async (_, build, message) => {
    await expect(imported(build())).rejects.toThrow(message);
  });
});
