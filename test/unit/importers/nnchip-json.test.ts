import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { failure } from '../../helpers/errors.js';

const TINY = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;

describe('nnchip JSON importer', () => {
  test('reads the documented example and computes it by the formula', () => {
    const g = loadModel(TINY);
    expect(g.nodes.map((n) => n.name)).toEqual(['fc1', 'fc2']);
    const x = [1, 0, 0, 1];
    // fc1 = relu(x·W1 + b1) with x selecting rows 0 and 3
    const h = [0.5 + 0.05 + 0.1, -0.25 + 0.7 + 0, 0.1 + 0.3 - 0.05].map((v) => Math.max(0, v));
    const y = [h[0]! * 1 + h[1]! * 0.5 + h[2]! * -0.3 + 0, h[0]! * -1 + h[1]! * 0.5 + h[2]! * 0.8 + 0.1];
    const got = evaluateOutput(g, x);
    y.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });

  // rsqrt's alpha is the ε under the root: at 0 or below, 1/√(v + ε) is infinite or NaN for small v
  // (it was refused later, as a step table too large, "check the calibration data")
  test.each([['the op', { name: 'r', op: 'rsqrt', alpha: 0 }], ['a dense layer\'s activation', { name: 'r', op: 'dense', activation: 'rsqrt', alpha: -1, kernel: [[1]], bias: [0] }]] as const)('rsqrt with an epsilon (alpha) ≤ 0 as %s: one line, NN107', (_, layer) => {
    const path = join(mkdtempSync(join(tmpdir(), 'nnchip-json-')), 'm.nnchip.json');
    writeFileSync(path, JSON.stringify({ format: 'nnchip-model', version: 1, name: 't', input: { shape: [1] }, layers: [{ name: 'fc', op: 'dense', kernel: [[1]], bias: [0] }, layer] }));
    expect(failure(() => loadModel(path)).format()).toMatch(/^error NN107: m\.nnchip\.json: layer "r": rsqrt's alpha \(its epsilon\) is -?\d+; expected a positive number/);
  });
});
