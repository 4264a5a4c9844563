import { describe, expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { compile } from '../../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

describe('compile', () => {
  const graph = randomMlp([20, 13, 7], 1);
  const cal = { samples: randomSamples(32, 20, 2) };

  test('outputs do not depend on the array shape (exact int32 sums, any tiling)', () => {
    const inputs = randomSamples(5, 20, 3);
    const shapes = [[1, 1], [8, 8], [3, 5], [32, 2], [4, 16]] as const;
    const results = shapes.map(([rows, cols]) => {
      const { program } = compile(graph, { config: makeConfig({ rows, cols }), calibration: cal, verify: true });
      return inputs.map((x) => Array.from(interpret(program, quantizeInput(program, x))));
    });
    for (const r of results) expect(r).toEqual(results[0]);
  });

  test('int8 outputs track the float model within a few output quantization steps', () => {
    const { program } = compile(graph, { config: makeConfig(), calibration: cal });
    for (const x of randomSamples(10, 20, 4)) {
      const got = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
      const want = evaluateOutput(graph, x);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(4 * program.outputs[0]!.scale + 0.02);
    }
  });
});
