/**
 * Calibration's float evaluation may change shape (loop order, blocking) but not one bit of what it
 * computes: the programs lowered from shipped models with their calibration data are pinned by hash.
 * A changed hash means changed scales; regenerate (`-u`) only for a deliberate numerics change.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { serializeProgram } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';

const example = (p: string): string => new URL(`../../examples/${p}`, import.meta.url).pathname;
const MODELS = ['digits-cnn/model.json', 'ds-cnn/model.json', 'resnet8/model.onnx', 'digits-mlp/model.json', 'digits-se-onnx/model.onnx'];

test('programs lowered from shipped models (8 calibration samples, 16x16) are byte-identical', async () => {
  const lines = MODELS.map((model) => {
    const samples = (JSON.parse(readFileSync(example(`${model.split('/')[0]}/calibration.json`), 'utf8')) as { inputs: number[][] }).inputs.slice(0, 8);
    const { program } = compile(loadModel(example(model)), { config: makeConfig({ rows: 16, cols: 16 }), calibration: { samples } });
    return `${createHash('sha256').update(serializeProgram(program)).digest('hex')}  ${model}`;
  });
  await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('fixtures/programs.sha256');
});
