/**
 * PyTorch models of several outputs (a forward() returning a tuple: a two-scale detector's four head maps, a multi-task
 * net's logits, boxes and auxiliary map, an MLP whose embedding is an output too) as torch.onnx.export writes them at
 * opsets 11, 13 and 17 (test/fixtures/pytorch-heads/export.py, torch 1.13), through the CLI as a user runs them:
 * `nnchip lower` compiles every output into one program, `run --backend ref` and `--backend sim` give the same codes,
 * each output by its ONNX name, and each agrees with onnxruntime-node — the float graph within 1e-4, int8 within a
 * tenth of that output's spread.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { outputLayoutOf } from '../../src/ir/graph.js';
import { checkGraph } from '../../src/ir/verify.js';
import { expectClose } from '../helpers/close.js';
import { ortRun } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const DIR = join(import.meta.dirname, '../fixtures/pytorch-heads');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const work = mkdtempSync(join(tmpdir(), 'nnchip-heads-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Input dims and output names, as export.py writes them. */
const MODELS: Record<string, { dims: number[]; outputs: string[] }> = {
  detector: { dims: [1, 3, 16, 16], outputs: ['cls8', 'box8', 'cls4', 'box4'] },
  multitask: { dims: [1, 1, 12, 12], outputs: ['logits', 'boxes', 'aux'] },
  aux: { dims: [1, 8], outputs: ['embedding', 'logits'] },
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** An [H, W, C] map's values in ONNX's channel-major order. */
const channelMajor = (hwc: Float64Array, shape: readonly number[]): Float64Array => {
  const pixels = shape[0]! * shape[1]!;
  const c = shape[2]!;
  return Float64Array.from(hwc, (_, j) => hwc[(j % pixels) * c + Math.floor(j / pixels)]!);
};

describe('PyTorch models of several outputs, opsets 11, 13, 17', () => {
  test('every model of export.py is here at every opset', () => {
    expect(FILES).toHaveLength(Object.keys(MODELS).length * 3);
  });

  test.each(FILES)('%s: one program of every output, each = onnxruntime', async (file) => {
    const { dims, outputs: names } = MODELS[file.replace(/-op\d+\.onnx$/, '')]!;
    const path = join(DIR, file);
    const size = dims.reduce((a, b) => a * b, 1);
    const stem = join(work, file.replace('.onnx', ''));
    writeFileSync(`${stem}-cal.json`, JSON.stringify({ inputs: randomSamples(20, size, 5, 0, 1).map((x) => Array.from(x)) }));
    const lowered = await cli(['lower', path, '-o', `${stem}.nnchip`, '--calibration', `${stem}-cal.json`]);
    expect(lowered.code, lowered.err).toBe(0);
    expect(lowered.out).toMatch(new RegExp(`\\n${names.length} outputs, in this order: ${names.map((n) => `${n} \\[[\\d×]+\\]`).join(', ')}\\n`));

    const samples = randomSamples(12, size, 11, 0, 1);
    const want = await Promise.all(names.map((name) => ortRun(path, dims, samples, false, name)));
    // the float graph, each output read back in ONNX's layout
    const graph = loadModel(path);
    expect(graph.outputs).toHaveLength(names.length);
    const shapes = checkGraph(graph);
    samples.forEach((x, i) => {
      const all = evaluateOutput(graph, x);
      let at = 0;
      graph.outputs.forEach((o, k) => {
        const shape = shapes.get(o)!;
        const n = shape.reduce((a, b) => a * b, 1);
        const part = all.subarray(at, (at += n));
        expectClose(shape.length === 3 && outputLayoutOf(graph, k) === 'chw' ? channelMajor(part, shape) : part, want[k]![i]!);
      });
    });

    writeFileSync(`${stem}-in.json`, JSON.stringify(samples.map((x) => Array.from(x))));
    const runs: Record<string, { names: string[]; outputs: Record<string, number[]>[]; raw: number[][] }> = {};
    for (const backend of ['ref', 'sim']) {
      const r = await cli(['run', `${stem}.nnchip`, '--input', `${stem}-in.json`, '--backend', backend, '--json']);
      expect(r.code, r.err).toBe(0);
      runs[backend] = JSON.parse(r.out) as (typeof runs)[string];
    }
    expect(runs['sim']!.raw).toEqual(runs['ref']!.raw);
    expect(runs['ref']!.names).toEqual(names);
    names.forEach((name, k) => {
      const all = want[k]!.flatMap((v) => Array.from(v));
      const spread = Math.max(...all) - Math.min(...all);
      runs['ref']!.outputs.forEach((o, i) => {
        expect(o[name]).toHaveLength(want[k]![i]!.length);
        o[name]!.forEach((v, j) => expect(Math.abs(v - want[k]![i]![j]!), `${name}[${j}] of sample ${i}`).toBeLessThan(0.1 * spread));
      });
    });
  });
});
