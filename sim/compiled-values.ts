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
 * Fast runs of a program on the event-driven machine before its compiled form is built. Building
 * costs about as much as a few machine runs (both grow with the instruction count: ResNet-18 on
 * 256×256 builds in ~1.7 s, one machine run takes ~0.3 s warm), and a compiled run costs a small
 * fraction of a machine run; so one inference (`nnchip sim`) never builds it, and many
 * (`--prove`, `--input` with several samples, `run --backend sim`) pay for it after a few. The
 * first run is always the machine's, so prove()'s step-mode check compares step with the machine.
 */
export const MACHINE_RUNS_BEFORE_COMPILING = 4;

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
  if (got < MACHINE_RUNS_BEFORE_COMPILING) return null;
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
