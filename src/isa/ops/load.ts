// SPDX-License-Identifier: MIT
/** `load`: DMA from DRAM into one of the load buffers (act, wgt, acc, qnt). */
import type { ArrayConfig } from '../config.js';
import { entryBytes, FORMATS, loadBufferOf, type InstructionOf, type LoadBuffer } from '../spec.js';
import type { MachineState } from '../state.js';
import { dmaCycles } from './dma.js';
import type { OpDef } from './types.js';

function readI32(dram: Uint8Array, at: number): number {
  return (dram[at]! | (dram[at + 1]! << 8) | (dram[at + 2]! << 16) | (dram[at + 3]! << 24)) | 0;
}

/**
 * `rows` rows of `buf` from DRAM, row i from src + i·stride into entry sram + i: act/wgt lanes are
 * int8, acc lanes int32 LE, qnt lanes {mult u16 LE, shift u8, reserved u8}. One loop per buffer,
 * so the buffer is chosen once per instruction, not once per row.
 */
function loadRows(s: MachineState, buf: LoadBuffer, R: number, C: number, src: number, stride: number, sram: number, rows: number): void {
  const dram = s.dram;
  switch (buf) {
    case 'act':
    case 'wgt': {
      const lanes = buf === 'act' ? R : C;
      const dst = buf === 'act' ? s.act : s.wgt;
      if (stride === lanes) {
        // consecutive rows are one run of bytes: copy it as int8 (the same two's-complement reading)
        dst.set(new Int8Array(dram.buffer, dram.byteOffset + src, rows * lanes), sram * lanes);
        return;
      }
      for (let i = 0; i < rows; i++) for (let l = 0, at = src + i * stride, e = (sram + i) * lanes; l < lanes; l++) dst[e + l] = (dram[at + l]! << 24) >> 24;
      return;
    }
    case 'acc':
      for (let i = 0; i < rows; i++) {
        const e = (sram + i) * C;
        // stride 0 (a bias row for every output row): the row just read, copied
        if (stride === 0 && i > 0) s.acc.copyWithin(e, sram * C, (sram + 1) * C);
        else for (let l = 0, at = src + i * stride; l < C; l++) s.acc[e + l] = readI32(dram, at + 4 * l);
      }
      return;
    case 'qnt':
      for (let i = 0; i < rows; i++)
        for (let l = 0, at = src + i * stride, e = (sram + i) * C; l < C; l++) {
          s.qntMult[e + l] = dram[at + 4 * l]! | (dram[at + 4 * l + 1]! << 8);
          s.qntShift[e + l] = dram[at + 4 * l + 2]!;
        }
      return;
  }
}

/** DRAM beats per row of a load: its buffer's entry bytes over the bandwidth. */
export function loadBeats(insn: InstructionOf<'load'>, cfg: ArrayConfig): number {
  return Math.ceil(entryBytes(loadBufferOf(insn.buf), cfg.rows, cfg.cols) / cfg.dramBytesPerCycle);
}

/** The local cycle in which a load writes its row w into the buffer: the row's last beat, after the DRAM latency. */
export function loadRowWrittenAt(insn: InstructionOf<'load'>, w: number, cfg: ArrayConfig): number {
  return cfg.dramLatency + (w + 1) * loadBeats(insn, cfg) - 1;
}

export const load: OpDef<'load'> = {
  unit: 'load',
  fields: FORMATS.load,
  semantics: [
    'DMA dram → buffer `buf`, `rows` entries, E = entryBytes(buf) bytes each:',
    '  for i in 0..rows-1: buf[sram + i] ← dram[dram + i·stride .. + E]     (stride 0 replicates one row)',
    'act/wgt lanes are int8; acc lanes int32 LE; qnt lanes {mult u16 LE, shift u8, reserved u8}.',
  ].join('\n'),
  execute(s, insn, cfg) {
    const { rows, dram, stride, sram } = insn;
    loadRows(s, loadBufferOf(insn.buf), cfg.rows, cfg.cols, dram, stride, sram, rows);
  },
  accesses(insn, cfg) {
    const buf = loadBufferOf(insn.buf);
    const e = entryBytes(buf, cfg.rows, cfg.cols);
    return [
      { space: 'dram', write: false, start: insn.dram, end: insn.dram + (insn.rows - 1) * insn.stride + e },
      { space: buf, write: true, start: insn.sram, end: insn.sram + insn.rows },
    ];
  },
  // DRAM latency, then one buffer entry every ceil(entryBytes / bandwidth) cycles
  duration: (insn, cfg) => dmaCycles(insn.rows, entryBytes(loadBufferOf(insn.buf), cfg.rows, cfg.cols), cfg),
  count(insn, cfg, t) {
    const buf = loadBufferOf(insn.buf);
    t.dramBytesRead += insn.rows * entryBytes(buf, cfg.rows, cfg.cols);
    t.sramWrites[buf] += insn.rows;
  },
};
