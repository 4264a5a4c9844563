/**
 * Float agreement with TF.js: models using every supported image layer, saved by tfjs itself,
 * imported, and evaluated by the graph IR's float evaluator, match TF.js predict within 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { argmax } from '../helpers/compile.js';
import { randomSamples } from '../helpers/random-graph.js';
import { buildFunctionalCnn, buildReshapeCnn, buildSequentialCnn, saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

async function agree(model: tf.LayersModel, inputSize: number, ops: string[], lo = -1, hi = 2): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-float-tfjs-'));
  await saveTfjsModel(model, dir);
  const graph = loadModel(join(dir, 'model.json'));
  for (const op of ops) expect(graph.nodes.map((n) => n.op)).toContain(op);
  const inputs = randomSamples(6, inputSize, 5, lo, hi);
  const want = tfjsPredict(model, inputs);
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
}

describe('float agreement: imported TF.js CNNs = TF.js predict', () => {
  test('Sequential: conv (same, strided, relu6), depthwise, batch norm, ReLU6, zero padding, max/avg pool (same), GAP', () =>
    agree(buildSequentialCnn(), 9 * 9 * 3, ['conv2d', 'batchNorm', 'activation', 'pad', 'pool2d', 'globalAvgPool', 'dense']));
  test('functional: Add and Concatenate of conv branches, avg pool, Flatten, batch norm on a vector', () =>
    agree(buildFunctionalCnn(), 8 * 8 * 2, ['add', 'concat', 'flatten', 'batchNorm']));
  test('Reshape to a map (folded into the input shape), strided valid conv, max pool, Flatten (NHWC order)', async () => {
    await agree(buildReshapeCnn(), 48, ['conv2d', 'pool2d', 'flatten']);
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-float-tfjs-'));
    await saveTfjsModel(buildReshapeCnn(), dir);
    expect(loadModel(join(dir, 'model.json')).inputs[0]!.shape).toEqual([4, 4, 3]);
  });
  test('the shipped digits CNN (examples/digits-cnn, trained and saved by tfjs) on real digits', async () => {
    const path = join(import.meta.dirname, '../../examples/digits-cnn/model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const bin = readFileSync(join(path, '../weights.bin'));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData }));
    const graph = loadModel(path);
    expect(graph.nodes.map((n) => n.op)).toEqual(['conv2d', 'pool2d', 'conv2d', 'batchNorm', 'activation', 'flatten', 'dense', 'activation']);
    const { inputs } = JSON.parse(readFileSync(join(path, '../calibration.json'), 'utf8')) as { inputs: number[][] };
    const samples = inputs.slice(0, 12).map((x) => Float32Array.from(x));
    const want = tfjsPredict(model, samples);
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    // every held-out digit: the same class as TF.js, and a trained model
    const held = loadDigits('test');
    const tfjs = tfjsPredict(model, held.inputs).map(argmax);
    expect(held.inputs.map((x) => argmax(evaluateOutput(graph, x)))).toEqual(tfjs);
    expect(tfjs.filter((p, i) => p === held.labels[i]).length / held.labels.length).toBeGreaterThan(0.95);
  });
  test('the depthwise kernel is [KH, KW, C, 1] and flagged depthwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-float-tfjs-'));
    await saveTfjsModel(buildSequentialCnn(), dir);
    const dw = loadModel(join(dir, 'model.json')).nodes.find((n) => n.name === 'depthwise');
    expect(dw?.op === 'conv2d' && dw.depthwise && dw.kernel.shape).toEqual([3, 2, 6, 1]);
  });
});
