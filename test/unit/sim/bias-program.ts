/**
 * Random programs with bias matmuls for the simulator tests: the random programs of
 * test/unit/backends/wasm/random-program.ts with some matmuls turned into bias ones (most
 * overwriting ones, some accumulating ones, so later matmuls of a chain accumulate on top), two
 * dumps of every acc entry through thresholds at the end, and the whole DRAM as the output: a run's
 * output then shows every DRAM byte and (requantized) every acc entry, not only the program's
 * output tensor. Tokens are inserted by the scheduler, as test/helpers/scheduled-program.ts does.
 */
import { checkProgram } from '../../../src/isa/interpret.js';
import type { Program } from '../../../src/isa/program.js';
import { NO_TOKENS, type Instruction } from '../../../src/isa/spec.js';
import { hoistLoads, insertTokens } from '../../../src/passes/schedule.js';
import { randomProgram } from '../backends/wasm/random-program.js';
import { rng } from '../../helpers/random-graph.js';

/** randomProgram's buffer depth (acc and out entries). */
const DEPTH = 24;

/** Some of the matmuls made bias matmuls (rng `r`); the rest as they were. */
export function withBiasMatmuls(insns: readonly Instruction[], r: () => number): Instruction[] {
  return insns.map((insn) => {
    if (insn.op !== 'matmul') return insn;
    const bias = insn.accumulate ? r() < 0.25 : r() < 0.6;
    return bias ? { ...insn, accumulate: 0, bias: 1 } : insn;
  });
}

/** Thresholds of every acc entry (qnt entries 0 and 3) stored at `dram`, 2·DEPTH rows of C bytes. */
function accDumps(dram: number, C: number): Instruction[] {
  return [0, 3].flatMap((qnt, k): Instruction[] => [
    { op: 'threshold', ...NO_TOKENS, acc: 0, out: 0, qnt, rows: DEPTH, zp: 0, lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 },
    { op: 'store', ...NO_TOKENS, sram: 0, rows: DEPTH, dram: dram + k * DEPTH * C, stride: C },
  ]);
}

export function biasRandomProgram(seed: number, queueDepth: number, dramLatency?: number): { p: Program; x: Int8Array } {
  const raw = randomProgram(seed, undefined, { tables: true });
  const r = rng(seed ^ 0x5eed);
  const C = raw.config.cols;
  const config = { ...raw.config, queueDepth, ...(dramLatency === undefined ? {} : { dramLatency }) };
  const body = withBiasMatmuls(raw.instructions, r).filter((i) => i.op !== 'halt');
  const list = [...body, ...accDumps(raw.dramSize, C)].map((insn) => ({ insn: { ...insn, ...NO_TOKENS }, layer: 0 }));
  const dramSize = raw.dramSize + 2 * DEPTH * C;
  const tagged = insertTokens(hoistLoads(list, config), config, [{ space: 'dram', name: 'all', start: 0, size: dramSize }]);
  const instructions = tagged.map((t) => t.insn); // insertTokens appends the halt
  const p: Program = {
    ...raw,
    config,
    dramSize,
    instructions,
    insnLayer: instructions.map(() => 0),
    outputs: [{ name: 'dram', shape: [dramSize], dram: 0, rows: 1, rowBytes: dramSize, rowStride: dramSize, scale: 1, zp: 0 }],
  };
  const problem = checkProgram(p);
  if (problem !== null) throw new Error(`seed ${seed}: ${problem}`);
  return { p, x: Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128) };
}
