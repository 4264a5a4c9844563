import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';

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
});
