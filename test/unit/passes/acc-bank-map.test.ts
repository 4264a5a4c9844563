/**
 * The memory map of a two-bank acc buffer (accBanks 2) describes each bank's slots as the ops took
 * them: an op of four small slots (two a bank) and an op of two large ones (one a bank) do not add up
 * to four large slots a bank. Before, the regions were accPerBank · maxRows entries each, the most
 * slots of one op times the largest slot of another: MobileNetV2 on the default 8x8 with
 * `"accBanks": 2` ended in NN901 ("memory-map region … [512, 1520) lies outside acc [0, 1024)").
 */
import { expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { accSplit } from '../../../src/isa/config.js';
import { accessesOf } from '../../../src/isa/effects.js';
import { validateProgram } from '../../../src/isa/validate.js';
import { compileGraph } from '../../helpers/compile.js';
import { builder } from '../../helpers/random-cnn.js';
import { randomSamples } from '../../helpers/random-graph.js';

test('four small slots in one op and two large ones in the next: each bank\'s region holds its slots and stays in its bank', () => {
  const b = builder(3);
  b.add({ name: 'wide', op: 'conv2d', inputs: ['input'], output: 'wide', kernel: b.tensor([1, 1, 16, 8], 0.4), bias: b.tensor([8], 0.1), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' });
  b.add({ name: 'down', op: 'conv2d', inputs: ['wide'], output: 'down', kernel: b.tensor([3, 3, 8, 16], 0.4), bias: b.tensor([16], 0.1), strides: [2, 2], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  const graph: Graph = { name: 'two-slot-sizes', inputs: [{ name: 'input', shape: [8, 14, 16] }], nodes: b.nodes, outputs: ['down'], notes: [] };
  const p = compileGraph(graph, randomSamples(4, 8 * 14 * 16, 3), { rows: 4, cols: 4, accBanks: 2, accDepth: 64, qntDepth: 8, dramLatency: 0, dramBytesPerCycle: 64 });
  expect(() => validateProgram(p)).not.toThrow();
  const split = accSplit(p.config);
  const acc = p.memoryMap.filter((r) => r.space === 'acc');
  const even = acc.find((r) => r.name.startsWith('accumulators (even'))!;
  const odd = acc.find((r) => r.name.startsWith('accumulators (odd'))!;
  expect(even.start + even.size).toBeLessThanOrEqual(split);
  expect(odd.start).toBe(split);
  expect(odd.start + odd.size).toBeLessThanOrEqual(p.config.accDepth);
  // the program used both slot shapes, and every acc access lies in a region
  const used = new Set<string>();
  for (const insn of p.instructions) {
    for (const a of accessesOf(insn, p.config)) {
      if (a.space !== 'acc' || a.end <= a.start) continue;
      expect(acc.some((r) => r.start <= a.start && a.end <= r.start + r.size), `${insn.op} acc [${a.start}, ${a.end})`).toBe(true);
    }
    if (insn.op === 'matmul') used.add(`${insn.acc >= split ? 'upper' : 'lower'}:${insn.rows}`);
  }
  expect(Math.max(...[...used].map((u) => Number(u.split(':')[1])))).toBeGreaterThan(split / 2);
});
