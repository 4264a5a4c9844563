// SPDX-License-Identifier: MIT
/**
 * Chaining (docs/hardware.md "Chaining: a matmul streams behind its load"): a matmul with `chain`
 * set takes its load's token once the load has written its first row (timing.ts chainedTokenAt),
 * so nothing but the schedule keeps its stream behind the DMA. The race check (ordering.ts) leaves
 * the load unordered with what follows that token and hands each such pair that touches one entry
 * here, where the exact schedule must show the load's write of every shared entry coming first.
 */
import type { ArrayConfig } from './config.js';
import { loadRowWrittenAt } from './ops/load.js';
import { matmulAccLead } from './ops/matmul.js';
import { loadBufferOf, matmulActRow, type Instruction, type InstructionOf } from './spec.js';
import { scheduleArrays, type ScheduleArrays } from './timing.js';

/**
 * The first problem of the pairs (x, y) of instructions the race check found ordered only through
 * a chained token (x before y in program order, flat pairs), or null. Each y must start once x has
 * ended, or be a matmul after a load x that touches every entry x writes after x wrote it.
 */
export function chainProblem(insns: readonly Instruction[], cfg: ArrayConfig, pairs: readonly number[]): string | null {
  const s = scheduleArrays(insns, cfg);
  for (let k = 0; k < pairs.length; k += 2) {
    const problem = pairProblem(insns, cfg, s, pairs[k]!, pairs[k + 1]!);
    if (problem !== null) return problem;
  }
  return null;
}

/** Why instruction y may not follow x through a chained token under schedule `s`, or null. */
export function pairProblem(insns: readonly Instruction[], cfg: ArrayConfig, s: ScheduleArrays, x: number, y: number): string | null {
  // y starts once x has ended: every write of x has landed (a threshold after the matmuls it waits for)
  if (s.start[y]! >= s.end[x]!) return null;
  const [a, b] = [insns[x]!, insns[y]!];
  if (a.op !== 'load' || b.op !== 'matmul') return `instructions ${x} (${a.op}) and ${y} (${b.op}) touch the same memory, ordered only by a chained token (which orders a load's buffer writes before a matmul's reads)`;
  const early = earlyAccess(a, s.start[x]!, b, s.start[y]!, cfg);
  return early === null ? null : `matmul ${y} touches ${loadBufferOf(a.buf)} entry ${early.entry} at cycle ${early.at}, before load ${x} writes it (cycle ${early.written}): a chained token does not order them`;
}

/** The first access of matmul `mm` (started at `sm`) to an entry `ld` (started at `sl`) writes, at or before that write; null if none. */
function earlyAccess(ld: InstructionOf<'load'>, sl: number, mm: InstructionOf<'matmul'>, sm: number, cfg: ArrayConfig): { entry: number; at: number; written: number } | null {
  const R = cfg.rows;
  const check = (entry: number, at: number): { entry: number; at: number; written: number } | null => {
    const w = entry - ld.sram;
    if (w < 0 || w >= ld.rows) return null;
    const written = sl + loadRowWrittenAt(ld, w, cfg);
    return at <= written ? { entry, at, written } : null;
  };
  let found: ReturnType<typeof check> = null;
  switch (loadBufferOf(ld.buf)) {
    case 'wgt': // the tile's preload: entry wgt + t in cycle t
      for (let t = 0; t < R && found === null; t++) found = check(mm.wgt + t, sm + t);
      return found;
    case 'act': // the stream: row m's entry in cycle R + m
      for (let m = 0; m < mm.rows && found === null; m++) found = check(matmulActRow(mm, m), sm + R + m);
      return found;
    case 'acc': // row n's acc entry read a cycle before its sums arrive (matmulAccLead + n: accumulate, or the bias row), then written
      for (let n = 0; n < mm.rows && found === null; n++) found = check(mm.acc + n, sm + matmulAccLead(cfg) + n);
      return found;
    case 'qnt':
      return null;
  }
}
