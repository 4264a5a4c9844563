/**
 * Feature-map outputs come out in the model's own layout: an ONNX conv model's output is NCHW (as
 * onnxruntime gives it), a TF.js one NHWC (as tfjs.predict gives it), on every back end of
 * `nnchip run` and from the generated WASM loader; `--json` says the shape. Nested input samples
 * must have the model's input shape (an HWC sample for an NCHW model is refused).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { haveTools } from '../cosim/tools.js';
import { main } from '../../src/cli/main.js';
import { buildOnnx, ortRun, weights, writeOnnx } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-layout-'));
// C = 2 in, 3 out; H = 6 ≠ W = 5 so that a transposed map cannot pass for the right one
const [C, H, W, OUT] = [2, 6, 5, 3];

interface RunJson {
  shape: number[];
  layout?: string;
  outputs: number[][];
  raw: number[][];
  warnings?: string[];
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

async function runJson(args: string[]): Promise<RunJson> {
  const r = await cli([...args, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as RunJson;
}

/** int8 outputs against a float oracle: within a few steps of the output's int8 scale. */
function expectNear(got: number[], want: ArrayLike<number>): void {
  const span = Math.max(...Array.from(want, Math.abs), 1e-6);
  const tol = (4 * span) / 127;
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

describe('ONNX conv model with a feature-map output (NCHW)', () => {
  const model = writeOnnx(join(work, 'onnx'), buildOnnx({
    input: [1, C, H, W],
    output: [1, OUT, H, W],
    inits: { K: { dims: [OUT, C, 3, 3], data: weights(OUT * C * 9, 11) }, B: { dims: [OUT], data: weights(OUT, 12, -0.2, 0.2) } },
    nodes: [{ op: 'Conv', inputs: ['x', 'K', 'B'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } }],
  }));
  const samples = randomSamples(4, C * H * W, 21, -1, 1);
  const calibration = join(work, 'onnx-cal.json');
  writeFileSync(calibration, JSON.stringify({ inputs: randomSamples(32, C * H * W, 22, -1, 1).map((s) => Array.from(s)) }));
  const input = join(work, 'onnx-in.json');
  writeFileSync(input, JSON.stringify(samples.map((s) => Array.from(s))));
  const base = ['run', model, '--input', input, '--calibration', calibration];

  test('run prints NCHW values that match onnxruntime, and --json says [C, H, W] / chw', async () => {
    const want = await ortRun(model, [1, C, H, W], samples);
    const got = await runJson(base);
    expect(got.shape).toEqual([OUT, H, W]);
    expect(got.layout).toBe('chw');
    got.outputs.forEach((o, i) => expectNear(o, want[i]!));
    // the same numbers in nnchip's internal H×W×C order are not what the model gives
    const asHwc = got.outputs[0]!.map((_, k) => got.outputs[0]![(k % OUT) * H * W + Math.floor(k / OUT)]!);
    expect(asHwc.some((v, k) => Math.abs(v - want[0]![k]!) > 0.1)).toBe(true);
  });

  test('sim, wasm and rtl give the same bytes in the same layout as ref', async () => {
    const ref = await runJson(base);
    // rtl needs Icarus: outside CI a machine without it runs the other back ends (cosim/tools.ts)
    for (const backend of ['sim', 'wasm', ...(haveTools('iverilog', 'vvp') ? ['rtl'] : [])]) {
      const got = await runJson([...base, '--backend', backend]);
      expect(got.raw, backend).toEqual(ref.raw);
      expect(got.shape, backend).toEqual(ref.shape);
    }
  }, 120_000);

  test('a lowered folder keeps the output layout (program.nnp carries it)', async () => {
    const folder = join(work, 'onnx-conv.nnchip');
    const r = await cli(['lower', model, '--calibration', calibration, '-o', folder]);
    expect(r.code, r.err).toBe(0);
    const fromFolder = await runJson(['run', folder, '--input', input]);
    const fromModel = await runJson(base);
    expect(fromFolder.layout).toBe('chw');
    expect(fromFolder.outputs).toEqual(fromModel.outputs);
  });

  test('the generated WASM loader returns the same channel-major values', async () => {
    const r = await cli(['wasm', model, '--calibration', calibration, '-o', join(work, 'onnx-conv.wasm')]);
    expect(r.code, r.err).toBe(0);
    const mjs = (await import(pathToFileURL(join(work, 'onnx-conv.mjs')).href)) as { load(): Promise<{ run(x: Float32Array): Float32Array }>; outputLayout: string };
    expect(mjs.outputLayout).toBe('chw');
    const net = await mjs.load();
    const ref = await runJson(base);
    samples.forEach((x, i) => net.run(x).forEach((v, k) => expect(v).toBeCloseTo(ref.outputs[i]![k]!, 5)));
  });

  test('a nested sample in the model layout [C, H, W] (or [1, C, H, W]) is accepted; an H×W×C one is NN307', async () => {
    const nest = (s: Float32Array, dims: number[]): unknown => {
      const rec = (at: number, d: number): unknown => (d === dims.length ? s[at] : Array.from({ length: dims[d]! }, (_, i) => rec(at * dims[d]! + i, d + 1)));
      return rec(0, 0);
    };
    const nested = join(work, 'onnx-nested.json');
    writeFileSync(nested, JSON.stringify({ inputs: [nest(samples[0]!, [C, H, W]), nest(samples[1]!, [1, C, H, W])] }));
    const flat = await runJson(base);
    const got = await runJson(['run', model, '--input', nested, '--calibration', calibration]);
    expect(got.raw).toEqual(flat.raw.slice(0, 2));
    // the same numbers nested H×W×C: the right count, the wrong shape
    const wrong = join(work, 'onnx-hwc.json');
    const hwcSample = Array.from({ length: H }, (_, y) => Array.from({ length: W }, (_, x) => Array.from({ length: C }, (_, c) => samples[0]![(c * H + y) * W + x])));
    writeFileSync(wrong, JSON.stringify([hwcSample]));
    const r = await cli(['run', model, '--input', wrong, '--calibration', calibration]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error NN307: onnx-hwc.json: sample 0 has shape [${H}, ${W}, ${C}]; the model input is [${C}, ${H}, ${W}] — give each sample flat, or nested exactly in the model input shape (ONNX maps channel-major [C, H, W], TF.js [H, W, C])\n`);
  });
});

describe('TF.js conv model with a feature-map output (NHWC)', () => {
  test('run prints NHWC values that match tfjs predict, and --json says [H, W, C] / hwc', async () => {
    const m = tf.sequential({ name: 'conv_out' });
    m.add(tf.layers.conv2d({ name: 'conv', inputShape: [H, W, C], filters: OUT, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 6 }) }));
    const dir = join(work, 'tfjs');
    await saveTfjsModel(m, dir);
    const samples = randomSamples(4, H * W * C, 31, -1, 1);
    const input = join(work, 'tfjs-in.json');
    writeFileSync(input, JSON.stringify(samples.map((s) => Array.from(s))));
    const calibration = join(work, 'tfjs-cal.json');
    writeFileSync(calibration, JSON.stringify(randomSamples(32, H * W * C, 32, -1, 1).map((s) => Array.from(s))));
    const got = await runJson(['run', join(dir, 'model.json'), '--input', input, '--calibration', calibration]);
    expect(got.shape).toEqual([H, W, OUT]);
    expect(got.layout).toBe('hwc');
    const want = tfjsPredict(m, samples);
    got.outputs.forEach((o, i) => expectNear(o, want[i]!));
  });
});
