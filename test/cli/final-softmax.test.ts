/**
 * `--final-softmax compute`: the digits MLP's final softmax is computed (ir/softmax.ts), so `run` gives probabilities
 * as TF.js's predict does (within 0.05 each, each sample's summing to 1 within 0.1) and the same top-1 as the
 * default program of logits on the digits; by default it is dropped with its note; `drop` is the default said
 * out loud; another word is a usage error; beside a lowered program the flag is refused, as every compile flag is.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';
import { loadTfjsFromFiles, tfjsPredict } from '../helpers/tfjs-models.js';

const MLP = join(REPO, 'examples/digits-mlp/model.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-final-softmax-'));
const samples = (JSON.parse(readFileSync(join(REPO, 'examples/digits-mlp/calibration.json'), 'utf8')) as { inputs: number[][] }).inputs.slice(0, 24);
const data = join(work, 'samples.json');
writeFileSync(data, JSON.stringify({ inputs: samples }));

const run = (dir: string): number[][] => {
  const r = nnchip(['run', dir, '--input', data, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { outputs: number[][] }).outputs;
};
const argmax = (v: readonly number[]): number => v.indexOf(Math.max(...v));

test('the digits MLP: probabilities = TF.js with compute, logits with the note by default', async () => {
  const computed = nnchip(['lower', MLP, '-o', join(work, 'probs'), '--final-softmax', 'compute']);
  expect(computed.code, computed.stderr).toBe(0);
  expect(computed.stdout + computed.stderr).not.toMatch(/dropped/);
  const dropped = nnchip(['lower', MLP, '-o', join(work, 'logits')]);
  expect(dropped.code, dropped.stderr).toBe(0);
  expect(dropped.stdout + dropped.stderr).toMatch(/final softmax "[^"]+" dropped: outputs are logits, argmax unchanged/);
  const said = nnchip(['lower', MLP, '-o', join(work, 'said'), '--final-softmax', 'drop']);
  expect(said.stdout + said.stderr).toMatch(/dropped/);
  expect(readFileSync(join(work, 'said', 'program.nnp'))).toEqual(readFileSync(join(work, 'logits', 'program.nnp')));

  const model = await loadTfjsFromFiles(MLP);
  const want = tfjsPredict(model, samples.map((s) => Float32Array.from(s)));
  const probs = run(join(work, 'probs'));
  const logits = run(join(work, 'logits'));
  probs.forEach((p, i) => {
    p.forEach((v, j) => expect(Math.abs(v - want[i]![j]!), `sample ${i} class ${j}`).toBeLessThan(0.05));
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(0.1);
    expect(argmax(p)).toBe(argmax(logits[i]!));
  });
});

test('another mode is a usage error; beside a lowered program the flag is refused', () => {
  const bad = nnchip(['lower', MLP, '-o', join(work, 'bad'), '--final-softmax', 'keep']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/^error NN801: option '--final-softmax <mode>' argument 'keep' is invalid\. Allowed choices are drop, compute\./);
  const beside = nnchip(['run', join(work, 'probs'), '--input', data, '--final-softmax', 'compute']);
  expect(beside.code).not.toBe(0);
  expect(beside.stderr).toMatch(/error NN801: .*--final-softmax cannot apply to a lowered program/);
});
