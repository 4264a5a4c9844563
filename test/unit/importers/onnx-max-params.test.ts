// SPDX-License-Identifier: MIT
/**
 * --max-params against an ONNX model's initializers: the line gives their total and the largest, and the hint the
 * --max-params that takes the model. VGG-16 (138,357,544 weights) was refused at its largest initializer
 * (102,760,448), and --max-params raised to that number was refused again, at the total, with no number at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { DEFAULT_LIMITS, loadModel } from '../../../src/importers/index.js';
import { buildOnnx, weights, writeOnnx } from '../../helpers/onnx-models.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-max-params-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// a classifier of two Gemms: 16 → 12 (192 weights + 12 biases) → 5 (60 + 5): 269 in all, the largest 192
const path = writeOnnx(
  work,
  buildOnnx({
    input: [1, 16],
    output: [1, 5],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1', 'b1'], attrs: { transB: { i: 1 } }, outputs: ['h'] },
      { op: 'Gemm', inputs: ['h', 'w2', 'b2'], attrs: { transB: { i: 1 } }, outputs: ['y'] },
    ],
    inits: { w1: { dims: [12, 16], data: weights(192, 1) }, b1: { dims: [12], data: weights(12, 2) }, w2: { dims: [5, 12], data: weights(60, 3) }, b2: { dims: [5], data: weights(5, 4) } },
  }),
  'classifier.onnx',
);

const refusal = (maxParams: number): NnchipError | null => {
  try {
    loadModel(path, { ...DEFAULT_LIMITS, maxParams });
    return null;
  } catch (e) {
    if (e instanceof NnchipError) return e;
    throw e;
  }
};

describe('--max-params on ONNX initializers', () => {
  test('over the limit in all though each is under it, or one alone over it: the total, the largest, and the --max-params that takes it', () => {
    for (const limit of [200, 100]) {
      const e = refusal(limit)!;
      expect(e.code).toBe('NN109');
      expect(e.detail).toBe(`the initializers declare 269 weights in all (the largest, "w1", 192), over the limit of ${limit} (--max-params)`);
      expect(e.hint).toMatch(/^if the model is really that large, lower it with --max-params 269: /);
    }
  });

  test('the number the hint names takes the model', () => {
    expect(refusal(268)).not.toBeNull();
    expect(refusal(269)).toBeNull();
  });
});
