// SPDX-License-Identifier: MIT
/** `store`: DMA from the out buffer to DRAM. */
import { layout } from '../spec.js';
import { dmaCycles } from './dma.js';
import type { OpDef } from './types.js';

export const STORE_FIELDS = layout([
  { name: 'sram', bits: 16, signed: false, doc: 'first out-buffer entry' },
  { name: 'rows', bits: 16, signed: false, doc: 'entries to transfer (≥ 1)' },
  { name: 'dram', bits: 32, signed: false, doc: 'dram byte address of the first row' },
  { name: 'stride', bits: 32, signed: false, doc: 'dram bytes between rows' },
]);

export const store: OpDef<'store'> = {
  unit: 'store',
  fields: STORE_FIELDS,
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
