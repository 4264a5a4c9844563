/**
 * Computed tensors stored packed (passes/pack-taps.ts `storesPacked`): a map of c < R/2 channels
 * that one op writes in address order is stored with its pixels c bytes apart, so its readers'
 * x-adjacent taps merge into one matmul, and its writer's C-lane stores spill onto the pixels after
 * each one (overwritten by their own stores later) or onto its border (which holds the code the
 * spilled lanes hold). A residual add on packed maps computes several pixels per row
 * (group-pixels.ts). The outputs are the same codes as the program that packs nothing (the same
 * graph on a 4x4, where 4 channels fill an act entry), and every back end agrees.
 */
import { describe, expect, test } from 'vitest';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput } from '../../src/isa/program.js';
import { expectSoftwareBackendsAgree, expectSimExact, inputClasses } from '../helpers/agreement.js';
import { builder } from '../helpers/random-cnn.js';
import { compileGraph } from '../helpers/compile.js';
import { randomSamples } from '../helpers/random-graph.js';
import { PACKED_MACHINE, packedRegions, packedResidual, residualSamples } from '../helpers/packed-tensors.js';
import type { Graph } from '../../src/ir/graph.js';

describe('computed tensors stored packed', () => {
  const p = packedResidual();

  test('the residual CNN\'s maps are packed, and its 3×3 convolutions take fewer matmuls for it', () => {
    // the stem's relu output and the first block's (the add stacks nothing then: its inputs are packed)
    expect(packedRegions(p).length).toBeGreaterThanOrEqual(3);
    const wide = packedResidual({ ...PACKED_MACHINE, rows: 4, cols: 4 });
    expect(packedRegions(wide)).toEqual([]);
    // 9 taps of 4 channels: three runs of three x-adjacent taps, one matmul each, per tile (one threshold), not 9
    const count = (layer: string, op: string): number => p.instructions.filter((i, n) => i.op === op && p.layers[p.insnLayer[n]!]!.name === layer).length;
    expect(count('b1c1', 'matmul')).toBe(3 * count('b1c1', 'threshold'));
    // the add on packed maps computes 3 adjacent pixels per row (group-pixels.ts; 3 divides the 6-pixel
    // lines, 16 lanes hold 4 pixels): its thresholds write the 6×6 map's 36 pixels as 12 rows
    const rows = (layer: string): number => p.instructions.reduce((a, i, n) => a + (i.op === 'threshold' && p.layers[p.insnLayer[n]!]!.name === layer ? i.rows : 0), 0);
    expect(rows('b1add')).toBe(12);
  });

  test('the same output codes as the program that packs nothing', () => {
    const plain = packedResidual({ ...PACKED_MACHINE, rows: 4, cols: 4 });
    for (const x of residualSamples(6, 8)) expect(Array.from(interpret(p, quantizeInput(p, x)))).toEqual(Array.from(interpret(plain, quantizeInput(plain, x))));
  });

  test('ref = sim = WASM, step = fast, the certificate', async () => {
    await expectSoftwareBackendsAgree(p, inputClasses(p, residualSamples(1, 3)[0]));
    expectSimExact(p, quantizeInput(p, residualSamples(1, 4)[0]!));
  });

  test('a 1×1 convolution between packed maps computes pixel groups (block-diagonal weights); exact', () => {
    const b = builder(13);
    const conv = (name: string, x: string, k: number, cin: number, cout: number): string =>
      b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([k, k, cin, cout], 0.5), bias: b.tensor([cout], 0.2), strides: [1, 1], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], depthwise: false, activation: 'relu' });
    const out = conv('c', conv('pw', conv('a', 'input', 3, 3, 4), 1, 4, 2), 3, 2, 4);
    const graph: Graph = { name: 'pointwise', inputs: [{ name: 'input', shape: [8, 8, 3] }], nodes: b.nodes, outputs: [out], notes: [] };
    const samples = randomSamples(4, 8 * 8 * 3, 13, -1, 1);
    const q = compileGraph(graph, samples, PACKED_MACHINE);
    expect(packedRegions(q)).toEqual(['act:a', 'act:pw']);
    // 4 source channels and 2 out channels a pixel: 4 pixels a row (16 rows, 16 lanes), 64 pixels in 16 rows
    expect(q.instructions.reduce((a, i, n) => a + (i.op === 'threshold' && q.layers[q.insnLayer[n]!]!.name === 'pw' ? i.rows : 0), 0)).toBe(16);
    const plain = compileGraph(graph, samples, { ...PACKED_MACHINE, rows: 4, cols: 4 });
    for (const x of randomSamples(3, 8 * 8 * 3, 14, -1, 1)) {
      expect(Array.from(interpret(q, quantizeInput(q, x)))).toEqual(Array.from(interpret(plain, quantizeInput(plain, x))));
      expectSimExact(q, quantizeInput(q, x));
    }
  });

  test('a map with a max pool\'s border (−128, not the spilled zero point) or a step table\'s lanes is not packed; exact', () => {
    const b = builder(9);
    const conv = (name: string, x: string, pads: 0 | 1, act: 'linear' | 'relu' | { fn: 'sigmoid' }): string =>
      b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([3, 3, x === 'input' ? 3 : 4, 4], 0.5), bias: b.tensor([4], 0.2), strides: [1, 1], pads: [pads, pads, pads, pads], depthwise: false, activation: act });
    // `a` is read by a padded max pool (its border −128; no relu, so its zero point is not −128) and
    // by a valid 3×3 convolution (taps to merge)
    const a = conv('a', 'input', 1, 'linear');
    const pooled = b.add({ name: 'pool', op: 'pool2d', kind: 'max', inputs: [a], output: 'pool', size: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
    // `s`: a step table's lanes past its 4 channels are the table's value at 0, not the zero point
    const s = conv('s', pooled, 1, { fn: 'sigmoid' });
    const sum = b.add({ name: 'sum', op: 'add', inputs: [conv('c', a, 0, 'relu'), conv('d', s, 0, 'relu')], output: 'sum' });
    const graph: Graph = { name: 'borders', inputs: [{ name: 'input', shape: [8, 8, 3] }], nodes: b.nodes, outputs: [sum], notes: [] };
    const samples = randomSamples(4, 8 * 8 * 3, 9, -1, 1);
    const q = compileGraph(graph, samples, { ...PACKED_MACHINE, accDepth: 2048 });
    expect(packedRegions(q).filter((r) => r === 'act:a' || r === 'act:s')).toEqual([]);
    const plain = compileGraph(graph, samples, { ...PACKED_MACHINE, rows: 4, cols: 4, accDepth: 2048 });
    for (const x of randomSamples(3, 8 * 8 * 3, 10, -1, 1)) {
      expect(Array.from(interpret(q, quantizeInput(q, x)))).toEqual(Array.from(interpret(plain, quantizeInput(plain, x))));
      expectSimExact(q, quantizeInput(q, x));
    }
    // a step table's map read by a padded convolution: its border holds the zero point, its spilled lanes the table at 0
    const t = builder(11);
    const tconv = (name: string, x: string, act: 'relu' | { fn: 'sigmoid' }): string =>
      t.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: t.tensor([3, 3, x === 'input' ? 3 : 4, 4], 0.5), bias: t.tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: act });
    const tg: Graph = { name: 'table-border', inputs: [{ name: 'input', shape: [8, 8, 3] }], nodes: t.nodes, outputs: [tconv('d', tconv('s', 'input', { fn: 'sigmoid' }), 'relu')], notes: [] };
    const tq = compileGraph(tg, samples, { ...PACKED_MACHINE, accDepth: 2048 });
    expect(packedRegions(tq)).toEqual([]);
    const tplain = compileGraph(tg, samples, { ...PACKED_MACHINE, rows: 4, cols: 4, accDepth: 2048 });
    const x = randomSamples(1, 8 * 8 * 3, 12, -1, 1)[0]!;
    expect(Array.from(interpret(tq, quantizeInput(tq, x)))).toEqual(Array.from(interpret(tplain, quantizeInput(tplain, x))));
  });
});
