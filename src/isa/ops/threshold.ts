// SPDX-License-Identifier: MIT
/**
 * `threshold`: acc rows → int8 out rows, the only nonlinearity. Two modes: requantize + clamp
 * (steps = 0, ReLU family; optionally the max over a pooling window of acc rows first) and the
 * step table (steps ≥ 1, any function of one accumulator value).
 */
import { threshold as thresholdValue, tableStep } from '../numerics.js';
import { FORMATS } from '../spec.js';
import type { InstructionOf } from '../spec.js';
import type { OpDef } from './types.js';

/** Pipeline depth of the threshold unit after a row's last beat: operand select, multiply, accumulate, round + clamp + out write. */
export const THRESHOLD_LATENCY = 4;

/**
 * Table mode reuses the acc buffer for its table (no new buffer, no new load target): step i is
 * two acc entries, thresholds t_i at table + 2i and codes k_i at table + 2i + 1, one lane per
 * column, so one table serves per-channel functions (PReLU) as well as per-layer ones. The unit
 * walks the steps in order with one comparator per lane: out ← k_i whenever acc ≥ t_i. A sorted
 * table makes that "the code of the last threshold ≤ acc"; per-step codes cover non-monotone
 * functions (GELU, SiLU, hard-swish dip, then rise). A linear walk needs no per-lane addressing
 * (a binary search would need one table read port per lane), which keeps the unit narrow.
 */
export const threshold: OpDef<'threshold'> = {
  unit: 'compute',
  fields: FORMATS.threshold,
  semantics: [
    '  steps = 0 (requantize mode): for m in 0..rows-1, c in 0..C-1:',
    '    {mult, shift} = qnt[qnt][c]',
    '    out[out + m][c] ← clamp(requantize(acc[acc + m][c], mult, shift) + zp, lo, hi)',
    '  steps ≥ 1 (table mode): for m in 0..rows-1, c in 0..C-1:',
    '    y ← 0; for i in 0..steps-1: if acc[acc + m][c] ≥ acc[table + 2i][c] then y ← acc[table + 2i + 1][c]',
    '    out[out + m][c] ← y mod 2^8 (as int8)',
    '  pooling (steps = 0, kh = poolH + 1, kw = poolW + 1, kh·kw > 1; L = table, pw = L / kw):',
    '    out row m is pooled pixel (py, px) = (m div pw, m mod pw); acc[acc + m] above reads',
    '    max over ky < kh, kx < kw of acc[acc + (py·kh + ky)·L + px·kw + kx][c]',
    'requantize is defined in isa/numerics.ts (round half up: (x·mult + 2^(shift-1)) >> shift).',
  ].join('\n'),
  execute(s, insn, cfg) {
    const C = cfg.cols;
    const { acc, out, qntMult, qntShift } = s;
    // fields read once: instructions differ in shape by opcode, so reads inside the loops would be megamorphic
    const { acc: acc0, out: out0, qnt, table, steps, zp, lo, hi, rows } = insn;
    const pool = poolOf(insn);
    // the mode and the pooling are per instruction: chosen once, not per element
    for (let m = 0; m < rows; m++) {
      const o = (out0 + m) * C;
      if (steps > 0) for (let c = 0; c < C; c++) out[o + c] = tableStep(acc[(acc0 + m) * C + c]!, acc, table * C + c, C, steps);
      else if (pool === null) for (let c = 0, q = qnt * C; c < C; c++, q++) out[o + c] = thresholdValue(acc[(acc0 + m) * C + c]!, qntMult[q]!, qntShift[q]!, zp, lo, hi);
      else for (let c = 0, q = qnt * C; c < C; c++, q++) out[o + c] = thresholdValue(pooledMax(acc, C, acc0, pool, m, c), qntMult[q]!, qntShift[q]!, zp, lo, hi);
    }
  },
  accesses: (insn) => [
    { space: 'acc', write: false, start: insn.acc, end: insn.acc + accRowsRead(insn) },
    insn.steps > 0 ? { space: 'acc', write: false, start: insn.table, end: insn.table + 2 * insn.steps } : { space: 'qnt', write: false, start: insn.qnt, end: insn.qnt + 1 },
    { space: 'out', write: true, start: insn.out, end: insn.out + insn.rows },
  ],
  duration: (insn, cfg) => thresholdCycles(insn.rows, insn.steps, cfg.thresholdPasses, poolSize(insn)),
  count(insn, _cfg, t) {
    t.sramReads.acc += insn.rows * (poolSize(insn) + 2 * insn.steps); // table mode: every row walks the whole table
    if (insn.steps === 0) t.sramReads.qnt += 1; // one {mult, shift} entry serves every row
    t.sramWrites.out += insn.rows;
  },
};

/**
 * Requantize mode: thresholdPasses beats per acc row (cols / thresholdPasses lanes), then the
 * pipeline drains. Table mode: per row, one beat for the acc row, then two per step (its
 * threshold entry, then its code entry, from the single-ported acc buffer); all lanes compare at once.
 * Pooling over W = kh·kw acc rows: W − 1 beats read the window's first rows into a running
 * maximum, then the passes beats of its last row requantize max(running, last row).
 */
export function thresholdCycles(rows: number, steps: number, passes: number, window = 1): number {
  return rows * thresholdBeatsPerRow(steps, passes, window) + THRESHOLD_LATENCY;
}

/** Beats per out row: window − 1 + thresholdPasses in requantize mode; the row, then 2·steps table entries, in table mode. */
export function thresholdBeatsPerRow(steps: number, passes: number, window = 1): number {
  return steps > 0 ? 1 + 2 * steps : window - 1 + passes;
}

/** A pooling threshold's window: kh × kw acc rows of lines L entries apart, pw pooled pixels per line. */
export interface PoolWindow {
  readonly kh: number;
  readonly kw: number;
  readonly line: number;
  readonly pw: number;
}

/** The instruction's pooling window, or null (no pooling: 1 × 1, or table mode). */
export function poolOf(insn: InstructionOf<'threshold'>): PoolWindow | null {
  if (insn.steps > 0 || (insn.poolH === 0 && insn.poolW === 0)) return null;
  const kw = insn.poolW + 1;
  return { kh: insn.poolH + 1, kw, line: insn.table, pw: Math.floor(insn.table / kw) };
}

/** Acc rows each out row reads: kh·kw when pooling, else 1. */
export function poolSize(insn: InstructionOf<'threshold'>): number {
  const p = poolOf(insn);
  return p === null ? 1 : p.kh * p.kw;
}

/** Acc entry of tap (ky, kx) of out row m's window (offset from the instruction's acc). */
export function poolRow(p: PoolWindow, m: number, ky: number, kx: number): number {
  return (Math.floor(m / p.pw) * p.kh + ky) * p.line + (m % p.pw) * p.kw + kx;
}

function pooledMax(acc: Int32Array, C: number, base: number, p: PoolWindow, m: number, c: number): number {
  let best = -Infinity;
  for (let ky = 0; ky < p.kh; ky++) for (let kx = 0; kx < p.kw; kx++) best = Math.max(best, acc[(base + poolRow(p, m, ky, kx)) * C + c]!);
  return best;
}

/** Acc entries from `acc` on that the instruction reads (its window's lines when pooling). */
function accRowsRead(insn: InstructionOf<'threshold'>): number {
  const p = poolOf(insn);
  return p === null ? insn.rows : p.pw === 0 ? 1 : (Math.floor((insn.rows - 1) / p.pw) + 1) * p.kh * p.line;
}
