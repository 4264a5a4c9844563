// SPDX-License-Identifier: MIT
/**
 * `threshold`: acc rows → int8 out rows, the only nonlinearity. Two modes: requantize + clamp
 * (steps = 0, ReLU family; or pooling: the max over a window of acc rows first, its geometry in
 * steps) and the step table (steps ≥ 1 without pooling, any function of one accumulator value).
 */
import { clamp, HALF_POW2, INVERSE_POW2, requantizeWith, tableStep } from '../numerics.js';
import { FORMATS } from '../spec.js';
import type { InstructionOf } from '../spec.js';
import type { OpDef } from './types.js';

/** Scratch of execute(): each lane's requantize terms, and the acc offsets of one out row's window taps. */
const scratch = { mult: new Float64Array(0), half: new Float64Array(0), inverse: new Float64Array(0), taps: new Int32Array(1) };
function thresholdScratch(C: number, window: number): typeof scratch {
  if (scratch.mult.length < C) Object.assign(scratch, { mult: new Float64Array(C), half: new Float64Array(C), inverse: new Float64Array(C) });
  if (scratch.taps.length < window) scratch.taps = new Int32Array(window);
  return scratch;
}

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
    '  steps = 0 or pooling (requantize mode): for m in 0..rows-1, c in 0..C-1:',
    '    {mult, shift} = qnt[qnt][c]',
    '    out[out + m][c] ← clamp(requantize(acc[acc + m][c], mult, shift) + zp, lo, hi)',
    '  steps ≥ 1, no pooling (table mode): for m in 0..rows-1, c in 0..C-1:',
    '    y ← 0; for i in 0..steps-1: if acc[acc + m][c] ≥ acc[table + 2i][c] then y ← acc[table + 2i + 1][c]',
    '    out[out + m][c] ← y mod 2^8 (as int8)',
    '  pooling (kh = poolH + 1, kw = poolW + 1, kh·kw > 1: requantize mode whatever steps holds;',
    '    steps holds the window geometry: overlaps oh = steps[2:0], ow = steps[5:3], pads pt = steps[7:6],',
    '    pl = steps[9:8]; strides sh = kh − oh, sw = kw − ow; L = table, pw = (L + pl − kw) div sw + 1):',
    '    out row m is pooled pixel (py, px) = (m div pw, m mod pw); acc[acc + m] above reads',
    '    max over ky < kh, kx < kw of acc[acc + max(0, py·sh + ky − pt)·L + max(0, px·sw + kx − pl)][c]',
    '    (a tap in the top or left padding reads the edge entry: a duplicate, which leaves the max unchanged)',
    'requantize is defined in isa/numerics.ts (round half up: (x·mult + 2^(shift-1)) >> shift).',
  ].join('\n'),
  execute(s, insn, cfg) {
    const C = cfg.cols;
    const { acc, out, qntMult, qntShift } = s;
    // fields read once: instructions differ in shape by opcode, so reads inside the loops would be megamorphic
    const { acc: acc0, out: out0, qnt, table, zp, lo, hi, rows } = insn;
    const steps = tableSteps(insn);
    if (steps > 0) {
      for (let m = 0; m < rows; m++) for (let c = 0, o = (out0 + m) * C; c < C; c++) out[o + c] = tableStep(acc[(acc0 + m) * C + c]!, acc, table * C + c, C, steps);
      return;
    }
    // requantize mode: numerics.ts `threshold` per lane, clamp(requantize(x, mult, shift) + zp, lo, hi),
    // with each lane's {mult, 2^(shift-1), 2^-shift} read once per instruction (one qnt entry serves every row)
    const pool = poolOf(insn);
    const W = pool === null ? 1 : pool.kh * pool.kw;
    const { mult, half, inverse, taps } = thresholdScratch(C, W);
    for (let c = 0, q = qnt * C; c < C; c++, q++) {
      mult[c] = qntMult[q]!;
      half[c] = HALF_POW2[qntShift[q]!]!;
      inverse[c] = INVERSE_POW2[qntShift[q]!]!;
    }
    for (let m = 0; m < rows; m++) {
      const o = (out0 + m) * C;
      if (pool === null) taps[0] = (acc0 + m) * C;
      else for (let ky = 0, k = 0; ky < pool.kh; ky++) for (let kx = 0; kx < pool.kw; kx++, k++) taps[k] = (acc0 + poolRow(pool, m, ky, kx)) * C;
      for (let c = 0; c < C; c++) {
        // the max over the window's taps (the semantics' max over ky, kx): the acc row itself without pooling
        let x = acc[taps[0]! + c]!;
        for (let k = 1; k < W; k++) {
          const v = acc[taps[k]! + c]!;
          if (v > x) x = v;
        }
        out[o + c] = clamp(requantizeWith(x, mult[c]!, half[c]!, inverse[c]!) + zp, lo, hi);
      }
    }
  },
  accesses: (insn) => [
    { space: 'acc', write: false, start: insn.acc, end: insn.acc + accRowsRead(insn) },
    tableSteps(insn) > 0 ? { space: 'acc', write: false, start: insn.table, end: insn.table + 2 * insn.steps } : { space: 'qnt', write: false, start: insn.qnt, end: insn.qnt + 1 },
    { space: 'out', write: true, start: insn.out, end: insn.out + insn.rows },
  ],
  duration: (insn, cfg) => thresholdCycles(insn.rows, tableSteps(insn), cfg.thresholdPasses, poolReads(insn)),
  count(insn, _cfg, t) {
    t.sramReads.acc += insn.rows * (poolReads(insn) + 2 * tableSteps(insn)); // table mode: every row walks the whole table
    if (tableSteps(insn) === 0) t.sramReads.qnt += 1; // one {mult, shift} entry serves every row
    t.sramWrites.out += insn.rows;
  },
};

/**
 * Whether a matmul right after this threshold may start before it completes (timing.ts): in
 * requantize mode (pooling too) the unit knows its cycles left from its start + THRESHOLD_TAIL_FROM
 * on, and has read its last acc row THRESHOLD_LATENCY cycles before it completes. Table mode keeps
 * the unit simple (its table walk is a second sequencer): the matmul waits for its completion.
 */
export function thresholdLetsMatmulIn(insn: InstructionOf<'threshold'>): boolean {
  return tableSteps(insn) === 0;
}

/** Cycles after its start from which a requantize-mode threshold counts its cycles left (its first cycle multiplies rows by beats per row). */
export const THRESHOLD_TAIL_FROM = 2;

/**
 * Requantize mode: thresholdPasses beats per acc row (cols / thresholdPasses lanes), then the
 * pipeline drains. Table mode: per row, one beat for the acc row, then two per step (its
 * threshold entry, then its code entry, from the single-ported acc buffer); all lanes compare at once.
 * Pooling, W = the acc rows read per window (poolReads: kh·kw, or fewer when the window takes its
 * first columns' maximum from the window before it): W − 1 beats read the window's first rows into
 * a running maximum, then the passes beats of its last row requantize max(running, last row).
 */
export function thresholdCycles(rows: number, steps: number, passes: number, window = 1): number {
  return rows * thresholdBeatsPerRow(steps, passes, window) + THRESHOLD_LATENCY;
}

/** Beats per out row: window − 1 + thresholdPasses in requantize mode; the row, then 2·steps table entries, in table mode. */
export function thresholdBeatsPerRow(steps: number, passes: number, window = 1): number {
  return steps > 0 ? 1 + 2 * steps : window - 1 + passes;
}

/**
 * A pooling threshold's window: kh × kw acc rows, sh lines and sw entries between neighbouring
 * windows, the first window starting padTop lines above and padLeft entries left of the first acc
 * row (the padding clamps to the edge); lines L entries apart, pw pooled pixels per line.
 */
export interface PoolWindow {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly line: number;
  readonly pw: number;
}

/**
 * Pooling's window geometry in the `steps` field, which requantize mode leaves unused (the 128-bit
 * threshold word has no other room): each field's bit offset and width. All zeros is a window that
 * tiles its input (stride = window, no padding), as before the field carried it.
 */
export const POOL_GEOMETRY = { overlapH: [0, 3], overlapW: [3, 3], padTop: [6, 2], padLeft: [8, 2] } as const satisfies Record<string, readonly [number, number]>;
export type PoolGeometry = { readonly [K in keyof typeof POOL_GEOMETRY]: number };

/** The `steps` value of a pooling window's geometry (each part must fit its width: fuse-ops.ts checks). */
export function encodePoolGeometry(g: PoolGeometry): number {
  return (Object.keys(POOL_GEOMETRY) as (keyof PoolGeometry)[]).reduce((a, k) => a | (g[k] << POOL_GEOMETRY[k][0]), 0);
}

function decodePoolGeometry(steps: number): PoolGeometry {
  const part = (k: keyof PoolGeometry): number => (steps >> POOL_GEOMETRY[k][0]) & ((1 << POOL_GEOMETRY[k][1]) - 1);
  return { overlapH: part('overlapH'), overlapW: part('overlapW'), padTop: part('padTop'), padLeft: part('padLeft') };
}

/** Whether the threshold pools (poolH or poolW ≠ 0): requantize mode, its `steps` field the window geometry. */
export function pools(insn: InstructionOf<'threshold'>): boolean {
  return insn.poolH !== 0 || insn.poolW !== 0;
}

/** The step count of a table-mode threshold; 0 in requantize mode (a pooling threshold's `steps` is its geometry). */
export function tableSteps(insn: InstructionOf<'threshold'>): number {
  return pools(insn) ? 0 : insn.steps;
}

/** The instruction's pooling window, or null (no pooling: 1 × 1). */
export function poolOf(insn: InstructionOf<'threshold'>): PoolWindow | null {
  if (!pools(insn)) return null;
  const g = decodePoolGeometry(insn.steps);
  const [kh, kw] = [insn.poolH + 1, insn.poolW + 1];
  const [sh, sw] = [kh - g.overlapH, kw - g.overlapW];
  const pw = sw < 1 ? 0 : Math.max(0, pooledCount(insn.table, kw, sw, g.padLeft));
  return { kh, kw, sh, sw, padTop: g.padTop, padLeft: g.padLeft, line: insn.table, pw };
}

/** Windows of `window` along `n` entries, `stride` apart, the first `pad` entries before entry 0: every window ends inside. */
export function pooledCount(n: number, window: number, stride: number, pad: number): number {
  return Math.floor((n + pad - window) / stride) + 1;
}

/** Why a pooling threshold's window cannot be walked (a stride below 1, no whole window in a line), or null. */
export function poolWindowError(insn: InstructionOf<'threshold'>): string | null {
  const p = poolOf(insn);
  if (p === null) return null;
  if (p.sh < 1 || p.sw < 1) return `pools ${p.kh}x${p.kw} windows with stride ${p.sh}x${p.sw} (the overlap must be less than the window)`;
  if (p.padTop >= p.kh || p.padLeft >= p.kw) return `pools ${p.kh}x${p.kw} windows with padding ${p.padTop} above and ${p.padLeft} left (a window must reach into the map)`;
  if (p.line < 1 || p.pw < 1) return `pools ${p.kh}x${p.kw} windows over lines of ${p.line} acc entries, ${p.padLeft} padded (a line must hold a window)`;
  return null;
}

/**
 * Columns of a pooling window the unit takes from the window before it instead of reading them
 * again: the overlap ow = kw − sw when the last ow columns of a window are all read after its first
 * ow (ow ≤ sw), so one register per lane holds their maximum (the window's "tail"); when each line's
 * first window has only padding there (pl ≥ ow: those taps read entry 0, which the window reads
 * anyway); and when a window keeps at least two taps to read. 0 otherwise (every tap is read):
 * ResNet's 3×3/2 pool with padding 1 reuses 1, reading 6 taps a window instead of 9.
 */
export function reusedColumns(kh: number, kw: number, sw: number, padLeft: number): number {
  const ow = kw - sw;
  return ow >= 1 && ow <= sw && padLeft >= ow && kh * (kw - ow) >= 2 ? ow : 0;
}

/** The columns of each window the instruction reads: its window's kw less those reused (reusedColumns). */
export function readColumns(p: PoolWindow): number {
  return p.kw - reusedColumns(p.kh, p.kw, p.sw, p.padLeft);
}

/** Acc rows read per window of kh × kw, sw apart, padLeft left of the line: kh × its read columns (the tile estimate asks before any instruction exists). */
export function windowReads(kh: number, kw: number, sw: number, padLeft: number): number {
  return kh * (kw - reusedColumns(kh, kw, sw, padLeft));
}

/** Acc rows the unit reads for each out row: windowReads when pooling, else 1. */
export function poolReads(insn: InstructionOf<'threshold'>): number {
  const p = poolOf(insn);
  return p === null ? 1 : windowReads(p.kh, p.kw, p.sw, p.padLeft);
}

/**
 * Acc entry (offset from the instruction's acc) of out row m's k-th read, k < kh·readColumns: the
 * window's taps row by row, each row from its first read column (ky = k div c, kx = kw − c + k mod c).
 */
export function poolReadRow(p: PoolWindow, m: number, k: number): number {
  const c = readColumns(p);
  return poolRow(p, m, Math.floor(k / c), p.kw - c + (k % c));
}

/** Whether out row m's k-th read (poolReadRow) is a tap of its window's tail: one the next window takes, not reads. */
export function poolReadIsTail(p: PoolWindow, k: number): boolean {
  const c = readColumns(p);
  return c < p.kw && p.kw - c + (k % c) >= p.sw;
}

/** Acc entry of tap (ky, kx) of out row m's window (offset from the instruction's acc); padding taps read the edge. */
export function poolRow(p: PoolWindow, m: number, ky: number, kx: number): number {
  const y = Math.max(0, Math.floor(m / p.pw) * p.sh + ky - p.padTop);
  const x = Math.max(0, (m % p.pw) * p.sw + kx - p.padLeft);
  return y * p.line + x;
}

/** Acc entries from `acc` on that the instruction reads (up to its last window's last line when pooling). */
function accRowsRead(insn: InstructionOf<'threshold'>): number {
  const p = poolOf(insn);
  if (p === null) return insn.rows;
  if (p.pw < 1) return 1;
  return (Math.max(0, Math.floor((insn.rows - 1) / p.pw) * p.sh + p.kh - p.padTop - 1) + 1) * p.line;
}
