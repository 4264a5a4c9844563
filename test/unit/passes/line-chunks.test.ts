/**
 * Output lines in chunks (passes/lower-tiling.ts): when not even one output line fits the acc/out
 * (or act) buffer, a line is computed a chunk of pixels at a time, each reading its own input
 * window. Exact: the outputs equal those of a machine whose buffers hold whole lines.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { randomCnn } from '../../helpers/random-cnn.js';
import { randomSamples } from '../../helpers/random-graph.js';

describe('output lines in chunks', () => {
  // 9×8 input: its widest op writes 8-pixel lines, so acc/out of 6 entries (3 pixels a slot) force chunks
  const cases: [string, number, Partial<ArrayConfig> & { rows: number; cols: number }][] = [
    ['3 channels on 4x4, acc/out 6', 3, { rows: 4, cols: 4, accDepth: 6, outDepth: 6 }],
    ['2 channels (packed taps) on 8x4, acc/out 4', 2, { rows: 8, cols: 4, accDepth: 4, outDepth: 4 }],
    ['1 channel on 3x5, acc/out 10', 1, { rows: 3, cols: 5, accDepth: 10, outDepth: 10 }],
  ];
  test.each(cases)('%s: outputs equal whole-line tiling; sim (fast, step) = interpret = certificate', (_name, c, small) => {
    const graph = randomCnn(11, 9, 8, c);
    const calibration = { samples: randomSamples(6, 9 * 8 * c, 12, -1, 1) };
    const inputs = randomSamples(2, 9 * 8 * c, 13, -1.5, 1.5);
    const run = (p: Program): number[][] => inputs.map((x) => Array.from(interpret(p, quantizeInput(p, x))));
    const whole = compile(graph, { config: makeConfig({ rows: small.rows, cols: small.cols }), calibration, verify: true }).program;
    const chunked = compile(graph, { config: makeConfig({ ...small, dramLatency: 2, dramBytesPerCycle: 4 }), calibration, verify: true }).program;
    // chunks: some tile stores fewer pixels than its line has
    expect(chunked.instructions.filter((i) => i.op === 'store').length).toBeGreaterThan(whole.instructions.filter((i) => i.op === 'store').length);
    expect(run(chunked)).toEqual(run(whole));
    expectSimExact(chunked, quantizeInput(chunked, inputs[0]!));
  });
});
