/**
 * Tap packing (passes/pack-taps.ts): a convolution on a narrow input reduces over several
 * x-adjacent taps per matmul, with outputs identical to the unpacked lowering (exact int32 sums),
 * and a strided one keeps only the x phases it reads, so it fits a smaller act buffer. An input
 * read by one convolution only is stored as its windows instead (window-input.ts, tested in
 * input-windows.test.ts); these graphs read it twice where they test the packing itself.
 */
import { describe, expect, test } from 'vitest';
import type { Graph, Pads } from '../../../src/ir/graph.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { builder } from '../../helpers/random-cnn.js';
import { randomSamples } from '../../helpers/random-graph.js';

interface ConvCase { h: number; w: number; c: number; k: number; cout: number; stride: number; pads: Pads }

/** conv → max pool; with `twice`, (conv + a second conv of the same shape) → max pool: the input has two readers. */
function convGraph(cc: ConvCase, seed: number, twice = false): Graph {
  const b = builder(seed);
  const convOf = (name: string): string => b.add({ name, op: 'conv2d', inputs: ['input'], output: name, kernel: b.tensor([cc.k, cc.k, cc.c, cc.cout], 0.6), bias: b.tensor([cc.cout], 0.2), strides: [cc.stride, cc.stride], pads: cc.pads, depthwise: false, activation: 'relu' });
  const conv = convOf('conv');
  const sum = twice ? b.add({ name: 'sum', op: 'add', inputs: [conv, convOf('conv_b')], output: 'sum' }) : conv;
  const pool = b.add({ name: 'pool', op: 'pool2d', kind: 'max', size: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0], inputs: [sum], output: 'pool' });
  return { name: 'packed', inputs: [{ name: 'input', shape: [cc.h, cc.w, cc.c] }], nodes: b.nodes, outputs: [pool], notes: [] };
}

const CASES: ConvCase[] = [
  { h: 9, w: 10, c: 1, k: 3, cout: 5, stride: 1, pads: [1, 1, 1, 1] },
  { h: 11, w: 13, c: 3, k: 5, cout: 4, stride: 2, pads: [2, 1, 2, 2] },
  { h: 12, w: 15, c: 2, k: 4, cout: 6, stride: 3, pads: [0, 0, 0, 0] },
];

const compileFor = (g: Graph, c: ConvCase, cfg: Partial<ArrayConfig>): Program =>
  compile(g, { config: makeConfig(cfg), calibration: { samples: randomSamples(6, c.h * c.w * c.c, 3, -1, 1) }, verify: true }).program;

const countOf = (p: Program, layer: string, op: string): number => {
  const li = p.layers.findIndex((l) => l.name === layer);
  return p.instructions.filter((insn, i) => insn.op === op && p.insnLayer[i] === li).length;
};
const matmulsOf = (p: Program, layer: string): number => countOf(p, layer, 'matmul');

describe('tap packing', () => {
  test.each(CASES.flatMap((cc) => [false, true].map((twice) => ({ ...cc, twice }))))('outputs equal the unpacked lowering on every array; sim (fast, step) = interpret = certificate (%o)', (cc) => {
    const g = convGraph(cc, cc.k * 7 + cc.c, cc.twice);
    const inputs = randomSamples(3, cc.h * cc.w * cc.c, 11, -1.5, 1.5);
    // rows = 1 cannot pack (one lane per entry): the reference lowering, tap by tap
    const run = (p: Program): number[][] => inputs.map((x) => Array.from(interpret(p, quantizeInput(p, x))));
    const want = run(compileFor(g, cc, { rows: 1, cols: 4 }));
    for (const rows of [4, 8, 16, 32]) {
      const p = compileFor(g, cc, { rows, cols: 4, dramLatency: 3, dramBytesPerCycle: 4 });
      expect(run(p)).toEqual(want);
      expectSimExact(p, quantizeInput(p, inputs[0]!));
    }
  });

  test('one matmul per ⌈kw / ⌊R/c⌋⌉ taps of a kernel line, and the input stored c bytes per pixel', () => {
    const cc = CASES[0]!;
    const g = convGraph(cc, 1, true);
    for (const rows of [1, 2, 4, 8]) {
      const p = compileFor(g, cc, { rows, cols: 8 });
      expect(p.input.windows).toBeUndefined();
      const perEntry = Math.floor(rows / cc.c);
      const taps = perEntry < 2 ? cc.k * cc.k : cc.k * Math.ceil(cc.k / perEntry);
      // one column tile, so one threshold per line tile (lower-tile-choice.ts picks how many)
      expect(matmulsOf(p, 'conv')).toBe(taps * countOf(p, 'conv', 'threshold'));
      expect(p.input.rowStride).toBe(perEntry < 2 ? Math.max(rows, 8) : cc.c);
    }
  });

  test('a strided conv on a packed input loads only the x phases it reads, and fits where whole lines do not', () => {
    // 11×11 stride 4 on 3 channels (AlexNet's first layer, scaled down): on 32 rows (10 pixels an entry)
    // a kernel line is taps 0–7 and 8–10, both starting at x phase 0: one entry in 4 is read
    const cc: ConvCase = { h: 23, w: 40, c: 3, k: 11, cout: 8, stride: 4, pads: [0, 0, 0, 0] };
    const g = convGraph(cc, 2, true);
    const wholeLines = cc.k * cc.w;
    const phases = cc.k * Math.ceil(cc.w / cc.stride);
    expect(phases).toBeLessThan(wholeLines);
    const p = compileFor(g, cc, { rows: 32, cols: 8, actDepth: phases });
    expect(p.memoryMap.find((r) => r.space === 'act')!.size).toBe(phases);
    const oh = Math.floor((cc.h - cc.k) / cc.stride) + 1;
    // one output line per tile (the act buffer holds one line's phases), 2 matmuls per kernel line
    expect(matmulsOf(p, 'conv')).toBe(oh * cc.k * 2);
    const x = randomSamples(1, cc.h * cc.w * cc.c, 5, -1, 1)[0]!;
    const ref = compileFor(g, cc, { rows: 1, cols: 8 });
    expect(Array.from(interpret(p, quantizeInput(p, x)))).toEqual(Array.from(interpret(ref, quantizeInput(ref, x))));
  });
});
