// SPDX-License-Identifier: MIT
/**
 * Co-simulation test plumbing: which EDA tools are on PATH (a missing tool skips outside CI and
 * fails in CI), the machine configurations the tests build once, and the oracle comparison.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { findTool } from '../../src/backends/verilog/tools.js';
import { findYowaspYosys } from '../../src/backends/verilog/yosys.js';
import { emitVerilog, type Capacity } from '../../src/backends/verilog/emit.js';
import { buildRtlSim, type RtlSim, type SampleRun } from '../../src/backends/verilog/simulate.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import type { Program } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { IN_CI } from '../helpers/ci.js';
import { compileGraph } from '../helpers/compile.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';


/** Writes an executable shell script `name` into `bin` (a stand-in for an EDA tool the test puts first on PATH). */
export function standInTool(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** True when the tests needing `tools` should run: all present, or in CI (where a missing tool then fails loudly with NN701). */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => findTool(t) === null);
  if (missing.length === 0 || IN_CI) return true;
  process.stderr.write(`cosim: skipping tests that need ${missing.join(', ')} (not on PATH; install: apt-get install -y iverilog verilator yosys nextpnr-ice40)\n`);
  return false;
}

/** True when the @yowasp/yosys tests should run: the optional npm package is installed, or in CI (where its absence then fails with NN701). */
export function haveYowasp(): boolean {
  if (findYowaspYosys() !== null || IN_CI) return true;
  process.stderr.write('cosim: skipping tests that need @yowasp/yosys (not installed; npm install installs it as an optional dependency)\n');
  return false;
}

/** One build serves every program up to these sizes (only the mem/ images change between programs). */
export const CAPACITY: Capacity = { progDepth: 8192, dramBytes: 1 << 16, tokenBits: 16, inputBytes: 4096, outputBytes: 4096, inputRows: 256, outputRows: 256, pooling: true, tables: true, shifts: true, chains: true };

/** The array shapes of the issue, each with a different DRAM / queue corner so the builds cover them. */
export const SHAPES: readonly Partial<ArrayConfig>[] = [
  { rows: 1, cols: 1, dramBytesPerCycle: 1, dramLatency: 0, queueDepth: 1, thresholdPasses: 16 },
  { rows: 2, cols: 2, dramBytesPerCycle: 2, dramLatency: 3, queueDepth: 2, thresholdPasses: 4 },
  { rows: 4, cols: 4, thresholdPasses: 16 },
  { rows: 8, cols: 8, dramBytesPerCycle: 16, dramLatency: 5, queueDepth: 4 },
  { rows: 4, cols: 8, dramBytesPerCycle: 3, dramLatency: 1, queueDepth: 3, thresholdPasses: 2 },
];

export const shapeName = (s: Partial<ArrayConfig>): string =>
  `${s.rows}x${s.cols}${s.dramBytesPerCycle === undefined ? '' : ` bw${s.dramBytesPerCycle} lat${s.dramLatency} q${s.queueDepth}`}${s.thresholdPasses === undefined ? '' : ` tp${s.thresholdPasses}`}${s.accBanks === undefined ? '' : ` banks${s.accBanks}`}`;

/** The RTL must compute what interpret() computes, in exactly scheduleTimes().cycles, with a passing test bench. */
export function expectExact(p: Program, inputs: readonly Int8Array[], runs: readonly SampleRun[], what: string): void {
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  expect(runs.length).toBe(inputs.length);
  runs.forEach((run, i) => {
    expect(Array.from(run.raw), `${what}: outputs of sample ${i}`).toEqual(Array.from(interpret(p, inputs[i]!)));
    expect(run.cycles, `${what}: cycles of sample ${i}`).toBe(cycles);
    expect(run.passed, `${what}: test bench verdict of sample ${i}\n${run.log}`).toBe(true);
  });
}

/** Builds `p` in `simulator` and runs two random inputs (drawn from `seed`) through expectExact. */
export async function expectRtlExact(p: Program, simulator: 'iverilog' | 'verilator', seed: number, what: string): Promise<void> {
  const sim = await buildRtlSim(p, { simulator, capacity: CAPACITY });
  try {
    const r = rng(seed);
    const inputs = [0, 1].map(() => Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128));
    expectExact(p, inputs, await sim.run(p, inputs), what);
  } finally {
    sim.dispose();
  }
}

/**
 * Builds shared by the programs of one file: a program whose emitted design (rtl/ and tb/ with
 * `capacity`, the only files a build depends on) equals an earlier one's runs on that build, so
 * programs that differ only in what the memory images hold (a sweep's bandwidths past the clamped
 * DRAM beat, several models on one machine) compile each distinct design once. `exact` is
 * expectRtlExact on the shared build; call `dispose` in afterAll.
 */
export interface SharedRtlSims {
  build(p: Program, simulator: 'iverilog' | 'verilator'): Promise<RtlSim>;
  exact(p: Program, simulator: 'iverilog' | 'verilator', seed: number, what: string): Promise<void>;
  /** Distinct builds so far. */
  builds(): number;
  dispose(): void;
}

export function sharedRtlSims(capacity: Capacity = CAPACITY): SharedRtlSims {
  const sims = new Map<string, Promise<RtlSim>>();
  const designOf = (p: Program): string =>
    JSON.stringify([...emitVerilog(p, { target: 'generic', capacity })].filter(([path]) => path.startsWith('rtl/') || path.startsWith('tb/')));
  const build = (p: Program, simulator: 'iverilog' | 'verilator'): Promise<RtlSim> => {
    const key = `${simulator}\n${designOf(p)}`;
    let sim = sims.get(key);
    if (sim === undefined) {
      sim = buildRtlSim(p, { simulator, capacity });
      sims.set(key, sim);
    }
    return sim;
  };
  return {
    build,
    async exact(p, simulator, seed, what) {
      const r = rng(seed);
      const inputs = [0, 1].map(() => Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128));
      expectExact(p, inputs, await (await build(p, simulator)).run(p, inputs), what);
    },
    builds: () => sims.size,
    dispose() {
      for (const sim of sims.values()) void sim.then((s) => s.dispose(), () => undefined);
    },
  };
}

/**
 * The design the synthesis tests build: a small 16→12→6 MLP on a side×side array with small
 * buffers and queues, so the figures are the core's logic, not storage. thresholdPasses defaults
 * to 4·side: one threshold lane multiplying in 4-bit steps, the unit an iCE40 fits.
 */
export function synthProgram(side: number, thresholdPasses = 4 * side): Program {
  const config: Partial<ArrayConfig> = { rows: side, cols: side, actDepth: 64, wgtDepth: 4 * side, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 2, thresholdPasses };
  return compileGraph(randomMlp([16, 12, 6], 5), randomSamples(8, 16, 6), config);
}
