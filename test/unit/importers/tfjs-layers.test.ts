/** The TF.js importer on files written by tfjs itself: the imported graph computes what TF.js computes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildFunctionalMlp, buildSequentialMlp, saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { NnchipError } from '../../../src/diagnostics/error.js';

async function roundTrip(model: tf.LayersModel, inputSize: number, shardBytes?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-'));
  await saveTfjsModel(model, dir, shardBytes === undefined ? {} : { shardBytes });
  const graph = loadModel(join(dir, 'model.json'));
  const inputs = randomSamples(8, inputSize, 11);
  const want = tfjsPredict(model, inputs);
  inputs.forEach((x, i) => {
    const got = Array.from(evaluateOutput(graph, x));
    got.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 4));
  });
}

describe('TF.js Layers importer', () => {
  test('Sequential with Dropout and a final softmax', () => roundTrip(buildSequentialMlp([12, 9, 5], { dropout: true, finalSoftmax: true }), 12));
  test('Sequential with Flatten from [4, 5], weights split over several shards', () => roundTrip(buildSequentialMlp([20, 16, 3], { flattenInput: [4, 5] }), 20, 100));
  test('functional Model with Activation and ReLU layers', () => roundTrip(buildFunctionalMlp([10, 8, 6, 4]), 10));
});

describe('TF.js Layers importer: image layers it refuses, one clear line each', () => {
  const cases: [string, () => tf.LayersModel, RegExp][] = [
    ['channels_first', () => tfjs.sequential({ layers: [tfjs.layers.conv2d({ name: 'cf', inputShape: [2, 5, 5], filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' })] }),
      /NN110: model.json: layer "cf": data_format "channels_first" is not supported \(only channels_last/],
    ['depth_multiplier 2', () => tfjs.sequential({ layers: [tfjs.layers.depthwiseConv2d({ name: 'dw', inputShape: [5, 5, 2], kernelSize: 3, depthMultiplier: 2 })] }),
      /layer "dw": depth_multiplier 2 is not supported \(only 1\)/],
    ['dilation', () => tfjs.sequential({ layers: [tfjs.layers.conv2d({ name: 'dil', inputShape: [7, 7, 1], filters: 2, kernelSize: 3, dilationRate: 2 })] }),
      /layer "dil": dilation_rate \[2,2\] is not supported/],
    ['an unsupported layer lists the supported ones', () => tfjs.sequential({ layers: [tfjs.layers.upSampling2d({ name: 'up', inputShape: [3, 3, 1] })] }),
      /layer "up": layer type UpSampling2D is not supported \(supported: InputLayer, Dense, Conv2D, DepthwiseConv2D, MaxPooling2D/],
  ];
  test.each(cases)('%s', async (_, build, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-bad-'));
    await saveTfjsModel(build(), dir);
    let line = '';
    try {
      loadModel(join(dir, 'model.json'));
    } catch (e) {
      line = (e as NnchipError).format();
    }
    expect(line).toMatch(message);
  });
});
