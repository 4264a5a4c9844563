/**
 * Long lists in a model file take time linear in their length: a check that searched the entries
 * before each one (a weight name among the manifest's, a producer among the graph's nodes; every shard path resolved on disk before the first repeat was looked for) was a
 * million squared steps on a file of a few megabytes — a hang, where the rule is one error line
 * or a result. Each case here took 14 s or more before its fix and takes under a second now;
 * FUZZ_RUNS scales the lists (as it scales the other fuzz properties).
 */
import onnxProto from 'onnx-proto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/context.js';

const { onnx } = onnxProto;
const SCALE = Math.max(1, Number(process.env['FUZZ_RUNS'] ?? 300) / 300);
const BOUND_MS = 8000 * SCALE;

async function timed(files: Record<string, string | Uint8Array>, model: string): Promise<{ ms: number; code: number; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-list-scale-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const io = captureIo();
    const t0 = performance.now();
    const code = await main(['lower', join(dir, model), '-o', join(dir, 'out'), '--input-range', '0,1'], io);
    return { ms: performance.now() - t0, code, err: io.err.join('') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('long lists in a model file', () => {
  test('a TF.js weightsManifest of 100,000 distinct weights and one listed again is NN107 in seconds', async () => {
    const n = Math.round(100_000 * SCALE);
    const specs = [{ name: 'fc/kernel', shape: [4, 2], dtype: 'float32' }, ...Array.from({ length: n }, (_, i) => ({ name: `w${i}`, shape: [1], dtype: 'float32' })), { name: 'fc/kernel', shape: [4, 2], dtype: 'float32' }];
    const layers = [{ class_name: 'Dense', config: { name: 'fc', units: 2, use_bias: false, batch_input_shape: [null, 4] } }];
    const model = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, weightsManifest: [{ paths: ['w.bin'], weights: specs }] };
    const r = await timed({ 'model.json': JSON.stringify(model), 'w.bin': new Uint8Array((16 + n) * 4) }, 'model.json');
    expect(r.err).toMatch(/^error NN107: model\.json: weight "fc\/kernel" is listed twice/);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  test('a TF.js weightsManifest naming one shard 400,000 times is NN107 in seconds', async () => {
    const n = Math.round(400_000 * SCALE);
    const layers = [{ class_name: 'Dense', config: { name: 'fc', units: 2, use_bias: false, batch_input_shape: [null, 4] } }];
    const model = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, weightsManifest: [{ paths: Array<string>(n).fill('w.bin'), weights: [{ name: 'fc/kernel', shape: [4, 2], dtype: 'float32' }] }] };
    const r = await timed({ 'model.json': JSON.stringify(model), 'w.bin': new Uint8Array(32) }, 'model.json');
    expect(r.err).toMatch(/^error NN107: model\.json: weight shard "w\.bin" is listed twice/);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  test('an ONNX graph whose output is at the end of 80,000 Identity nodes lowers in seconds', async () => {
    const n = Math.round(80_000 * SCALE);
    const w = { name: 'W', dims: [4, 2], dataType: 1, rawData: new Uint8Array(Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]).buffer) };
    const copies = Array.from({ length: n }, (_, i) => ({ opType: 'Identity', input: [`c${i}`], output: [i === n - 1 ? 'y' : `c${i + 1}`] }));
    const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const graph = { name: 'chain', node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['c0'] }, ...copies], initializer: [w], input: [vi('x', [1, 4])], output: [vi('y', [1, 2])] };
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
    const r = await timed({ 'model.onnx': bytes }, 'model.onnx');
    expect(r.code, r.err).toBe(0);
    expect(r.ms).toBeLessThan(BOUND_MS);
  });
});
