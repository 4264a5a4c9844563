// SPDX-License-Identifier: MIT
/**
 * What each instruction reads and writes, as address ranges per memory space. Derived from the
 * semantics in spec.ts; used to check programs (bounds), to insert dependency tokens
 * (passes/schedule.ts) and to reason about hazards in the simulator.
 */
import type { ArrayConfig } from './config.js';
import { entryBytes, LOAD_BUFFER_LIST, matmulActRow, type Instruction, type InstructionOf } from './spec.js';

export type Space = 'dram' | 'act' | 'wgt' | 'acc' | 'qnt' | 'out';

/** [start, end) in entries (bytes for dram), with `step` between row starts for strided dram. */
export interface Access {
  readonly space: Space;
  readonly write: boolean;
  readonly start: number;
  readonly end: number;
}

/** Conservative (covering) ranges: strided DRAM rows are covered by one span. */
export function accessesOf(insn: Instruction, cfg: ArrayConfig): Access[] {
  const { rows: R, cols: C } = cfg;
  switch (insn.op) {
    case 'load': {
      const buf = LOAD_BUFFER_LIST[insn.buf] ?? 'act';
      const e = entryBytes(buf, R, C);
      return [
        { space: 'dram', write: false, start: insn.dram, end: insn.dram + (insn.rows - 1) * insn.stride + e },
        { space: buf, write: true, start: insn.sram, end: insn.sram + insn.rows },
      ];
    }
    case 'store':
      return [
        { space: 'out', write: false, start: insn.sram, end: insn.sram + insn.rows },
        { space: 'dram', write: true, start: insn.dram, end: insn.dram + (insn.rows - 1) * insn.stride + C },
      ];
    case 'matmul':
      return [
        { space: 'wgt', write: false, start: insn.wgt, end: insn.wgt + R },
        { space: 'act', write: false, start: insn.act, end: matmulActEnd(insn) },
        ...(insn.accumulate ? [{ space: 'acc' as const, write: false, start: insn.acc, end: insn.acc + insn.rows }] : []),
        { space: 'acc', write: true, start: insn.acc, end: insn.acc + insn.rows },
      ];
    case 'threshold':
      return [
        { space: 'acc', write: false, start: insn.acc, end: insn.acc + insn.rows },
        { space: 'qnt', write: false, start: insn.qnt, end: insn.qnt + 1 },
        { space: 'out', write: true, start: insn.out, end: insn.out + insn.rows },
      ];
    case 'sync':
    case 'halt':
      return [];
  }
}

/** One past the highest act entry a matmul reads (strides are unsigned, so it is at a run's end). */
function matmulActEnd(insn: InstructionOf<'matmul'>): number {
  const runs = Math.ceil(insn.rows / insn.inner);
  const last = matmulActRow(insn, insn.rows - 1);
  return 1 + (runs > 1 ? Math.max(last, matmulActRow(insn, (runs - 1) * insn.inner - 1)) : last);
}

export function overlaps(a: Access, b: Access): boolean {
  return a.space === b.space && a.start < b.end && b.start < a.end;
}

/** True when b must wait for a (RAW, WAR or WAW on an overlapping range). */
export function conflicts(a: readonly Access[], b: readonly Access[]): boolean {
  return a.some((x) => b.some((y) => (x.write || y.write) && overlaps(x, y)));
}
