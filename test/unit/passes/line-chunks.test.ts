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
import type { Graph } from '../../../src/ir/graph.js';
import { builder, randomCnn } from '../../helpers/random-cnn.js';
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

describe('a one-pixel-wide op in chunks', () => {
  // A 'same' 3×3 average pool (TF: padding not counted) splits into one GemmOp per border region; its
  // edge columns are ops one pixel wide that read whole padded input lines (3 × 14 pixels × 2
  // channel tiles = 84 act entries) though their window is 3 pixels wide. InceptionV3's
  // average_pooling2d_4 (17×17×768 on 8x8: 5,472 entries > actDepth 4,096) was refused with NN403.
  test('reads only its window: lowers where a whole line does not fit; outputs equal the roomy machine', () => {
    const b = builder(5);
    const c1 = b.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: b.tensor([1, 1, 3, 8], 0.6), bias: b.tensor([8], 0.2), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' });
    const ap = b.add({ name: 'ap', op: 'pool2d', kind: 'avg', size: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], inputs: [c1], output: 'ap' });
    const graph: Graph = { name: 'same-avgpool', inputs: [{ name: 'input', shape: [5, 12, 3] }], nodes: b.nodes, outputs: [ap], notes: [] };
    const calibration = { samples: randomSamples(6, 5 * 12 * 3, 12, -1, 1) };
    const inputs = randomSamples(2, 5 * 12 * 3, 13, -1.5, 1.5);
    const run = (p: Program): number[][] => inputs.map((x) => Array.from(interpret(p, quantizeInput(p, x))));
    const whole = compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration, verify: true }).program;
    const small = compile(graph, { config: makeConfig({ rows: 4, cols: 4, actDepth: 40 }), calibration, verify: true }).program;
    expect(run(small)).toEqual(run(whole));
    expectSimExact(small, quantizeInput(small, inputs[0]!));
  });
});
