/**
 * Weight manifests as converters and hand tools lay them out (session 12 audit): every weight stored
 * its own way (uint8, uint16, float16, float32 in one model), the weights listed in another order than
 * the layers, in two groups each cut into shards that split weights, and their names under a path
 * prefix (`model/conv_a/kernel`). The imported graph computes what TF.js computes after loading the
 * same bytes (the names without the prefix, which tfjs needs to match its variables).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildFunctionalCnn, buildSequentialCnn, quantizeWeight, saveTfjsModel, tfjsPredict, type WeightQuantization } from '../../helpers/tfjs-models.js';

interface Entry { name: string; shape: number[]; dtype: 'float32'; quantization?: Record<string, unknown> }
const STORED: (WeightQuantization | 'float32')[] = ['uint8', 'float16', 'uint16', 'float32'];

/**
 * Rewrite dir's one-group manifest: weight i stored as STORED[i mod 4], the list reversed, split into two
 * groups each cut into `shard`-byte files (weights straddle them), names under `prefix`. Returns the
 * specs and bytes in manifest order, unprefixed, for tfjs.
 */
function relayout(dir: string, shard: number, prefix: string): { specs: Entry[]; bytes: Buffer } {
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest: { paths: string[]; weights: Entry[] }[] };
  const [group] = json.weightsManifest;
  const bin = Buffer.concat(group!.paths.map((p) => readFileSync(join(dir, p))));
  let at = 0;
  const stored = group!.weights.map((w, i) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset + at, bin.byteOffset + at + 4 * n));
    at += 4 * n;
    const kind = STORED[i % STORED.length]!;
    if (kind === 'float32') return { spec: w, bytes: Buffer.from(floats.buffer) };
    const q = quantizeWeight(floats, kind);
    return { spec: { ...w, quantization: q.quantization }, bytes: Buffer.from(q.bytes) };
  }).reverse();
  for (const p of group!.paths) rmSync(join(dir, p));
  const half = Math.ceil(stored.length / 2);
  const groups = [stored.slice(0, half), stored.slice(half)].map((part, g) => {
    const bytes = Buffer.concat(part.map((s) => s.bytes));
    const paths: string[] = [];
    for (let off = 0, k = 1; off < bytes.length; off += shard, k++) {
      paths.push(`group${g + 1}-shard${k}of${Math.ceil(bytes.length / shard)}.bin`);
      writeFileSync(join(dir, paths.at(-1)!), bytes.subarray(off, off + shard));
    }
    return { paths, weights: part.map((s) => ({ ...s.spec, name: `${prefix}${s.spec.name}` })) };
  });
  writeFileSync(path, JSON.stringify({ ...json, weightsManifest: groups }));
  return { specs: stored.map((s) => s.spec), bytes: Buffer.concat(stored.map((s) => s.bytes)) };
}

describe('weight manifests laid out otherwise = TF.js on the same bytes', () => {
  test.each([
    ['Sequential CNN (conv, depthwise, BN, dense)', buildSequentialCnn, 243, ''],
    ['Sequential CNN, names under model/', buildSequentialCnn, 243, 'model/'],
    ['functional CNN (two branches, BN on a vector), names under outer/model/', buildFunctionalCnn, 128, 'outer/model/'],
  ] as const)('%s: mixed uint8/float16/uint16/float32, reversed, two groups of 97-byte shards', async (_, build, size, prefix) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-layout-'));
    await saveTfjsModel(model, dir);
    const { specs, bytes } = relayout(dir, 97, prefix);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[] }[] };
    expect(json.weightsManifest.map((g) => g.paths.length).every((n) => n > 1)).toBe(true);
    const tfjs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }));
    const graph = loadModel(join(dir, 'model.json'));
    const inputs = randomSamples(4, size, 13, -1, 2);
    const want = tfjsPredict(tfjs, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    // the weights really were stored otherwise: the float32 model computes something else
    expect(tfjsPredict(model, inputs).flat().some((v, i) => v !== want.flat()[i])).toBe(true);
  });
});
