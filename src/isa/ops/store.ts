// SPDX-License-Identifier: MIT
/** `store`: DMA from the out buffer to DRAM. */
import { FORMATS } from '../spec.js';
import { dmaCycles } from './dma.js';
import type { OpDef } from './types.js';

export const store: OpDef<'store'> = {
  unit: 'store',
  fields: FORMATS.store,
  semantics: ['DMA out → dram, `rows` entries of C bytes:', '  for i in 0..rows-1: dram[dram + i·stride .. + C] ← out[sram + i]'].join('\n'),
  execute(s, insn, cfg) {
    const C = cfg.cols;
    for (let i = 0; i < insn.rows; i++) {
      const dst = insn.dram + i * insn.stride;
      for (let l = 0; l < C; l++) s.dram[dst + l] = s.out[(insn.sram + i) * C + l]! & 0xff;
    }
  },
  accesses: (insn, cfg) => [
    { space: 'out', write: false, start: insn.sram, end: insn.sram + insn.rows },
    { space: 'dram', write: true, start: insn.dram, end: insn.dram + (insn.rows - 1) * insn.stride + cfg.cols },
  ],
  duration: (insn, cfg) => dmaCycles(insn.rows, cfg.cols, cfg),
  count(insn, cfg, t) {
    t.sramReads.out += insn.rows;
    t.dramBytesWritten += insn.rows * cfg.cols;
  },
};
