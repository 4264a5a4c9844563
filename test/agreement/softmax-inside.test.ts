/**
 * A softmax or log-softmax inside a network (read on by another layer, or scaled after: not the last op, which is
 * dropped) as torch.onnx.export writes it at opsets 11, 13 and 17 (test/fixtures/pytorch-softmax/export.py, torch
 * 1.13): over a vector's features, and over a map's channels at each pixel (at opset 11 written as Transpose
 * [0, 3, 2, 1], Softmax over the last axis, Transpose back), and a segmentation head's final softmax with
 * `--final-softmax compute`. Through the CLI as a user runs it:
 * `nnchip lower` compiles it into ops that exist (ir/softmax.ts), `run --backend ref` and `--backend sim` give the
 * same codes, and both agree with onnxruntime-node — the float graph within 1e-4, int8 within a tenth of the
 * output's spread on samples it was not calibrated on.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { ortRun } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const DIR = join(import.meta.dirname, '../fixtures/pytorch-softmax');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const work = mkdtempSync(join(tmpdir(), 'nnchip-softmax-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Input dims, output dims and opsets, as export.py writes them. */
const MODELS: Record<string, { dims: number[]; out: number[]; opsets: number; args?: string[] }> = {
  vector: { dims: [1, 16], out: [1, 4], opsets: 3 },
  logvector: { dims: [1, 16], out: [1, 4], opsets: 3 },
  gate: { dims: [1, 16], out: [1, 3], opsets: 3 },
  scaled: { dims: [1, 16], out: [1, 8], opsets: 3 },
  pixels: { dims: [1, 3, 8, 8], out: [1, 4, 8, 8], opsets: 3 },
  segment: { dims: [1, 3, 8, 8], out: [1, 5, 8, 8], opsets: 2, args: ['--final-softmax', 'compute'] },
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('a softmax inside a PyTorch model, opsets 11, 13, 17', () => {
  test('every model of export.py is here at each of its opsets', () => {
    expect(FILES).toHaveLength(Object.values(MODELS).reduce((a, m) => a + m.opsets, 0));
  });

  test.each(FILES)('%s: lowers; ref = sim; float and int8 = onnxruntime', async (file) => {
    const { dims, out, args = [] } = MODELS[file.replace(/-op\d+\.onnx$/, '')]!;
    const path = join(DIR, file);
    const size = dims.reduce((a, b) => a * b, 1);
    const stem = join(work, file.replace('.onnx', ''));
    writeFileSync(`${stem}-cal.json`, JSON.stringify({ inputs: randomSamples(256, size, 5, -2, 2).map((x) => Array.from(x)) }));
    const lowered = await cli(['lower', path, '-o', `${stem}.nnchip`, '--calibration', `${stem}-cal.json`, ...args]);
    expect(lowered.code, lowered.err).toBe(0);
    // nothing was dropped: the softmax is computed, not left out as a final one is
    expect(lowered.out + lowered.err).not.toMatch(/dropped/);

    const samples = randomSamples(12, size, 11, -2, 2);
    const want = await ortRun(path, dims, samples);
    const graph = loadModel(path, undefined, args.length > 0 ? { finalSoftmax: 'compute' } : {});
    samples.forEach((x, i) => {
      const y = evaluateOutput(graph, x);
      // a map comes back [H, W, C]; onnxruntime's is [C, H, W]
      const c = out[1]!;
      const pixels = out.length === 4 ? out[2]! * out[3]! : 1;
      expectClose(Float64Array.from(y, (_, j) => y[(j % pixels) * c + Math.floor(j / pixels)]!), want[i]!);
    });

    writeFileSync(`${stem}-in.json`, JSON.stringify(samples.map((x) => Array.from(x))));
    const runs: Record<string, { outputs: number[][]; raw: number[][] }> = {};
    for (const backend of ['ref', 'sim']) {
      const r = await cli(['run', `${stem}.nnchip`, '--input', `${stem}-in.json`, '--backend', backend, '--json']);
      expect(r.code, r.err).toBe(0);
      runs[backend] = JSON.parse(r.out) as (typeof runs)[string];
    }
    expect(runs['sim']!.raw).toEqual(runs['ref']!.raw);
    const all = want.flatMap((v) => Array.from(v));
    const spread = Math.max(...all) - Math.min(...all);
    runs['ref']!.outputs.forEach((o, i) => {
      expect(o).toHaveLength(want[i]!.length);
      o.forEach((v, j) => expect(Math.abs(v - want[i]![j]!), `[${j}] of sample ${i}`).toBeLessThan(0.1 * spread));
    });
  });
});
