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
import type { Program } from '../src/isa/program.js';
import type { Plan } from './plan.js';

/** Input codes → output codes, as interpret() computes them; built once per program. */
export type CompiledProgram = (inputCodes: Int8Array) => Int8Array;
export type CompiledProgramFactory = (program: Program) => CompiledProgram;

/**
 * When building pays (ski rental: run the machine until it has cost about what a build costs,
 * then build): a program's first fast runs use the event-driven machine, this many of them, the
 * build's estimated cost over one machine run's, and never fewer than MIN_MACHINE_RUNS (the first
 * run is always the machine's, so prove()'s step-mode check compares step mode with it). The
 * estimates are bench/issue17.mjs's Verilator rows and the ResNet-18 `sim` row on a 2-core
 * machine: a build costs ~30 µs per instruction (the digits models 80–400 ms, ResNet-18 on
 * 256×256 ~1.7 s), a machine run ~0.4 µs per instruction plus its real MACs at ~7.5 G/s. Wrong
 * estimates cost time only: either path computes the same values.
 */
const BUILD_US_PER_INSTRUCTION = 30;
const MACHINE_US_PER_INSTRUCTION = 0.4;
const MACHINE_MACS_PER_US = 7500;
export const MIN_MACHINE_RUNS = 4;

export function machineRunsBeforeCompiling(p: Program): number {
  const n = p.instructions.length;
  const macs = p.layers.reduce((a, l) => a + l.macs, 0);
  const run = MACHINE_US_PER_INSTRUCTION * n + macs / MACHINE_MACS_PER_US;
  return Math.max(MIN_MACHINE_RUNS, Math.ceil((BUILD_US_PER_INSTRUCTION * n) / run));
}

interface Compiled {
  /** null until asked: checkOrdering found no race. */
  raceFree: boolean | null;
  /** Per factory: machine runs so far, then the compiled program (or Infinity: it could not be built). */
  readonly by: Map<CompiledProgramFactory, number | CompiledProgram>;
}

const cache = new WeakMap<Plan, Compiled>();

/** The compiled program to take this run's values from, or null for the machine (counts the run). */
export function compiledFor(plan: Plan, factory: CompiledProgramFactory): CompiledProgram | null {
  let c = cache.get(plan);
  if (c === undefined) cache.set(plan, (c = { raceFree: null, by: new Map() }));
  const got = c.by.get(factory) ?? 0;
  if (typeof got === 'function') return got;
  if (got === Infinity) return null;
  c.by.set(factory, got + 1);
  if (got < machineRunsBeforeCompiling(plan.program)) return null;
  c.raceFree ??= checkOrdering(plan.program.instructions, plan.program.config) === null;
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
