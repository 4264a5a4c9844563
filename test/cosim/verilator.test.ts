// SPDX-License-Identifier: MIT
/**
 * Verilator: the generated RTL is lint-clean under `verilator --lint-only -Wall` for every array
 * shape and DRAM/queue corner and with two acc banks, and the Verilator build of the test bench agrees with Icarus (and
 * with interpret() / scheduleTimes()) sample for sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { emitVerilog } from '../../src/backends/verilog/emit.js';
import { buildRtlSim, type RtlSim, type Simulator } from '../../src/backends/verilog/simulate.js';
import { requireTool, runTool } from '../../src/backends/verilog/tools.js';
import { makeConfig } from '../../src/isa/config.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { writeDirAtomic } from '../../src/util/atomic-write.js';
import { calibrationSamples, compileDigitsMlp, compileGraph } from '../helpers/compile.js';
import { pooledCnn } from '../helpers/pooled-cnn.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';
import { CAPACITY, expectExact, haveTools, shapeName, SHAPES } from './tools.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-lint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const smallNet = (shape: object): Program =>
  compileGraph(randomMlp([5, 4, 3], 3), randomSamples(4, 5, 4), { ...shape, actDepth: 256, wgtDepth: 64, accDepth: 16, qntDepth: 4, outDepth: 16 });

describe.skipIf(!haveTools('verilator'))('verilator --lint-only -Wall', () => {
  const corners = [...SHAPES, { rows: 3, cols: 5, dramBytesPerCycle: 64, dramLatency: 0, queueDepth: 5, actDepth: 100, thresholdPasses: 5 }, { rows: 4, cols: 4, accBanks: 2 }];
  test.each(corners.map((s) => [shapeName(s), s] as const))('%s is clean', async (name, shape) => {
    const dir = join(work, name.replace(/\W+/g, '_'));
    const files = emitVerilog(smallNet(shape), { target: 'generic' });
    writeDirAtomic(dir, files);
    const rtl = [...files.keys()].filter((p) => p.startsWith('rtl/') && p.endsWith('.v'));
    const { stdout, stderr } = await runTool(requireTool('verilator'), ['--lint-only', '-Wall', '-Irtl', '--top-module', 'nnchip_top', ...rtl], dir, 'verilator lint');
    expect(stdout + stderr).toBe('');
  });
});

describe.skipIf(!haveTools('verilator', 'iverilog', 'vvp'))('Verilator agrees with Icarus', () => {
  const sims: RtlSim[] = [];
  afterAll(() => sims.forEach((s) => s.dispose()));
  const both = async (p: Program): Promise<Record<Simulator, RtlSim>> => {
    const [verilator, iverilog] = await Promise.all((['verilator', 'iverilog'] as const).map((simulator) => buildRtlSim(p, { simulator, capacity: CAPACITY })));
    sims.push(verilator!, iverilog!);
    return { verilator: verilator!, iverilog: iverilog! };
  };

  test('the digits MLP on 4x4, random MLPs (relu and table activations) and pooled CNNs of the same configuration', async () => {
    const { program } = compileDigitsMlp({ rows: 4, cols: 4 });
    const sim = await both(program);
    const programs: [Program, Int8Array[]][] = [[program, calibrationSamples().slice(0, 2).map((x) => quantizeInput(program, x))]];
    for (const seed of [11, 12]) {
      const p = compileGraph(randomMlp([9, 7, 4], seed), randomSamples(4, 9, seed), { rows: 4, cols: 4 });
      const r = rng(seed);
      programs.push([p, [Int8Array.from({ length: 9 }, () => Math.floor(r() * 256) - 128)]]);
    }
    // threshold table mode: sigmoid, tanh, leaky ReLU, hard-swish as step tables
    const tables = compileGraph(randomMlp([9, 7, 6, 4], 13, [{ fn: 'sigmoid' }, { fn: 'leakyrelu', alpha: 0.2 }, { fn: 'hardswish' }]), randomSamples(4, 9, 13, -2, 2), { rows: 4, cols: 4 });
    expect(tables.instructions.some((i) => i.op === 'threshold' && i.steps > 0)).toBe(true);
    programs.push([tables, randomSamples(2, 9, 14, -2, 2).map((x) => quantizeInput(tables, x))]);
    // threshold pooling mode: max pools fused into the convolution's threshold
    // and overlapping windows from a top and left padding (ResNet's 3×3/2 max pool: each window takes its
    // first column from the one before), and windows that take two columns (3×4/2)
    for (const [kh, kw, shape] of [[2, 2], [3, 2], [3, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }], [3, 4, { strides: [2, 2], pads: [1, 2, 1, 0] }]] as const) {
      const pooled = compileGraph(pooledCnn(kh, kw, false, shape), randomSamples(4, 6 * 8 * 3, 15, -1, 1), { rows: 4, cols: 4 });
      expect(pooled.instructions.some((i) => i.op === 'threshold' && i.poolH === kh - 1 && i.poolW === kw - 1)).toBe(true);
      programs.push([pooled, randomSamples(2, 6 * 8 * 3, 16, -1, 1).map((x) => quantizeInput(pooled, x))]);
    }
    for (const [p, inputs] of programs) {
      const [v, i] = await Promise.all([sim.verilator.run(p, inputs), sim.iverilog.run(p, inputs)]);
      expectExact(p, inputs, v, 'verilator');
      expect(v.map((x) => [Array.from(x.raw), x.cycles])).toEqual(i.map((x) => [Array.from(x.raw), x.cycles]));
    }
  }, 240_000);

  test('a DRAM-latency-0, 1-byte-per-cycle, queue-depth-1 corner', async () => {
    const config = makeConfig({ rows: 2, cols: 3, dramBytesPerCycle: 1, dramLatency: 0, queueDepth: 1, actDepth: 64, wgtDepth: 16, accDepth: 8, qntDepth: 2, outDepth: 8 });
    const p = compileGraph(randomMlp([6, 5, 4], 21), randomSamples(4, 6, 21), config);
    const sim = await both(p);
    const inputs = randomSamples(2, 6, 22).map((x) => quantizeInput(p, x));
    const [v, i] = await Promise.all([sim.verilator.run(p, inputs), sim.iverilog.run(p, inputs)]);
    expectExact(p, inputs, v, 'verilator corner');
    expect(v.map((x) => [Array.from(x.raw), x.cycles])).toEqual(i.map((x) => [Array.from(x.raw), x.cycles]));
  }, 240_000);
});

/**
 * The shipped digits MLP on the array shapes Icarus does not run it on (it runs 4x4 and 8x8): the
 * 1x1 program is 100,764 instructions and about a million cycles per digit, which only Verilator
 * simulates in seconds. Each shape keeps its DRAM / queue / threshold-unit corner from SHAPES.
 */
describe.skipIf(!haveTools('verilator'))('the shipped digits MLP in Verilator on every other array shape', () => {
  const shapes = SHAPES.filter((s) => !((s.rows === 4 && s.cols === 4) || (s.rows === 8 && s.cols === 8)));
  test.each(shapes.map((s) => [shapeName(s), s] as const))('%s: bit- and cycle-exact on two digits', async (name, shape) => {
    const { program } = compileDigitsMlp(shape);
    const inputs = calibrationSamples().slice(0, 2).map((x) => quantizeInput(program, x));
    const sim = await buildRtlSim(program, { simulator: 'verilator', inputs });
    try {
      expectExact(program, inputs, await sim.run(program, inputs), `digits-mlp ${name}`);
    } finally {
      sim.dispose();
    }
  }, 300_000);
});
