// SPDX-License-Identifier: MIT
/**
 * The RTL's two acc banks (ACC_BANKS 2: nnchip_acc_mem's halves, the threshold's `reach`, the
 * controller's mm_apart): a matmul whose acc rows lie in the other half from the threshold before it
 * starts beside that threshold, once it ends within the matmul's duration − 1 (timing.ts
 * thresholdTailReach); on the same half it waits for the tail as on a one-bank machine. Icarus runs
 * every shape of the tail tests, both directions and the same half, a threshold started beside the
 * matmuls in flight on the other half (timing.ts thresholdBesideFrom), and the MNIST CNN compiled for
 * a two-bank 4x4 (its column tiles alternating halves), a 1×1 stride-2 convolution whose
 * thresholds run beside the next column tiles' matmuls, and one on an 8x8 whose thresholds end
 * before those matmuls (timing.ts besideCompletesAfter), and a convolution of one matmul per tile
 * whose thresholds go beside the next tile's, and a fused pool's threshold in pieces beside the next
 * column tile's matmuls; Verilator four of them. Each is bit- and cycle-exact against interpret() and
 * scheduleTimes() (test/unit/sim/threshold-tail.test.ts holds the schedule to the rule).
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Program } from '../../src/isa/program.js';
import { quantizeInput } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { builder } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';
import { accLoadsBeforeWindows, pointwiseAfterConv } from '../helpers/residual-cnn.js';
import { besideShape, oneMatmulShortcut } from '../helpers/one-matmul-beside.js';
import { BESIDE_CASES, besideProgram, TAIL_CASES, thresholdTailProgram, type TailBanks, type TailCase } from '../helpers/threshold-tail.js';
import { CAPACITY, expectExact, expectRtlExact, haveTools } from './tools.js';

const exact = (c: TailCase, banks: TailBanks, simulator: 'iverilog' | 'verilator', name: string): Promise<void> =>
  expectRtlExact(thresholdTailProgram(c, c.R * 100 + c.rows, {}, banks), simulator, c.rows + 1, name);

const name = (c: TailCase, banks: TailBanks): string => `${c.R}x${c.C} rows=${c.rows} passes=${c.passes} ${c.mode} ${banks}`;

describe.skipIf(!haveTools('iverilog', 'vvp'))('a matmul beside a threshold on the other acc bank, in Icarus', () => {
  const cases = TAIL_CASES.flatMap((c) => (['up', 'down', 'same'] as const).map((banks) => [name(c, banks), c, banks] as const));
  test.each(cases)('%s: bit- and cycle-exact', (n, c, banks) => exact(c, banks, 'iverilog', n), 120_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('a threshold beside the matmuls in flight on the other acc bank, in Icarus', () => {
  test.each(BESIDE_CASES.map((c) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes}`, c] as const))('%s: bit- and cycle-exact', (name, c) => expectRtlExact(besideProgram(c, c.rows * 7 + c.R), 'iverilog', c.rows + 3, name), 120_000);
  // the threshold pushes to the load unit, or it and B to the store unit: it completes after B (timing.ts besideCompletesAfter)
  test.each(BESIDE_CASES.slice(-2).flatMap((c) => (['toLoad', 'bothToStore'] as const).map((tokens) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes}, tokens ${tokens}`, c, tokens] as const)))('%s: bit- and cycle-exact', (name, c, tokens) => expectRtlExact(besideProgram(c, c.rows * 7 + c.R, tokens), 'iverilog', c.rows + 3, name), 120_000);
});

describe.skipIf(!haveTools('verilator'))('a matmul beside a threshold on the other acc bank, in Verilator', () => {
  const cases = [TAIL_CASES[3]!, TAIL_CASES[5]!].map((c, i) => [name(c, i === 0 ? 'up' : 'down'), c, i === 0 ? 'up' : 'down'] as const);
  test.each(cases)('%s: bit- and cycle-exact', (n, c, banks) => exact(c, banks, 'verilator', n), 300_000);

  test('a threshold beside the matmuls in flight, completing before them: bit- and cycle-exact', () => {
    const c = BESIDE_CASES[4];
    return expectRtlExact(besideProgram(c, c.rows * 7 + c.R), 'verilator', c.rows + 3, 'beside, verilator');
  }, 300_000);
});

/**
 * ResNet-18's Conv3_s shape on a 4x4 (a 1×1 stride-2 convolution, two folds per column tile) with
 * an acc buffer of four slots of its tiles: each column tile's threshold follows the next column
 * tile's first matmul, on the other bank (lower-tile-choice.ts, as Conv3_s with 64 kB buffers on 32x32).
 * DRAM moves 16 bytes a cycle, the widest entry (acc) of a 4x4: the cycles of ideal DRAM.
 */
function shortcutConv(): Program {
  const b = builder(15);
  b.add({ name: 'shortcut', op: 'conv2d', inputs: ['input'], output: 'shortcut', kernel: b.tensor([1, 1, 8, 8], 0.6), bias: b.tensor([8], 0.2), strides: [2, 2], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  const graph: Graph = { name: 'shortcut', inputs: [{ name: 'input', shape: [12, 12, 8] }], nodes: b.nodes, outputs: ['shortcut'], notes: [] };
  const p = compileGraph(graph, randomSamples(4, 12 * 12 * 8, 15), { rows: 4, cols: 4, dramBytesPerCycle: 16, dramLatency: 0, accBanks: 2, accDepth: 48, actDepth: 4096, wgtDepth: 512, outDepth: 512, qntDepth: 8 });
  const compute = p.instructions.filter((i) => i.op === 'matmul' || i.op === 'threshold');
  const split = p.config.accDepth / 2;
  const beside = compute.filter((i, k) => i.op === 'threshold' && compute[k - 1]?.op === 'matmul' && compute[k - 1]!.acc >= split !== i.acc >= split);
  expect(beside.length).toBe(compute.filter((i) => i.op === 'threshold').length - 1);
  return p;
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('a 1×1 stride-2 convolution with its thresholds beside the next column tiles, in Icarus', () => {
  test('bit- and cycle-exact', () => expectRtlExact(shortcutConv(), 'iverilog', 15, 'shortcut conv, iverilog'), 300_000);
});

describe.skipIf(!haveTools('verilator'))('a 1×1 stride-2 convolution with its thresholds beside the next column tiles, in Verilator', () => {
  test('bit- and cycle-exact', () => expectRtlExact(shortcutConv(), 'verilator', 15, 'shortcut conv, verilator'), 300_000);
});

/**
 * A 1×1 stride-2 convolution to a 2×2 map on a two-bank 8x8 (4 folds, 3 column tiles of 4 rows):
 * each column tile's threshold follows the next one's first three matmuls (lower-tile-choice.ts
 * besideAfter) and ends before the last of them, its only token the one to the store unit (timing.ts
 * besideCompletesAfter): the compiled program exercises the controller's early end, which the 4x4
 * programs above barely do (their drains are short against their rows).
 */
function endsBeforeMatmuls(): Program {
  const b = builder(16);
  b.add({ name: 'small', op: 'conv2d', inputs: ['input'], output: 'small', kernel: b.tensor([1, 1, 32, 24], 0.4), bias: b.tensor([24], 0.2), strides: [2, 2], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' });
  const graph: Graph = { name: 'small', inputs: [{ name: 'input', shape: [4, 4, 32] }], nodes: b.nodes, outputs: ['small'], notes: [] };
  const p = compileGraph(graph, randomSamples(4, 4 * 4 * 32, 16), { rows: 8, cols: 8, dramBytesPerCycle: 64, dramLatency: 0, accBanks: 2, accDepth: 64, actDepth: 1024, wgtDepth: 512, outDepth: 256, qntDepth: 8 });
  const { timings } = scheduleTimes(p.instructions, p.config);
  const early = p.instructions.filter((insn, i) => insn.op === 'threshold' && p.instructions.some((m, j) => j < i && m.op === 'matmul' && timings[j]!.end > timings[i]!.end));
  expect(early.length).toBe(2);
  return p;
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('thresholds that end before the matmuls beside them, compiled, in Icarus', () => {
  test('bit- and cycle-exact', () => expectRtlExact(endsBeforeMatmuls(), 'iverilog', 16, 'ends before its matmuls, iverilog'), 300_000);
});

/**
 * A 1×1 stride-2 convolution of one matmul per tile on a two-bank 4x4: each tile's threshold follows
 * the next tile's matmul and the windows take three act slots (test/helpers/one-matmul-beside.ts).
 */
describe.skipIf(!haveTools('iverilog', 'vvp'))('one matmul per tile with its thresholds beside the next tile\'s, in Icarus', () => {
  test('bit- and cycle-exact', () => {
    const p = oneMatmulShortcut(2);
    expect(besideShape(p).actSlots).toBe(3);
    return expectRtlExact(p, 'iverilog', 19, 'one matmul beside, iverilog');
  }, 300_000);
});

/**
 * A 1×1 convolution (one matmul per column tile) after a 3×3 one on a two-bank 4x4, in two tiles: its
 * second tile's bias loads before its first tile's windows (lower-emit.ts), while those wait for the
 * convolution before it. (Its 3 channels fill too much of an act entry to be packed: pack-taps.ts.)
 * Before packed maps this was the residual CNN's first add with c = 2, which now computes pixel groups.
 */
describe.skipIf(!haveTools('iverilog', 'vvp'))('a 1×1 convolution whose second tile\'s constants load ahead, in Icarus', () => {
  test('bit- and cycle-exact', () => {
    const p = compileGraph(pointwiseAfterConv(11), randomSamples(4, 11 * 11 * 3, 12, -1, 1), { rows: 4, cols: 4, accBanks: 2, dramBytesPerCycle: 16, dramLatency: 0, accDepth: 128, actDepth: 4096, wgtDepth: 512, outDepth: 512, qntDepth: 8 });
    expect(accLoadsBeforeWindows(p, 'pw')).toBe(2);
    return expectRtlExact(p, 'iverilog', 12, '1x1 conv, constants ahead, iverilog');
  }, 300_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('the MNIST CNN on a two-bank 4x4, in Icarus', () => {
  test('bit- and cycle-exact, in fewer cycles than on one bank', async () => {
    const model = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
    const samples = calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 4);
    const machine = { rows: 4, cols: 4, dramLatency: 2, actDepth: 2048, wgtDepth: 512, accDepth: 512, outDepth: 512, qntDepth: 8 };
    const p = compileGraph(loadModel(model), samples, { ...machine, accBanks: 2 });
    const one = compileGraph(loadModel(model), samples, machine);
    expect(scheduleTimes(p.instructions, p.config).cycles).toBeLessThan(scheduleTimes(one.instructions, one.config).cycles);
    const sim = await buildRtlSim(p, { simulator: 'iverilog', capacity: CAPACITY });
    try {
      const inputs = samples.slice(0, 1).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim.run(p, inputs), 'MNIST CNN, two acc banks');
    } finally {
      sim.dispose();
    }
  }, 300_000);
});

/**
 * A 3×3 convolution of 3 channels (7 folds on 4 rows) and a fused 3×3/2 max pool with padding 1 on a
 * two-bank 4x4: the pool's threshold reads 6 acc rows per pooled pixel, outlasts the matmul after
 * it, and goes in pieces of whole pooled lines, one after each of the next column tile's matmuls
 * (lower-threshold-pieces.ts): pieces whose windows start below the tile's first line, no padding above.
 * Without the pool, with a threshold unit of `thresholdPasses` beats a row: plain thresholds in pieces of rows.
 */
function pooledStem(thresholdPasses = 1, pool = true): Program {
  const b = builder(17);
  const c = b.add({ name: 'c', op: 'conv2d', inputs: ['input'], output: 'c', kernel: b.tensor([3, 3, 3, 4], 0.6), bias: b.tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  if (pool) b.add({ name: 'mp', op: 'pool2d', kind: 'max', size: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], inputs: [c], output: 'mp' });
  const graph: Graph = { name: 'stem', inputs: [{ name: 'input', shape: [8, 8, 3] }], nodes: b.nodes, outputs: [pool ? 'mp' : 'c'], notes: [] };
  const p = compileGraph(graph, randomSamples(4, 8 * 8 * 3, 17), { rows: 4, cols: 4, dramBytesPerCycle: 16, dramLatency: 0, accBanks: 2, accDepth: 512, actDepth: 4096, wgtDepth: 512, outDepth: 512, qntDepth: 8, thresholdPasses });
  const tileAcc = new Set(p.instructions.flatMap((i) => (i.op === 'matmul' && i.bias === 1 ? [i.acc] : [])));
  const thresholds = p.instructions.filter((i) => i.op === 'threshold');
  expect(thresholds.length).toBeGreaterThan(tileAcc.size);
  // a piece reads from a line inside its tile
  expect(thresholds.some((i) => !tileAcc.has(i.acc))).toBe(true);
  return p;
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('thresholds in pieces beside the next tile\'s matmuls, in Icarus', () => {
  test('bit- and cycle-exact', () => expectRtlExact(pooledStem(), 'iverilog', 17, 'pooled threshold in pieces, iverilog'), 300_000);
  // a threshold unit of 4 beats a row (one lane): a plain threshold outlasts the matmuls beside it too
  test('a plain threshold, 4 beats a row: bit- and cycle-exact', () => expectRtlExact(pooledStem(4, false), 'iverilog', 18, 'plain threshold in pieces, 4 passes, iverilog'), 300_000);
});
