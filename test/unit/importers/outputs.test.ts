// chooseOutput: the one output a multi-output model compiles (NN110 without --output-name, NN801 for a name it lacks).
import { describe, expect, test } from 'vitest';
import { chooseOutput } from '../../../src/importers/outputs.js';
import { NnchipError } from '../../../src/diagnostics/error.js';

const site = { file: 'model.json' };
const message = (f: () => string): string => {
  try {
    return f();
  } catch (e) {
    return (e as NnchipError).format();
  }
};

describe('chooseOutput', () => {
  test('one output needs no name; several need --output-name', () => {
    expect(chooseOutput(['y'], undefined, site)).toBe('y');
    expect(message(() => chooseOutput(['a', 'b'], undefined, site))).toMatch(/^error NN110: model\.json: the model has 2 outputs \(a, b\); nnchip compiles one: choose it with --output-name a/);
    expect(chooseOutput(['a', 'b'], 'b', site)).toBe('b');
    expect(message(() => chooseOutput(['a', 'b'], 'c', site))).toMatch(/^error NN801: model\.json: --output-name "c" is not an output of the model: the model's outputs are a, b/);
  });

  test('a tensor listed as an output more than once is one output (Keras outputs=[y, y]; 8,000 listings were "8000 outputs (r, r, …)")', () => {
    expect(chooseOutput(['r', 'r'], undefined, site)).toBe('r');
    expect(chooseOutput(Array<string>(8000).fill('r'), undefined, site)).toBe('r');
    expect(message(() => chooseOutput(['a', 'b', 'a'], undefined, site))).toMatch(/the model has 2 outputs \(a, b\)/);
    expect(message(() => chooseOutput(['a', 'a'], 'b', site))).toMatch(/the model's only output is a/);
  });
});
