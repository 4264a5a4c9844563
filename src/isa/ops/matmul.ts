// SPDX-License-Identifier: MIT
/** `matmul`: one weight-stationary fold of an R×C tile over `rows` input rows. */
import type { ArrayConfig } from '../config.js';
import { FORMATS, matmulActRow, type InstructionOf } from '../spec.js';
import type { OpDef } from './types.js';

/** One past the highest act entry a matmul reads (strides are unsigned, so it is at a run's end). */
function matmulActEnd(insn: InstructionOf<'matmul'>): number {
  const runs = Math.ceil(insn.rows / insn.inner);
  const last = matmulActRow(insn, insn.rows - 1);
  return 1 + (runs > 1 ? Math.max(last, matmulActRow(insn, (runs - 1) * insn.inner - 1)) : last);
}

/** Scratch of execute(), grown to the array: live lanes, the transposed tile, four rows of gathered act lanes, one row of C sums. */
const scratch = { lanes: new Int32Array(0), columns: new Int32Array(0), rows4: new Int8Array(0), x: new Int32Array(0) };
function scratchFor(R: number, C: number): typeof scratch {
  if (scratch.lanes.length < R || scratch.columns.length < R * C || scratch.x.length < C) Object.assign(scratch, { lanes: new Int32Array(R), columns: new Int32Array(R * C), rows4: new Int8Array(4 * R), x: new Int32Array(C) });
  return scratch;
}

/**
 * The weight tile's rows r < R with a nonzero lane (the others add nothing: edge-tile padding,
 * unused lanes) into `lanes`, and the tile transposed to columns of those rows into `columns`
 * (column c's weight of live row l at c·live + l); returns how many rows are live.
 */
function liveTile(wgt: Int8Array, wgt0: number, R: number, C: number): number {
  scratchFor(R, C);
  const { lanes, columns } = scratch;
  let live = 0;
  for (let r = 0; r < R; r++) {
    let any = false;
    for (let c = 0; c < C; c++) any ||= wgt[wgt0 + r * C + c] !== 0;
    if (any) lanes[live++] = r;
  }
  for (let c = 0; c < C; c++) for (let l = 0; l < live; l++) columns[c * live + l] = wgt[wgt0 + lanes[l]! * C + c]!;
  return live;
}

/**
 * How many of a matmul's acc rows it reads, from its first: every one when it accumulates, its
 * bias entry (row 0's read, held for the rest) when it starts from a bias, none when it overwrites.
 */
export const matmulAccReads = (insn: InstructionOf<'matmul'>): number => (insn.accumulate ? insn.rows : insn.bias ? 1 : 0);

/**
 * A bias matmul's start (bias = 1), in the flat acc lanes of a machine of C columns: entry acc as
 * found copied over its rows 1..rows−1, after which it accumulates — the same sums as starting every
 * row from that entry (those rows are all overwritten). A matmul without the bit: nothing.
 */
export function spreadBiasEntry(acc: Int32Array, insn: InstructionOf<'matmul'>, C: number): void {
  if (!insn.bias) return;
  const o = insn.acc * C;
  for (let m = 1; m < insn.rows; m++) acc.copyWithin(o + m * C, o, o + C);
}

/**
 * Cycles from a matmul's start to its first acc access: row 0's read, a cycle before its write at
 * 2R + C (docs/hardware.md). A threshold that has read its last acc row by then may still be running.
 */
export const matmulAccLead = (cfg: ArrayConfig): number => 2 * cfg.rows + cfg.cols - 1;

/** matmulAccLead as an expression over two names, the same in Verilog and JavaScript (nnchip_isa.vh's matmul_acc_lead). */
export const matmulAccLeadRule = (rows: string, cols: string): string => `2 * ${rows} + ${cols} - 1`;

/** Cycles from a matmul's start to its completion: R cycles weight preload + R-cycle row skew + rows streamed + C-cycle column skew/de-skew. */
export const matmulDuration = (rows: number, cfg: ArrayConfig): number => 2 * cfg.rows + cfg.cols + rows;

/** Cycles from one matmul's start to the next one's on the compute unit (double-buffered weights: docs/hardware.md). */
export const matmulIssueInterval = (rows: number, cfg: ArrayConfig): number => Math.max(cfg.rows, rows + 1);

export const matmul: OpDef<'matmul'> = {
  unit: 'compute',
  fields: FORMATS.matmul,
  semantics: [
    'the act address of row m is generated in two levels (rows of `inner` pixels), which is how a',
    'convolution reads its shifted input window without materializing im2col:',
    '  for m in 0..rows-1, c in 0..C-1:',
    '    a = act + (m div inner)·actOuter + (m mod inner)·actStride',
    '    s = Σ_{r<R} act[a][r] · wgt[wgt + r][c]                           (int8·int8, int32 sum)',
    '    acc[acc + m][c] ← (accumulate ? acc[acc + m][c] : bias ? b[c] : 0) + s·2^shift  wrapped to int32',
    '  b = acc[acc] as the instruction found it: one entry, read with row 0 and held for every row (a',
    '  column tile\'s bias is loaded into its first entry once, not replicated over its rows);',
    '  accumulate and bias are not both 1; shift (0 … 15) weighs a term by w·2^shift where w alone',
    '  would pass int8 (a residual add folded into its convolution: passes/weighted-op.ts foldedAdd)',
  ].join('\n'),
  execute(s, insn, cfg) {
    const { rows: R, cols: C } = cfg;
    const { act, wgt, acc } = s;
    // fields read once: instructions differ in shape by opcode, so reads inside the loops would be megamorphic
    const wgt0 = insn.wgt * C;
    const rows = insn.rows;
    const { act: act0, actStride, actOuter, inner, acc: acc0, shift: sh } = insn;
    spreadBiasEntry(acc, insn, C);
    const accumulate = insn.accumulate | insn.bias;
    if (rows === 1) {
      // one row (a dense layer at batch 1): straight from the tile, row by row of it; transposing the tile would cost more than the row
      const a = act0 * R;
      const o = acc0 * C;
      const { x } = scratchFor(R, C);
      x.fill(0, 0, C);
      // two tile rows per pass (each sum read and written once for both), zero act lanes skipped
      let r = 0;
      for (; r + 1 < R; r += 2) {
        const v = act[a + r]!;
        const u = act[a + r + 1]!;
        if (v === 0 && u === 0) continue;
        for (let c = 0, w = wgt0 + r * C; c < C; c++, w++) x[c]! += v * wgt[w]! + u * wgt[w + C]!;
      }
      if (r < R && act[a + r] !== 0) {
        const v = act[a + r]!;
        for (let c = 0, w = wgt0 + r * C; c < C; c++, w++) x[c]! += v * wgt[w]!;
      }
      for (let c = 0; c < C; c++) acc[o + c] = accumulate ? (acc[o + c]! + (x[c]! << sh)) | 0 : x[c]! << sh;
      return;
    }
    const live = liveTile(wgt, wgt0, R, C);
    const { lanes, columns, rows4 } = scratch;
    // the four rows' live lanes: read in place when every lane is live, else gathered into rows4 (both int8, so the loop below sees one array type)
    const gather = live < R;
    const src = gather ? rows4 : act;
    // rows m to m + 3 together (each weight read once for all four); m = run·inner + i, so the act row is act + run·actOuter + i·actStride (matmulActRow)
    for (let m = 0, run = 0, i = 0; m < rows; m += 4) {
      const n = Math.min(4, rows - m);
      // a row past the last (n < 4) reads row m again: its sums are computed and never stored
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
      for (let k = 0; k < n; k++) {
        const a = (act0 + run * actOuter + i * actStride) * R;
        if (++i === inner) (i = 0), run++;
        const b = gather ? k * R : a;
        if (gather) for (let l = 0; l < live; l++) rows4[b + l] = act[a + lanes[l]!]!;
        if (k === 0) b0 = b1 = b2 = b3 = b;
        else if (k === 1) b1 = b;
        else if (k === 2) b2 = b;
        else b3 = b;
      }
      const o0 = (acc0 + m) * C;
      // columns c and c + 1 together too (a last odd column sums column c twice and keeps one);
      // |Σ| ≤ R·2^14 ≤ 2^22 is exact; wrapping once equals wrapping after every MAC (int32 addition is modulo 2^32)
      for (let c = 0; c < C; c += 2) {
        const two = c + 1 < C;
        const w0 = c * live;
        const w1 = two ? w0 + live : w0;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0; // prettier-ignore
        for (let l = 0; l < live; l++) {
          const k0 = columns[w0 + l]!;
          const k1 = columns[w1 + l]!;
          const xl = src[b0 + l]!;
          const yl = src[b1 + l]!;
          const zl = src[b2 + l]!;
          const wl = src[b3 + l]!;
          s00 += xl * k0;
          s01 += xl * k1;
          s10 += yl * k0;
          s11 += yl * k1;
          s20 += zl * k0;
          s21 += zl * k1;
          s30 += wl * k0;
          s31 += wl * k1;
        }
        // straight-line stores: rows past the last (n < 4) are skipped, as is a missing second column
        const o = o0 + c;
        if (accumulate) {
          acc[o] = (acc[o]! + (s00 << sh)) | 0;
          if (two) acc[o + 1] = (acc[o + 1]! + (s01 << sh)) | 0;
          if (n > 1) {
            acc[o + C] = (acc[o + C]! + (s10 << sh)) | 0;
            if (two) acc[o + C + 1] = (acc[o + C + 1]! + (s11 << sh)) | 0;
          }
          if (n > 2) {
            acc[o + 2 * C] = (acc[o + 2 * C]! + (s20 << sh)) | 0;
            if (two) acc[o + 2 * C + 1] = (acc[o + 2 * C + 1]! + (s21 << sh)) | 0;
          }
          if (n > 3) {
            acc[o + 3 * C] = (acc[o + 3 * C]! + (s30 << sh)) | 0;
            if (two) acc[o + 3 * C + 1] = (acc[o + 3 * C + 1]! + (s31 << sh)) | 0;
          }
        } else {
          acc[o] = s00 << sh;
          if (two) acc[o + 1] = s01 << sh;
          if (n > 1) {
            acc[o + C] = s10 << sh;
            if (two) acc[o + C + 1] = s11 << sh;
          }
          if (n > 2) {
            acc[o + 2 * C] = s20 << sh;
            if (two) acc[o + 2 * C + 1] = s21 << sh;
          }
          if (n > 3) {
            acc[o + 3 * C] = s30 << sh;
            if (two) acc[o + 3 * C + 1] = s31 << sh;
          }
        }
      }
    }
  },
  // (two literals, no spread of a conditional array: token insertion asks this of every matmul)
  accesses: (insn, cfg) =>
    insn.accumulate || insn.bias
      ? [
          { space: 'wgt', write: false, start: insn.wgt, end: insn.wgt + cfg.rows },
          { space: 'act', write: false, start: insn.act, end: matmulActEnd(insn) },
          { space: 'acc', write: false, start: insn.acc, end: insn.acc + matmulAccReads(insn) },
          { space: 'acc', write: true, start: insn.acc, end: insn.acc + insn.rows },
        ]
      : [
          { space: 'wgt', write: false, start: insn.wgt, end: insn.wgt + cfg.rows },
          { space: 'act', write: false, start: insn.act, end: matmulActEnd(insn) },
          { space: 'acc', write: true, start: insn.acc, end: insn.acc + insn.rows },
        ],
  duration: (insn, cfg) => matmulDuration(insn.rows, cfg),
  // Double-buffered weights: the next matmul's R-cycle preload fills the PEs' shadow registers
  // while this one streams. It may start once this one's preload has read the wgt port (R cycles)
  // and one cycle after its last act row (rows + 1): the gap keeps every acc read of the next
  // matmul after this one's last acc write, so accumulating onto the rows just written is exact.
  occupancy: (insn, cfg) => matmulIssueInterval(insn.rows, cfg),
  count(insn, cfg, t) {
    t.arrayMacs += insn.rows * cfg.rows * cfg.cols;
    t.sramReads.wgt += cfg.rows; // the weight preload reads the tile once
    t.sramReads.act += insn.rows;
    t.sramReads.acc += matmulAccReads(insn);
    t.sramWrites.acc += insn.rows;
  },
};
