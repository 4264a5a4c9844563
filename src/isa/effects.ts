// SPDX-License-Identifier: MIT
/**
 * What each instruction reads and writes, as address ranges per memory space. Derived from the
 * semantics of each op record (isa/ops/<op>.ts); used to check programs (bounds), to insert dependency tokens
 * (passes/schedule.ts) and to reason about hazards in the simulator.
 */
import type { ArrayConfig } from './config.js';
import { opOf, type Access } from './ops/index.js';
import type { Instruction } from './spec.js';

export type { Access } from './ops/index.js';

/** Conservative (covering) ranges: strided DRAM rows are covered by one span (each op record's `accesses`). */
export function accessesOf(insn: Instruction, cfg: ArrayConfig): Access[] {
  return opOf(insn).accesses(insn, cfg);
}

export function overlaps(a: Access, b: Access): boolean {
  return a.space === b.space && a.start < b.end && b.start < a.end;
}

/** True when b must wait for a (RAW, WAR or WAW on an overlapping range). */
export function conflicts(a: readonly Access[], b: readonly Access[]): boolean {
  // (loops, not some(): the race check asks this for every pair of instructions its clocks leave unordered)
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    for (let j = 0; j < b.length; j++) {
      const y = b[j]!;
      if ((x.write || y.write) && overlaps(x, y)) return true;
    }
  }
  return false;
}
