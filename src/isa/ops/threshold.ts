// SPDX-License-Identifier: MIT
/** `threshold`: requantize and clamp acc rows into out rows (the only nonlinearity). */
import { threshold as thresholdValue } from '../numerics.js';
import { FORMATS } from '../spec.js';
import type { OpDef } from './types.js';

/** Pipeline depth of the threshold unit after a row's last beat: operand select, multiply, accumulate, round + clamp + out write. */
export const THRESHOLD_LATENCY = 4;

export const threshold: OpDef<'threshold'> = {
  unit: 'compute',
  fields: FORMATS.threshold,
  semantics: [
    '  for m in 0..rows-1, c in 0..C-1:',
    '    {mult, shift} = qnt[qnt][c]',
    '    out[out + m][c] ← clamp(requantize(acc[acc + m][c], mult, shift) + zp, lo, hi)',
    'requantize is defined in isa/numerics.ts (round half up: (x·mult + 2^(shift-1)) >> shift).',
  ].join('\n'),
  execute(s, insn, cfg) {
    const C = cfg.cols;
    for (let m = 0; m < insn.rows; m++) {
      for (let c = 0; c < C; c++) {
        const q = insn.qnt * C + c;
        s.out[(insn.out + m) * C + c] = thresholdValue(s.acc[(insn.acc + m) * C + c]!, s.qntMult[q]!, s.qntShift[q]!, insn.zp, insn.lo, insn.hi);
      }
    }
  },
  accesses: (insn) => [
    { space: 'acc', write: false, start: insn.acc, end: insn.acc + insn.rows },
    { space: 'qnt', write: false, start: insn.qnt, end: insn.qnt + 1 },
    { space: 'out', write: true, start: insn.out, end: insn.out + insn.rows },
  ],
  // thresholdPasses beats per acc row (cols / thresholdPasses lanes), then the pipeline drains
  duration: (insn, cfg) => insn.rows * cfg.thresholdPasses + THRESHOLD_LATENCY,
  count(insn, _cfg, t) {
    t.sramReads.acc += insn.rows;
    t.sramReads.qnt += 1; // one {mult, shift} entry serves every row
    t.sramWrites.out += insn.rows;
  },
};
