// SPDX-License-Identifier: MIT
/**
 * The max over a map's channels as a tree of pairwise maxima (ir/channel-reduce.ts) for every channel
 * count 2–9 (odd levels included): the float graph is the max (to float32 rounding, as convolutions
 * evaluate); the int8 program (sim = the reference interpreter) is within two output steps per level
 * and one more of it: each level's a, relu(b − a) and their sum take their own calibrated scales and
 * round once each, relu(b − a) at about twice the map's step (a max pool keeps its input's codes and is
 * exact; these are convolutions and adds; measured: up to 4.3 steps at 7 channels, three levels).
 */
import { expect, test } from 'vitest';
import { channelMaxNodes } from '../../../src/ir/channel-reduce.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph } from '../../../src/ir/graph.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';

test.each([2, 3, 4, 5, 6, 7, 8, 9])('the max of %i channels: float exact, int8 near it, sim = interpret', (c) => {
  const [h, w] = [3, 4];
  const nodes = channelMaxNodes('max', 'x', c);
  const levels = Math.ceil(Math.log2(c));
  expect(nodes.filter((n) => n.op === 'add')).toHaveLength(levels);
  const graph: Graph = { name: 'cmax', inputs: [{ name: 'x', shape: [h, w, c] }], nodes, outputs: ['max'], notes: [] };
  const samples = randomSamples(16, h * w * c, c, -1, 1);
  const want = samples.map((x) => Array.from({ length: h * w }, (_, p) => Math.max(...Array.from(x.subarray(p * c, (p + 1) * c)))));
  samples.forEach((x, i) => evaluateOutput(graph, x).forEach((v, p) => expect(Math.abs(v - want[i]![p]!)).toBeLessThan(1e-6)));
  const program = compileGraph(graph, samples, { rows: 4, cols: 4 });
  for (const [i, x] of samples.slice(0, 6).entries()) {
    const codes = quantizeInput(program, x);
    const ref = interpret(program, codes);
    expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
    dequantizeOutput(program, ref).forEach((v, p) => expect(Math.abs(v - want[i]![p]!)).toBeLessThanOrEqual((2 * levels + 1) * program.outputs[0]!.scale));
  }
});
