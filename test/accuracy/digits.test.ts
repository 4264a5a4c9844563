/** int8 top-1 accuracy on held-out real digits stays within 1 point of the float model run by TF.js. */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { argmax, calibrationSamples, compileDigitsMlp, compileGraph, DIGITS_MLP, int8Predict } from '../helpers/compile.js';
import { loadTfjsFromFiles, saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

function accuracy(pred: readonly number[], labels: readonly number[]): number {
  return pred.filter((p, i) => p === labels[i]).length / labels.length;
}

const test_ = loadDigits('test');

describe('accuracy against TF.js on held-out MNIST digits', () => {
  test('the shipped MLP: int8 within 1 point of float', async () => {
    const model = await loadTfjsFromFiles(DIGITS_MLP);
    const floatAcc = accuracy(tfjsPredict(model, test_.inputs).map(argmax), test_.labels);
    const { program } = compileDigitsMlp();
    const intAcc = accuracy(await int8Predict(program, test_.inputs), test_.labels);
    expect(floatAcc).toBeGreaterThan(0.9); // sanity: a trained model
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  });

  test('a model trained here by TF.js, saved as TF.js writes it, then imported', async () => {
    const train = loadDigits('train', 3000);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'hidden', units: 32, activation: 'relu', inputShape: [784], kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
        tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
    const xs = tf.tensor2d(train.inputs.flatMap((x) => Array.from(x)), [train.inputs.length, 784]);
    const ys = tf.tensor1d(train.labels, 'float32');
    await model.fit(xs, ys, { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-acc-'));
    await saveTfjsModel(model, dir, { shardBytes: 40_000 });
    const graph = loadModel(join(dir, 'model.json'));
    const program = compileGraph(graph, calibrationSamples());
    const floatAcc = accuracy(tfjsPredict(model, test_.inputs).map(argmax), test_.labels);
    const intAcc = accuracy(await int8Predict(program, test_.inputs), test_.labels);
    expect(floatAcc).toBeGreaterThan(0.8);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  });
});
