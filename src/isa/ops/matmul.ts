// SPDX-License-Identifier: MIT
/** `matmul`: one weight-stationary fold of an R×C tile over `rows` input rows. */
import { mac } from '../numerics.js';
import { FORMATS, matmulActRow, type InstructionOf } from '../spec.js';
import type { OpDef } from './types.js';

/** One past the highest act entry a matmul reads (strides are unsigned, so it is at a run's end). */
function matmulActEnd(insn: InstructionOf<'matmul'>): number {
  const runs = Math.ceil(insn.rows / insn.inner);
  const last = matmulActRow(insn, insn.rows - 1);
  return 1 + (runs > 1 ? Math.max(last, matmulActRow(insn, (runs - 1) * insn.inner - 1)) : last);
}

export const matmul: OpDef<'matmul'> = {
  unit: 'compute',
  fields: FORMATS.matmul,
  semantics: [
    'the act address of row m is generated in two levels (rows of `inner` pixels), which is how a',
    'convolution reads its shifted input window without materializing im2col:',
    '  for m in 0..rows-1, c in 0..C-1:',
    '    a = act + (m div inner)·actOuter + (m mod inner)·actStride',
    '    s = Σ_{r<R} act[a][r] · wgt[wgt + r][c]                           (int8·int8, int32 sum)',
    '    acc[acc + m][c] ← (accumulate ? acc[acc + m][c] + s : s)  wrapped to int32',
  ].join('\n'),
  execute(s, insn, cfg) {
    const { rows: R, cols: C } = cfg;
    for (let m = 0; m < insn.rows; m++) {
      const a = matmulActRow(insn, m) * R;
      const o = (insn.acc + m) * C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let r = 0; r < R; r++) sum = mac(sum, s.act[a + r]!, s.wgt[(insn.wgt + r) * C + c]!);
        s.acc[o + c] = insn.accumulate ? (s.acc[o + c]! + sum) | 0 : sum;
      }
    }
  },
  accesses: (insn, cfg) => [
    { space: 'wgt', write: false, start: insn.wgt, end: insn.wgt + cfg.rows },
    { space: 'act', write: false, start: insn.act, end: matmulActEnd(insn) },
    ...(insn.accumulate ? [{ space: 'acc' as const, write: false, start: insn.acc, end: insn.acc + insn.rows }] : []),
    { space: 'acc', write: true, start: insn.acc, end: insn.acc + insn.rows },
  ],
  // R cycles weight preload + R-cycle row skew + rows streamed + C-cycle column skew/de-skew
  duration: (insn, cfg) => 2 * cfg.rows + cfg.cols + insn.rows,
  // Double-buffered weights: the next matmul's R-cycle preload fills the PEs' shadow registers
  // while this one streams. It may start once this one's preload has read the wgt port (R cycles)
  // and one cycle after its last act row (rows + 1): the gap keeps every acc read of the next
  // matmul after this one's last acc write, so accumulating onto the rows just written is exact.
  occupancy: (insn, cfg) => Math.max(cfg.rows, insn.rows + 1),
  count(insn, cfg, t) {
    t.arrayMacs += insn.rows * cfg.rows * cfg.cols;
    t.sramReads.wgt += cfg.rows; // the weight preload reads the tile once
    t.sramReads.act += insn.rows;
    if (insn.accumulate) t.sramReads.acc += insn.rows;
    t.sramWrites.acc += insn.rows;
  },
};
