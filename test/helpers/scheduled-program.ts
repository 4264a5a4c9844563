/**
 * A random program the compiler would not emit (test/unit/backends/wasm/random-program.ts), its
 * tokens stripped and inserted again by the scheduler for the given queue depth and DRAM latency,
 * and a random input for it: the simulator's property tests run these.
 */
import type { Program } from '../../src/isa/program.js';
import { NO_TOKENS } from '../../src/isa/spec.js';
import { hoistLoads, insertTokens } from '../../src/passes/schedule.js';
import { randomProgram } from '../unit/backends/wasm/random-program.js';
import { rng } from './random-graph.js';

export function scheduledRandomProgram(seed: number, queueDepth: number, dramLatency?: number): { p: Program; x: Int8Array } {
  const raw = randomProgram(seed, undefined, { tables: true });
  const config = { ...raw.config, queueDepth, ...(dramLatency === undefined ? {} : { dramLatency }) };
  const list = raw.instructions.filter((i) => i.op !== 'halt').map((insn) => ({ insn: { ...insn, ...NO_TOKENS }, layer: 0 }));
  const whole = [{ space: 'dram' as const, name: 'all', start: 0, size: raw.dramSize }];
  const tagged = insertTokens(hoistLoads(list, config), config, whole);
  const p: Program = { ...raw, config, instructions: tagged.map((t) => t.insn), insnLayer: tagged.map(() => 0) };
  const r = rng(seed);
  return { p, x: Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128) };
}

/** An int8 value with the extremes and zero over-represented (sparse tiles, saturation, wrap-around). */
export const int8 = (r: () => number): number => {
  const u = r();
  return u < 0.1 ? -128 : u < 0.2 ? 127 : u < 0.5 ? 0 : Math.floor(r() * 256) - 128;
};
