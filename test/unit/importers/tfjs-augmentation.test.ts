// SPDX-License-Identifier: MIT
/**
 * Keras's image augmentation layers inside a saved model (the Keras image-classification tutorial's
 * `data_augmentation`: RandomFlip, RandomRotation, RandomZoom before Rescaling) are the identity at inference:
 * the model with them computes what TF.js computes for the same model without them. TF.js itself has no such
 * layers, so they are written into the topology as Keras does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildSequentialCnn, saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

interface LayerJson { class_name: string; config: Record<string, unknown> }

test('RandomFlip, RandomRotation, RandomZoom, RandomContrast before the first layer: the model = TF.js without them', async () => {
  const model = buildSequentialCnn(3);
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-augment-'));
  await saveTfjsModel(model, dir);
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: { config: { layers: LayerJson[] } } };
  const layers = json.modelTopology.config.layers;
  const shape = layers[0]!.config['batch_input_shape'];
  delete layers[0]!.config['batch_input_shape'];
  const augment = (class_name: string, config: Record<string, unknown>): LayerJson => ({ class_name, config: { name: class_name.toLowerCase(), trainable: true, dtype: 'float32', seed: null, ...config } });
  layers.unshift(
    { ...augment('RandomFlip', { mode: 'horizontal' }), config: { ...augment('RandomFlip', { mode: 'horizontal' }).config, batch_input_shape: shape } },
    augment('RandomRotation', { factor: 0.1, fill_mode: 'reflect', interpolation: 'bilinear' }),
    augment('RandomZoom', { height_factor: 0.1, width_factor: null }),
    augment('RandomContrast', { factor: 0.2 }),
  );
  writeFileSync(path, JSON.stringify(json));
  const graph = loadModel(path);
  const inputs = randomSamples(4, 9 * 9 * 3, 7, -1, 1);
  const want = tfjsPredict(model, inputs);
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  expect(graph.nodes.filter((n) => n.name.startsWith('random')).map((n) => n.op)).toEqual(['identity', 'identity', 'identity', 'identity']);
});
