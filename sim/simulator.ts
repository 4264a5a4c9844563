// SPDX-License-Identifier: MIT
/**
 * simulatorWith(): simulate() given its step mode (sim/simulate.ts passes sim/step.ts's). A caller
 * that never steps (the CLI's one fast inference) passes null and does not load the register-level
 * machine and its modules (about 15 ms of a small `nnchip sim`).
 */
import { internal, NnchipError } from '../src/diagnostics/error.js';
import { tensorSize, type Program } from '../src/isa/program.js';
import { compiledFor, type CompiledProgramFactory } from './compiled-values.js';
import { fastFigures, runFast } from './fast.js';
import type { Int8GemmFactory } from './matmul-values.js';
import { planOf, type Plan } from './plan.js';
import { buildStats, peakBytesOf, type SimStats } from './stats.js';
import type { runStep } from './step.js';
import type { TraceKernels } from './trace.js';
import type { VcdSink } from './vcd.js';

export type SimMode = 'fast' | 'step';

export interface SimOptions {
  /** 'fast' (default): event-driven; 'step': every register, every cycle. Both give the same results. */
  readonly mode?: SimMode;
  /** Hash the memory-address trace (default true); false skips it for speed and gives traceHash null. */
  readonly trace?: boolean;
  /** Step mode only: receives the VCD text of the PE registers and the controller state. */
  readonly vcd?: VcdSink;
  /** Step mode only: called every few thousand cycles with (cycles done, total cycles). */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Fast mode only: the int8 GEMM that computes matmul sums (the CLI passes the WebAssembly SIMD
   * kernel, src/backends/wasm/gemm-module.ts). Default: plain JS (sim/matmul-values.ts). Either
   * gives the same values; the property tests check both against the reference interpreter.
   */
  readonly gemm?: Int8GemmFactory;
  /**
   * Fast mode only: compiles a program to a function from input codes to output codes (the CLI
   * passes the WebAssembly back end's). After a few runs of a program on the event-driven machine,
   * a program with no race (isa/ordering.ts) takes its values from it; timing, counters and trace
   * stay the program's cached figures (sim/compiled-values.ts says when and why).
   */
  readonly compiled?: CompiledProgramFactory;
  /**
   * Fast mode only: the trace pass's hot loops (a matmul's records, the records' sort) in another
   * implementation (the CLI passes WebAssembly ones, src/cli/trace-kernels.ts). Default: sim/trace.ts's
   * own. Either gives the same records, so the same hash (test/property/trace-kernels.test.ts).
   */
  readonly traceKernels?: TraceKernels;
}

export interface SimResult {
  readonly mode: SimMode;
  /** Output codes, as interpret() returns them. */
  readonly output: Int8Array;
  readonly cycles: number;
  readonly stats: SimStats;
  /** sha256 of the memory-address trace (see sim/trace.ts), or null when tracing was off. */
  readonly traceHash: string | null;
}

export type SimulateFn = (program: Program, inputCodes: Int8Array, opts?: SimOptions) => SimResult;

/** simulate() with step mode run by `step` (null: fast mode only; asking for step mode is then a wiring bug). */
export const simulatorWith = (step: typeof runStep | null): SimulateFn => (program, inputCodes, opts = {}) => {
  const plan = planOf(program);
  const n = tensorSize(program.input);
  if (inputCodes.length !== n) throw new NnchipError('NN303', `the input has ${inputCodes.length} codes; the program input ${JSON.stringify(program.input.shape)} needs ${n}`);
  const mode = opts.mode ?? 'fast';
  const trace = opts.trace ?? true;
  if (mode === 'fast' && opts.vcd !== undefined) throw new NnchipError('NN801', 'a VCD file needs the register-level mode (--mode step)');
  const compiled = mode === 'fast' && opts.compiled !== undefined ? compiledFor(plan, opts.compiled) : null;
  const raw =
    mode === 'step'
      ? stepOf(step)(plan, inputCodes, { trace, ...(opts.vcd ? { vcd: opts.vcd } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
      : compiled !== null
        ? { output: compiled(inputCodes), ...fastFigures(plan, trace, opts.traceKernels) }
        : runFast(plan, inputCodes, trace, opts.gemm ?? null, opts.traceKernels);
  const { rows, cols } = program.config;
  const build = (): SimStats => buildStats(program, raw.counters, raw.layerCycles, raw.cycles, peakBytesOf(rows, cols, raw.peakEntries));
  // fast mode's figures are the program's alone (sim/fast.ts): built once, shared (frozen) by every run
  let stats = mode === 'fast' ? fastStats.get(plan) : undefined;
  if (stats === undefined) {
    stats = build();
    if (mode === 'fast') fastStats.set(plan, deepFreeze(stats));
  }
  return { mode, output: raw.output, cycles: raw.cycles, stats, traceHash: raw.traceHash };
};

const fastStats = new WeakMap<Plan, SimStats>();

function stepOf(step: typeof runStep | null): typeof runStep {
  if (step === null) throw internal('step mode asked of a simulator built without it (simulatorWith(null))');
  return step;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}
