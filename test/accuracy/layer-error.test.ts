/**
 * The per-layer error tool (test/helpers/layer-error.ts) reads every layer's int8 output back and
 * compares it with the float graph: on the digits CNN (real calibration digits) the first layer is
 * within one step of float (its input is the only rounding before it) and no layer drifts by more
 * than a few steps. docs/numerics.md ("Deep networks: error accumulates") uses the same tool on a
 * 100-layer segmentation model.
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { calibrationSamples } from '../helpers/compile.js';
import type { Graph } from '../../src/ir/graph.js';
import { layerErrors } from '../helpers/layer-error.js';
import { builder } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';

const CNN = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
const CAL = new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname;

describe('per-layer int8 error', () => {
  test('digits CNN: every stored layer is read back, the first within 1 step of float, none beyond 1 (0.20–0.29 steps)', () => {
    const samples = calibrationSamples(CAL);
    const c = compile(loadModel(CNN), { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples } });
    const errors = layerErrors(c, samples[0]!);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]!.meanSteps).toBeLessThan(1);

    for (const e of errors) expect(e.meanSteps, e.name).toBeLessThan(1);
    // a layer fed by another read-back layer gets its own (local) error, within its rounding
    const local = errors.filter((e) => e.local !== undefined);
    expect(local.length).toBeGreaterThanOrEqual(1);
    for (const e of local) expect(e.local!, e.name).toBeLessThan(0.6);
  });

  test('a tiny packed map (a Dense on each of 5 steps: [1, 5, 3]) is read back with its own pixel stride, within its rounding', () => {
    // its DRAM region ends in the last pixel's spill slack (lower-dram.ts), which a stride taken
    // as the region's size over its pixels counted as a fourth byte a pixel: 72 steps of error
    const b = builder(31);
    const td = b.add({ name: 'td', op: 'conv2d', inputs: ['input'], output: 'td', kernel: b.tensor([1, 1, 6, 3], 0.6), bias: b.tensor([3], 0.1), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' });
    const fl = b.add({ name: 'fl', op: 'flatten', inputs: [td], output: 'fl' });
    b.add({ name: 'out', op: 'dense', inputs: [fl], output: 'out', kernel: b.tensor([15, 2], 0.4), bias: b.tensor([2], 0.1), activation: 'linear' });
    const graph: Graph = { name: 'steps', inputs: [{ name: 'input', shape: [1, 5, 6] }], nodes: b.nodes, outputs: ['out'], notes: [] };
    const samples = randomSamples(16, 30, 31, 0, 1);
    const c = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples } });
    const td0 = layerErrors(c, samples[3]!).find((e) => e.name === 'td');
    expect(td0).toBeDefined();
    expect(td0!.meanSteps).toBeLessThan(1);
  });
});
