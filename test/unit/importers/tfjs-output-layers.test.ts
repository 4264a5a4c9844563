// SPDX-License-Identifier: MIT
/**
 * A functional TF.js model's output_layers must name a layer and a call of it the model makes. One that
 * names nothing made every layer look unread: all were dropped, and the error was "the model has 0
 * inputs". Now it is NN202 naming the output, whatever the name or call index; a real one still loads.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { failure } from '../../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-output-layers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LAYERS = ['input_1', 'dense_1', 'dense_2'];
const dense = (name: string, units: number, from: string) => ({ class_name: 'Dense', name, config: { name, units, activation: 'relu', use_bias: true }, inbound_nodes: [[[from, 0, 0, {}]]] });
/** input_1 [4] → dense_1 (3) → dense_2 (2), its outputs `outputs`. */
function write(outputs: unknown): string {
  const path = join(dir, 'model.json');
  const layers = [{ class_name: 'InputLayer', name: 'input_1', config: { name: 'input_1', batch_input_shape: [null, 4] }, inbound_nodes: [] }, dense('dense_1', 3, 'input_1'), dense('dense_2', 2, 'dense_1')];
  const specs = [['dense_1/kernel', [4, 3]], ['dense_1/bias', [3]], ['dense_2/kernel', [3, 2]], ['dense_2/bias', [2]]].map(([name, shape]) => ({ name, shape, dtype: 'float32' }));
  const model = { format: 'layers-model', modelTopology: { class_name: 'Model', config: { name: 'fn', layers, input_layers: [['input_1', 0, 0]], output_layers: outputs } }, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  writeFileSync(path, JSON.stringify(model));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(new Float32Array(23).fill(0.25).buffer));
  return path;
}

describe('output_layers', () => {
  test('a name no layer has, or a call a layer never made: NN202 naming it', () => {
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !LAYERS.includes(s) && /^[\w.-]+$/.test(s));
    const call = fc.oneof(fc.record({ layer: name, node: fc.nat(5) }), fc.record({ layer: fc.constantFrom('dense_1', 'dense_2'), node: fc.integer({ min: 1, max: 1000 }) }));
    fc.assert(
      fc.property(call, ({ layer, node }) => {
        const e = failure(() => loadModel(write([[layer, node, 0]])));
        expect(e.code).toBe('NN202');
        expect(e.detail).toContain(`model output "${node === 0 ? layer : `${layer}@${node}`}" is not produced by any layer (output_layers)`);
      }),
      { seed: 14, numRuns: 60 },
    );
  });

  test('a layer the model has is its output, the layers after it dropped', () => {
    expect(loadModel(write([['dense_2', 0, 0]])).outputs).toEqual(['dense_2']);
    const g = loadModel(write([['dense_1', 0, 0]]));
    expect(g.outputs).toEqual(['dense_1']);
    expect(g.nodes.map((n) => n.name)).not.toContain('dense_2');
  });
});
