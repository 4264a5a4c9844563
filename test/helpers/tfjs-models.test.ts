// SPDX-License-Identifier: MIT
import { mkdtempSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFunctionalMlp, buildSequentialMlp, floatToHalf, quantizeWeight, saveTfjsModel, tfjsPredict } from './tfjs-models.js';

interface WeightSpec { name: string; shape: number[]; dtype: string }
interface ModelJson {
  format: string;
  modelTopology: { class_name: string; config: { layers: { class_name: string; name?: string; config: Record<string, unknown> }[] } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

const root = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function readModel(dir: string): { json: ModelJson; specBytes: number; fileBytes: number } {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  let specBytes = 0;
  let fileBytes = 0;
  for (const group of json.weightsManifest) {
    for (const w of group.weights) specBytes += 4 * w.shape.reduce((a, b) => a * b, 1);
    for (const p of group.paths) fileBytes += statSync(join(dir, p)).size;
  }
  return { json, specBytes, fileBytes };
}

describe('tfjs-models helper', () => {
  it('saves a sharded Sequential MLP (Flatten + Dense + Dropout) as tfjs does', async () => {
    const dir = join(root, 'seq');
    const model = buildSequentialMlp([784, 32, 16, 10], { flattenInput: [28, 28], dropout: true, finalSoftmax: true, seed: 7 });
    await saveTfjsModel(model, dir, { shardBytes: 40_000 });
    const { json, specBytes, fileBytes } = readModel(dir);
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.modelTopology.config.layers.map((l) => l.class_name)).toEqual(['Flatten', 'Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    expect(json.modelTopology.config.layers[0]!.config['batch_input_shape']).toEqual([null, 28, 28]);
    const group = json.weightsManifest[0]!;
    expect(group.paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(group.weights.map((w) => w.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias']);
    expect(specBytes).toBe(4 * (784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10));
    expect(fileBytes).toBe(specBytes);
    const out = tfjsPredict(model, [new Float32Array(784).fill(0.5)]);
    expect(out).toHaveLength(1);
    expect(out[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('saves a functional model with Activation and ReLU layers', async () => {
    const dir = join(root, 'fn');
    const model = buildFunctionalMlp([12, 8, 6, 3], { seed: 3 });
    await saveTfjsModel(model, dir);
    const { json, specBytes, fileBytes } = readModel(dir);
    expect(['Model', 'Functional']).toContain(json.modelTopology.class_name);
    expect(json.modelTopology.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Dense', 'Activation', 'Dense', 'ReLU', 'Dense']);
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(fileBytes).toBe(specBytes);
    expect(specBytes).toBe(4 * (12 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3));
  });

  it('is deterministic for a given seed', async () => {
    const a = buildSequentialMlp([5, 4, 2], { seed: 11 });
    const b = buildSequentialMlp([5, 4, 2], { seed: 11 });
    const x = [Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5])];
    expect(tfjsPredict(a, x)).toEqual(tfjsPredict(b, x));
    await saveTfjsModel(a, join(root, 'a'));
    await saveTfjsModel(b, join(root, 'b'));
    expect(readFileSync(join(root, 'a', 'weights.bin'))).toEqual(readFileSync(join(root, 'b', 'weights.bin')));
    expect(readFileSync(join(root, 'a', 'model.json'), 'utf8')).toBe(readFileSync(join(root, 'b', 'model.json'), 'utf8'));
  });
});

describe('tfjs-models helper: tfjs-converter quantization', () => {
  it('floatToHalf inverts tfjs\'s float16 decoding for every non-NaN half, and rounds ties to even', async () => {
    const tf = await import('@tensorflow/tfjs');
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const floats = tf.io.decodeWeights(bits.buffer, [{ name: 'h', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }])['h']!.dataSync();
    for (let h = 0; h < 65536; h++) if (!Number.isNaN(floats[h]!) && floatToHalf(floats[h]!) !== h) expect.fail(`half ${h}: ${floats[h]} → ${floatToHalf(floats[h]!)}`);
    // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa, 1
    expect([floatToHalf(1 + 2 ** -11), floatToHalf(1 + 3 * 2 ** -11), floatToHalf(70000), floatToHalf(2 ** -25)]).toEqual([0x3c00, 0x3c02, 0x7c00, 0]);
  });

  it('quantizeWeight (uint8): 0 is exact, the range spans 255 steps, values round to the nearest step', () => {
    const data = Float32Array.from([-1, -0.3, 0, 0.25, 1.5]);
    const { bytes, quantization } = quantizeWeight(data, 'uint8');
    const { min, scale } = quantization as { min: number; scale: number };
    expect(scale).toBeCloseTo(2.5 / 255, 12);
    expect(Math.abs(min / scale - Math.round(min / scale))).toBeLessThan(1e-9); // zero on the grid
    data.forEach((v, i) => expect(Math.abs(bytes[i]! * scale + min - v)).toBeLessThanOrEqual(scale / 2 + 1e-9));
    expect(bytes[2]! * scale + min).toBeCloseTo(0, 12);
  });
});
