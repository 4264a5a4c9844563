/** Convolutional lowering: every op through matmul + threshold, exact under any tiling, close to float. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph } from '../../../src/ir/graph.js';
import { makeConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { randomCnn } from '../../helpers/random-cnn.js';

const graph = randomCnn(5);
const size = 9 * 8 * 3;
const calibration = { samples: randomSamples(24, size, 6, -1, 1) };

describe('CNN lowering', () => {
  test('outputs are identical on every array shape (exact int32 sums, any tiling)', () => {
    const inputs = randomSamples(3, size, 7, -1, 1);
    const configs = [{ rows: 1, cols: 1 }, { rows: 8, cols: 8 }, { rows: 3, cols: 5 }, { rows: 4, cols: 16 }, { rows: 2, cols: 2, actDepth: 160, accDepth: 32, outDepth: 32 }];
    const results = configs.map((c) => {
      const { program } = compile(graph, { config: makeConfig(c), calibration, verify: true });
      return inputs.map((x) => Array.from(interpret(program, quantizeInput(program, x))));
    });
    for (const r of results) expect(r).toEqual(results[0]);
  });

  test('int8 outputs track the float graph', () => {
    const { program } = compile(graph, { config: makeConfig(), calibration });
    const err: number[] = [];
    for (const x of randomSamples(8, size, 8, -1, 1)) {
      const got = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
      const want = evaluateOutput(graph, x);
      want.forEach((v, i) => err.push(Math.abs(got[i]! - v)));
    }
    // ten stacked int8 layers: each adds about half an output step of rounding
    expect(Math.max(...err)).toBeLessThan(12 * program.outputs[0]!.scale);
  });

  test('max pooling through matmul + threshold is exact on any int8 codes', () => {
    const pool: Graph = {
      name: 'pool',
      inputs: [{ name: 'input', shape: [5, 6, 3] }],
      nodes: [{ name: 'mp', op: 'pool2d', kind: 'max', size: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], inputs: ['input'], output: 'mp' }],
      outputs: ['mp'],
      notes: [],
    };
    const { program } = compile(pool, { config: makeConfig({ rows: 2, cols: 4 }), calibration: { inputRange: [-3, 5] } });
    expect(program.outputs[0]!.scale).toBe(program.input.scale); // max pooling keeps its input's quantization
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 90, maxLength: 90 }), (codes) => {
        const x = Int8Array.from(codes);
        const y = interpret(program, x);
        // reference: max over each window's taps inside the map (padding never wins)
        for (let oy = 0; oy < 3; oy++)
          for (let ox = 0; ox < 3; ox++)
            for (let c = 0; c < 3; c++) {
              let best = -128;
              for (let ky = 0; ky < 3; ky++)
                for (let kx = 0; kx < 2; kx++) {
                  const iy = oy * 2 + ky - 1;
                  const ix = ox * 2 + kx;
                  if (iy >= 0 && iy < 5 && ix < 6) best = Math.max(best, x[(iy * 6 + ix) * 3 + c]!);
                }
              expect(y[(oy * 3 + ox) * 3 + c]).toBe(best);
            }
      }),
      { numRuns: 200 },
    );
  });
});
