/** The TF.js importer on files written by tfjs itself: the imported graph computes what TF.js computes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildFunctionalMlp, buildSequentialMlp, saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';
import type * as tf from '@tensorflow/tfjs';

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
