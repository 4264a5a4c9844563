// chooseOutputs: the outputs a model compiles (all of them, or those --output-name names; NN801 for a name it lacks).
import { describe, expect, test } from 'vitest';
import { chooseOutputs } from '../../../src/importers/outputs.js';
import { NnchipError } from '../../../src/diagnostics/error.js';
import type { Graph } from '../../../src/ir/graph.js';
import { makeConfig } from '../../../src/isa/config.js';
import { MAX_OUTPUTS } from '../../../src/isa/validate.js';
import { compile } from '../../../src/passes/pipeline.js';

const site = { file: 'model.json' };
const message = (f: () => unknown): string => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return (e as NnchipError).format();
  }
};

describe('chooseOutputs', () => {
  test('every output without --output-name; one, or several separated by commas, with it', () => {
    expect(chooseOutputs(['y'], undefined, site)).toEqual(['y']);
    expect(chooseOutputs(['a', 'b'], undefined, site)).toEqual(['a', 'b']);
    expect(chooseOutputs(['a', 'b'], 'b', site)).toEqual(['b']);
    // in the order named, each once
    expect(chooseOutputs(['a', 'b', 'c'], 'c,a', site)).toEqual(['c', 'a']);
    expect(chooseOutputs(['a', 'b', 'c'], 'c, a,c', site)).toEqual(['c', 'a']);
    expect(message(() => chooseOutputs(['a', 'b'], 'c', site))).toMatch(/^error NN801: model\.json: --output-name "c" is not an output of the model: the model's outputs are a, b/);
    expect(message(() => chooseOutputs(['a', 'b'], 'a,x', site))).toMatch(/^error NN801: model\.json: --output-name "x" is not an output/);
  });

  test('a name that holds a comma is one name when the model has it', () => {
    expect(chooseOutputs(['a,b', 'c'], 'a,b', site)).toEqual(['a,b']);
  });

  test('aliases (a signature key) and inner nodes (a TF graph cut before its decoding) are taken by name', () => {
    const aliases = new Map([['scores', 'Identity:0']]);
    expect(chooseOutputs(['Identity:0', 'Identity_1:0'], 'scores', site, aliases)).toEqual(['Identity:0']);
    expect(chooseOutputs(['out'], 'conv/Relu,out', site, new Map(), (n) => n === 'conv/Relu')).toEqual(['conv/Relu', 'out']);
  });

  test('a tensor listed as an output more than once is one output (Keras outputs=[y, y]; 8,000 listings were "8000 outputs (r, r, …)")', () => {
    expect(chooseOutputs(['r', 'r'], undefined, site)).toEqual(['r']);
    expect(chooseOutputs(Array<string>(8000).fill('r'), undefined, site)).toEqual(['r']);
    expect(chooseOutputs(['a', 'b', 'a'], undefined, site)).toEqual(['a', 'b']);
    expect(message(() => chooseOutputs(['a', 'a'], 'b', site))).toMatch(/the model's only output is a/);
  });

  test(`more than ${MAX_OUTPUTS} outputs are refused in one line by the compiler, naming the flag`, () => {
    const many = Array.from({ length: MAX_OUTPUTS + 1 }, (_, i) => `o${i}`);
    expect(chooseOutputs(many, 'o3,o1', site)).toEqual(['o3', 'o1']);
    // a ReLU of the input per output: the limit is checked before any work
    const graph: Graph = { name: 'many', inputs: [{ name: 'x', shape: [4] }], nodes: many.map((o) => ({ name: o, op: 'activation' as const, fn: 'relu' as const, inputs: ['x'], output: o })), outputs: many, notes: [] };
    expect(message(() => compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples: [Float32Array.of(0.1, 0.2, 0.3, 0.4)] } }))).toMatch(new RegExp(`^error NN110: the model has ${MAX_OUTPUTS + 1} outputs \\(o0, .*\\(${MAX_OUTPUTS + 1} in all\\)\\); a program holds at most ${MAX_OUTPUTS}`));
  });
});
