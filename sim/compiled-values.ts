// SPDX-License-Identifier: MIT
/**
 * Fast mode's values from the program compiled (the runtime, injected as SimOptions.compiled: sim/
 * may not import the back ends). Timing, counters and the trace are the program's alone (the
 * certificate proves it), and when isa/ordering.ts has found every pair of instructions that touch
 * one address ordered by tokens, the values cannot depend on the schedule: they are the reference
 * semantics, which the compiled program computes (test/property/sim-compiled.test.ts). A program
 * with a race keeps the event-driven machine, whose timed reads and commits show the race as
 * wrong values (test/property/sim-races.test.ts).
 */
import { checkOrdering } from '../src/isa/ordering.js';
import { wasValidated } from '../src/isa/interpret.js';
import type { Program } from '../src/isa/program.js';
import type { Plan } from './plan.js';

/** Input codes → output codes, as interpret() computes them; built once per program. */
export type CompiledProgram = (inputCodes: Int8Array) => Int8Array;
export type CompiledProgramFactory = (program: Program) => CompiledProgram;

/**
 * When building pays (ski rental: run the machine until the runs saved would have paid for the
 * build): a program's first fast runs use the event-driven machine, as many as the build's
 * estimated cost over what one compiled run saves against one machine run, never fewer than
 * MIN_MACHINE_RUNS (the first run is always the machine's, so prove()'s step-mode check compares
 * step mode with it), and all of them when the compiled run is not estimated faster. Estimates
 * (µs on a 2-core machine; bench/issue17.mjs's Verilator rows, ResNet-18 on 256×256):
 * - a build: 30 per instruction + 0.02 per constant byte (the digits models 50–400 ms; ResNet-18,
 *   3,565 instructions and 44 MB of constants, ~0.9 s);
 * - a machine run: 0.4 per instruction + the real MACs at 7.5 G/s (the GEMM skips all-zero
 *   weight rows and columns, so padding costs little);
 * - a compiled run: 0.03 per instruction + the array's MACs, padding included, at 30 G/s
 *   (ResNet-18 224×224: 19.2 G of them, ~0.6 s, more than a machine run's ~0.23 s: never builds).
 * Wrong estimates cost time only: either path computes the same values.
 */
const US = { buildPerInstruction: 30, buildPerConstantByte: 0.02, machinePerInstruction: 0.4, machineMacsPerUs: 7500, compiledPerInstruction: 0.03, compiledArrayMacsPerUs: 30_000 };
export const MIN_MACHINE_RUNS = 4;

export function machineRunsBeforeCompiling(p: Program): number {
  const n = p.instructions.length;
  const { rows: R, cols: C } = p.config;
  const macs = p.layers.reduce((a, l) => a + l.macs, 0);
  let arrayMacs = 0;
  for (const insn of p.instructions) if (insn.op === 'matmul') arrayMacs += insn.rows * R * C;
  const build = US.buildPerInstruction * n + US.buildPerConstantByte * p.constants.length;
  const saved = US.machinePerInstruction * n + macs / US.machineMacsPerUs - (US.compiledPerInstruction * n + arrayMacs / US.compiledArrayMacsPerUs);
  return saved <= 0 ? Infinity : Math.max(MIN_MACHINE_RUNS, Math.ceil(build / saved));
}

interface Compiled {
  /** machineRunsBeforeCompiling, once per program. */
  readonly after: number;
  /** null until asked: checkOrdering found no race. */
  raceFree: boolean | null;
  /** Per factory: machine runs so far, then the compiled program (or Infinity: it could not be built). */
  readonly by: Map<CompiledProgramFactory, number | CompiledProgram>;
}

const cache = new WeakMap<Plan, Compiled>();

/** The compiled program to take this run's values from, or null for the machine (counts the run). */
export function compiledFor(plan: Plan, factory: CompiledProgramFactory): CompiledProgram | null {
  let c = cache.get(plan);
  if (c === undefined) cache.set(plan, (c = { after: machineRunsBeforeCompiling(plan.program), raceFree: null, by: new Map() }));
  const got = c.by.get(factory) ?? 0;
  if (typeof got === 'function') return got;
  if (got === Infinity) return null;
  c.by.set(factory, got + 1);
  if (got < c.after) return null;
  // validateProgram ran the same race check on a program that cannot have changed since
  c.raceFree ??= wasValidated(plan.program) || checkOrdering(plan.program.instructions, plan.program.config) === null;
  if (!c.raceFree) return null;
  let built: CompiledProgram;
  try {
    built = factory(plan.program);
  } catch {
    // a program the machine runs but the factory cannot build (a module over 2 GiB, memory the
    // engine refuses) keeps the machine: it computes the same values, only slower
    c.by.set(factory, Infinity);
    return null;
  }
  c.by.set(factory, built);
  return built;
}
