/**
 * TF.js weight dtypes and quantization: nnchip's reader decodes every weight to exactly the float
 * tfjs-core's own decodeWeights gives for the same bytes, and imported quantized models compute
 * what TF.js computes after loading the same files.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { NnchipError } from '../../../src/diagnostics/error.js';
import { DEFAULT_LIMITS, loadModel } from '../../../src/importers/index.js';
import { readTfjsWeights } from '../../../src/importers/tfjs-weights.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildFunctionalCnn, buildSequentialCnn, loadTfjsFromFiles, quantizeSavedModel, saveTfjsModel, tfjsPredict, type WeightQuantization } from '../../helpers/tfjs-models.js';

interface Manifest { paths: string[]; weights: tf.io.WeightsManifestEntry[] }

/** tfjs-core's decoding of a manifest group's files. */
function tfjsDecode(dir: string, group: Manifest): Map<string, Float32Array | Int32Array> {
  const bin = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
  const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), group.weights);
  return new Map(Object.entries(decoded).map(([k, t]) => [k, t.dataSync() as Float32Array | Int32Array]));
}

/** Same values bit for bit (NaN equals NaN, −0 differs from 0). */
function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(Math.fround(got[i]!), Math.fround(want[i]!))) expect.fail(`${what}[${i}]: got ${got[i]}, tfjs ${want[i]}`);
}

function writeModel(weights: tf.io.WeightsManifestEntry[], bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-weights-'));
  writeFileSync(join(dir, 'weights.bin'), bytes);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['weights.bin'], weights }] }));
  return dir;
}

function compareWithTfjs(dir: string, manifestFile = 'model.json'): number {
  const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8')) as { weightsManifest?: Manifest[] } | Manifest[];
  const groups = Array.isArray(manifest) ? manifest : manifest.weightsManifest!;
  const ours = readTfjsWeights(groups, join(dir, manifestFile), DEFAULT_LIMITS);
  let n = 0;
  for (const group of groups)
    for (const [name, want] of tfjsDecode(dir, group)) {
      expectSameValues(ours.get(name)!.data, want, name);
      n += want.length;
    }
  return n;
}

describe('TF.js weights: decoded exactly as tfjs-core decodes them', () => {
  test('every float16 bit pattern (quantization float16), including subnormals, ±0, ±∞ and NaN', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const dir = writeModel([{ name: 'all', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }], new Uint8Array(bits.buffer));
    expect(compareWithTfjs(dir)).toBe(65536);
  });

  test('uint8 and uint16 affine weights, float32 and int32 (int32 rounded), plain int32 and float32 in one group', () => {
    const u8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    const u16 = Uint16Array.from({ length: 300 }, (_, i) => i * 217);
    const i32 = Int32Array.from([-5, 0, 7, 2 ** 31 - 1, -(2 ** 31)]);
    const f32 = Float32Array.from([0.5, -1.25, 3e-7, 1e30]);
    const bytes = Buffer.concat([u8, new Uint8Array(u16.buffer), u8, new Uint8Array(i32.buffer), new Uint8Array(f32.buffer)]);
    const dir = writeModel([
      { name: 'a', shape: [16, 16], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -1.1 } },
      { name: 'b', shape: [300], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3.3e-5, min: -0.75 } },
      { name: 'c', shape: [256], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.37, min: -20 } },
      { name: 'd', shape: [5], dtype: 'int32' },
      { name: 'e', shape: [2, 2], dtype: 'float32' },
    ], bytes);
    expect(compareWithTfjs(dir)).toBe(256 + 300 + 256 + 5 + 4);
  });

  test('"dtype": "float16" stored plainly decodes like float16 quantization (tfjs itself only reads the latter)', () => {
    const bits = Uint16Array.from({ length: 4096 }, (_, i) => (i * 16 + 3) & 0xffff);
    const dir = writeModel([], new Uint8Array(0));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([new Uint8Array(bits.buffer), new Uint8Array(bits.buffer)]));
    const w = readTfjsWeights([{ paths: ['weights.bin'], weights: [{ name: 'plain', shape: [4096], dtype: 'float16' }, { name: 'quantized', shape: [4096], dtype: 'float32', quantization: { dtype: 'float16' } }] }], join(dir, 'model.json'), DEFAULT_LIMITS);
    expectSameValues(w.get('plain')!.data, w.get('quantized')!.data, 'plain');
    expect(compareWithTfjs(writeModel([{ name: 'quantized', shape: [4096], dtype: 'float32', quantization: { dtype: 'float16' } }], new Uint8Array(bits.buffer)))).toBe(4096);
  });

  test('{min, max} instead of {min, scale}: the converter\'s scale (max − min)/255', () => {
    const u8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    const a = readTfjsWeights([{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [256], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, max: 1.55 } }] }], join(writeModel([], u8), 'model.json'), DEFAULT_LIMITS);
    const w = a.get('w')!.data;
    u8.forEach((q, i) => expect(w[i]).toBe(Math.fround(q * (2.55 / 255) - 1)));
  });

  test('real tfjs-converter output: face-api\'s uint8-quantized landmark weights (test/fixtures/tfjs-uint8-weights)', () => {
    const dir = join(import.meta.dirname, '../../fixtures/tfjs-uint8-weights');
    expect(compareWithTfjs(dir, 'face_landmark_68_tiny_model-weights_manifest.json')).toBeGreaterThan(19_000);
  });
});

describe('TF.js weights: models quantized as tfjs-converter does, imported = TF.js on the same files', () => {
  const kinds: WeightQuantization[] = ['uint8', 'uint16', 'float16'];
  test.each(kinds)('%s: Sequential CNN and functional CNN', async (kind) => {
    for (const [build, size] of [[buildSequentialCnn, 9 * 9 * 3], [buildFunctionalCnn, 8 * 8 * 2]] as const) {
      const dir = mkdtempSync(join(tmpdir(), `nnchip-tfjs-${kind}-`));
      const float = build();
      await saveTfjsModel(float, dir, { shardBytes: 700 });
      quantizeSavedModel(dir, kind);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Manifest[] };
      expect(json.weightsManifest[0]!.weights.every((w) => w.quantization?.dtype === kind)).toBe(true);
      compareWithTfjs(dir);
      const tfjs = await loadTfjsFromFiles(join(dir, 'model.json'));
      const graph = loadModel(join(dir, 'model.json'));
      const inputs = randomSamples(4, size, 3, -1, 2);
      const want = tfjsPredict(tfjs, inputs);
      inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
      // the stored weights really changed: the float model's outputs differ from the quantized one's
      const before = tfjsPredict(float, inputs);
      expect(before.flat().some((v, i) => v !== want.flat()[i])).toBe(true);
    }
  });
});

describe('TF.js weights: what is refused, one line each', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an unknown dtype', { dtype: 'complex64' }, 'weight "w" has dtype "complex64"'],
    ['an unknown quantization', { quantization: { dtype: 'int4', scale: 1, min: 0 } }, 'weight "w" has quantization dtype "int4"'],
    ['float16 quantization of int32', { dtype: 'int32', quantization: { dtype: 'float16' } }, 'weight "w" is int32 quantized as float16 (tfjs allows that only for float32)'],
    ['uint8 without scale', { quantization: { dtype: 'uint8', min: 0 } }, 'weight "w" is quantized as uint8 without finite "min" and "scale" (or "min" and "max")'],
    ['a non-string path', { paths: [7] }, 'a weightsManifest path is 7, not a file name'],
  ];
  test.each(cases)('%s', (_, patch, message) => {
    const { paths = ['weights.bin'], ...spec } = patch;
    const dir = writeModel([], new Uint8Array(4));
    let line = '';
    try {
      readTfjsWeights([{ paths, weights: [{ name: 'w', shape: [4], dtype: 'float32', ...spec }] }], join(dir, 'model.json'), DEFAULT_LIMITS);
    } catch (e) {
      line = (e as NnchipError).format();
    }
    expect(line).toContain(`model.json: ${message} — `);
  });
});
