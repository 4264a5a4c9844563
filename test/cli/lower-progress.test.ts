// SPDX-License-Identifier: MIT
/**
 * `lower` says what it is doing on stderr (cli/progress.ts): a full-size network (ResNet-50 at 224×224: 35 CPU s,
 * EfficientNet-B0: 90 s) printed nothing until its tables. On a terminal: reading, checking the shapes against the
 * array (NN403/NN406 come there), calibrating (how many samples),
 * lowering (to which array), checking and writing, each erased when quick; in a log only for a model file of
 * LONG_LOWER_BYTES or more (a model.json with its .bin shards), from the step after reading, and a failed step adds
 * no line (a refusal while reading stays the one error line); never with --json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LONG_LOWER_BYTES } from '../../src/cli/commands/lower.js';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { buildOnnx, weights, writeOnnx } from '../helpers/onnx-models.js';

const TINY = join(import.meta.dirname, '../../examples/tiny/tiny.nnchip.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-lower-progress-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lower progress', () => {
  test('on a terminal: each step on stderr, none on stdout; with --json none at all', async () => {
    const io = { ...captureIo(), interactive: true };
    expect(await main(['lower', TINY, '--input-range', '0,1', '-o', join(work, 'tiny.nnchip')], io)).toBe(0);
    const err = io.err.join('');
    for (const step of ['reading tiny.nnchip.json… 0 s', 'checking it fits the 8x8 array… 0 s', 'calibrating on 66 samples… 0 s', 'lowering to the 8x8 array… 0 s', 'checking the program… 0 s', `writing ${join(work, 'tiny.nnchip')}… 0 s`]) expect(err).toContain(step);
    // the warning about --input-range starts its own line over the step's
    expect(err).toContain('\r\x1b[Kwarning: quantizing from --input-range');
    expect(io.out.join('')).not.toMatch(/calibrating|lowering to/);
    const j = { ...captureIo(), interactive: true };
    expect(await main(['lower', TINY, '--input-range', '0,1', '-o', join(work, 'tiny-json.nnchip'), '--json'], j)).toBe(0);
    expect(j.err.join('')).not.toMatch(/reading|calibrating|lowering to|writing/);
    expect(JSON.parse(j.out.join('')).totals.instructions).toBeGreaterThan(0);
  });

  test('in a log: nothing for a small model; for a large model file its steps after reading, and a refusal stays one line', async () => {
    const small = captureIo();
    expect(await main(['lower', TINY, '--input-range', '0,1', '-o', join(work, 'log.nnchip')], small)).toBe(0);
    expect(small.err.join('')).not.toMatch(/reading|calibrating/);
    // a Gemm of 1024×1100 float32 weights: over LONG_LOWER_BYTES
    const k = 1024;
    const n = Math.ceil(LONG_LOWER_BYTES / 4 / k) + 76;
    const path = writeOnnx(work, buildOnnx({ input: [1, k], output: [1, n], nodes: [{ op: 'Gemm', inputs: ['x', 'w'], attrs: { transB: { i: 1 } } }], inits: { w: { dims: [n, k], data: weights(n * k, 3) } } }), 'big.onnx');
    // refused while reading (--max-params): the error line alone, as for any malformed or oversized file
    const atReading = captureIo();
    expect(await main(['lower', path, '--input-range', '0,1', '-o', join(work, 'big.nnchip'), '--max-params', '1000'], atReading)).toBe(1);
    expect(atReading.err.join('').trim().split('\n')).toEqual([expect.stringMatching(/^error NN109: big\.onnx: /)]);
    // refused after reading (--max-instructions): the step it came in, then the error; no "failed after" line
    const later = captureIo();
    expect(await main(['lower', path, '--input-range', '0,1', '-o', join(work, 'big.nnchip'), '--max-instructions', '10'], later)).toBe(3);
    const lines = later.err.join('').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('checking it fits the 8x8 array…');
    expect(lines[1]).toMatch(/^error NN406: big\.onnx: /);
  });

  test("in a log: a TF.js model.json counts the .bin weight shards beside it (the JSON alone is kilobytes)", async () => {
    const dir = join(work, 'tfjs');
    mkdirSync(dir);
    // a Dense of 1025×1024 float32 weights in weights.bin: over LONG_LOWER_BYTES, its model.json under a kilobyte
    const [k, n] = [1025, 1024];
    const layers = [{ class_name: 'Dense', config: { name: 'fc', units: n, use_bias: false, batch_input_shape: [null, k] } }];
    const model = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'fc/kernel', shape: [k, n], dtype: 'float32' }] }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weights(k * n, 5).buffer));
    const io = captureIo();
    expect(await main(['lower', join(dir, 'model.json'), '--input-range', '0,1', '-o', join(work, 'tfjs.nnchip'), '--max-instructions', '10'], io)).toBe(3);
    const lines = io.err.join('').trim().split('\n');
    expect(lines[0]).toBe('checking it fits the 8x8 array…');
    expect(lines[1]).toMatch(/^error NN406: model\.json: /);
  });
});
