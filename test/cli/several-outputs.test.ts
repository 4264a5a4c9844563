// SPDX-License-Identifier: MIT
/**
 * A model of three outputs through the CLI (test/helpers/heads-model.ts): `lower` writes one program of all three
 * (summary.json lists them), `run --json` gives each sample's outputs by name on every software back end, the same
 * values and raw codes whichever runs them, each output within 5% of its spread of onnxruntime's, the map channel-major
 * as ONNX lays it out; the text form names them; `--output-name` picks and orders; `eval` asks for one output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { HEADS_INPUT_DIMS, HEADS_OUTPUTS, writeHeadsModel } from '../helpers/heads-model.js';
import { nnchip } from '../helpers/cli.js';
import { ortRun } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-cli-heads-'));
const model = writeHeadsModel(dir);
const inputs = randomSamples(6, 50, 23, -1, 1);
const data = join(dir, 'samples.json');
writeFileSync(data, JSON.stringify({ inputs: inputs.map((x) => Array.from(x)) }));

interface RunJson {
  backend: string;
  names: string[];
  shapes: number[][];
  layouts: (string | null)[];
  outputs: Record<string, number[]>[];
  raw: number[][];
}

describe('a model of three outputs on the command line', () => {
  const out = join(dir, 'heads.nnchip');

  test('lower: one program of all three outputs, named as the model names them', () => {
    const r = nnchip(['lower', model, '--calibration', data, '-o', out, '--force']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\n3 outputs, in this order: boxes [4], scores [3], r [3×5×5]\n');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { output: { name: string }; outputs: { name: string; shape: number[]; layout?: string }[] };
    expect(summary.outputs.map((t) => [t.name, t.shape, t.layout ?? 'hwc'])).toEqual([['boxes', [4], 'hwc'], ['scores', [3], 'hwc'], ['r', [5, 5, 3], 'chw']]);
    expect(summary.output.name).toBe('boxes');
  });

  test('run --json: every back end gives each output by name, the same codes; each output near onnxruntime', async () => {
    const runs = ['ref', 'sim', 'wasm'].map((backend) => {
      const r = nnchip(['run', out, '--input', data, '--backend', backend, '--json']);
      expect(r.stderr, backend).toBe('');
      return JSON.parse(r.stdout) as RunJson;
    });
    for (const j of runs) {
      expect([j.names, j.shapes, j.layouts]).toEqual([[...HEADS_OUTPUTS], [[4], [3], [3, 5, 5]], [null, null, 'chw']]);
      expect(j.raw).toEqual(runs[0]!.raw);
      expect(j.outputs).toEqual(runs[0]!.outputs);
      expect(j.raw[0]!.length).toBe(4 + 3 + 75);
    }
    for (const name of HEADS_OUTPUTS) {
      const want = await ortRun(model, HEADS_INPUT_DIMS, inputs, false, name);
      const all = want.flatMap((w) => Array.from(w));
      const spread = Math.max(...all) - Math.min(...all);
      runs[0]!.outputs.forEach((o, i) => {
        expect(o[name]!.length).toBe(want[i]!.length);
        o[name]!.forEach((v, k) => expect(Math.abs(v - want[i]![k]!), `${name}[${k}] of sample ${i}`).toBeLessThan(0.05 * spread));
      });
    }
  });

  test('sim --json: each sample\'s outputs by name, the codes run gives', () => {
    const sim = JSON.parse(nnchip(['sim', out, '--input', data, '--json']).stdout) as { samples: { outputs: Record<string, number[]>; raw: number[] }[] };
    const run = JSON.parse(nnchip(['run', out, '--input', data, '--json']).stdout) as RunJson;
    expect(sim.samples.map((s) => s.raw)).toEqual(run.raw);
    expect(sim.samples.map((s) => s.outputs)).toEqual(run.outputs);
  });

  test('sim: the text form names each output of a sample', () => {
    const r = nnchip(['sim', out, '--input', data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nsample 0: \d+ cycles, outputs boxes \[[-\d., ]+\], scores \[[-\d., ]+\], r \[[-\d., ]+\]\n/);
    expect(nnchip(['sim', out, '--input', data, '--codes']).stdout).toMatch(/\nsample 0: \d+ cycles, output codes boxes \[-?\d+, -?\d+, -?\d+, -?\d+\], scores \[/);
  });

  test('run: the text form names each output under its sample', () => {
    const r = nnchip(['run', out, '--input', data]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('outputs: boxes (4), scores (3), r (a 3×5×5 feature map, channel-major (C×H×W))');
    expect(lines[1]).toBe('sample 0:');
    expect(lines[2]).toMatch(/^ {2}boxes: argmax \d {2}\[/);
    expect(lines[3]).toMatch(/^ {2}scores: argmax \d {2}\[/);
    expect(lines[4]).toMatch(/^ {2}r: 3×5×5 {2}\[/);
  });

  test('--output-name picks outputs in its order; one output gives the plain form', () => {
    const two = JSON.parse(nnchip(['run', model, '--input', data, '--calibration', data, '--output-name', 'scores,boxes', '--json']).stdout) as RunJson;
    expect(two.names).toEqual(['scores', 'boxes']);
    const one = JSON.parse(nnchip(['run', model, '--input', data, '--calibration', data, '--output-name', 'scores', '--json']).stdout) as { shape: number[]; outputs: number[][] };
    expect(one.shape).toEqual([3]);
    expect(one.outputs.map((o) => o.length)).toEqual(inputs.map(() => 3));
  });

  test('eval scores one output: several are refused in one line naming the flag', () => {
    const labeled = join(dir, 'labeled.json');
    writeFileSync(labeled, JSON.stringify({ inputs: inputs.map((x) => Array.from(x)), labels: inputs.map(() => 0) }));
    const r = nnchip(['eval', model, '--data', labeled, '--calibration', data]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('error NN302: eval scores the top-1 class of one output; the model has 3 (boxes, scores, r) — compile the class scores alone: add --output-name <name>');
  });
});
