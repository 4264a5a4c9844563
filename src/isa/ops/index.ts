// SPDX-License-Identifier: MIT
/**
 * Every opcode's record, keyed by the closed Opcode union: OPS is the one table the ISA's loops
 * (interpret, effects, timing, cost) run over, and UNIT_OF is read off it. A new opcode needs
 * its number and format in spec.ts (OPCODES, FORMATS) and one record here, or this file does not compile.
 */
import { OPCODE_LIST, type Instruction, type Opcode, type Unit } from '../spec.js';
import { halt } from './halt.js';
import { load } from './load.js';
import { matmul } from './matmul.js';
import { store } from './store.js';
import { sync } from './sync.js';
import { threshold } from './threshold.js';
import type { OpDef } from './types.js';

export type { Access, OpDef, Tally } from './types.js';
export { matmulAccReads, spreadBiasEntry } from './matmul.js';
export { POOL_GEOMETRY, THRESHOLD_LATENCY, encodePoolGeometry, poolOf, poolReadIsTail, poolReadRow, poolReads, poolRow, readColumns, reusedColumns, windowReads, poolWindowError, pooledCount, pools, tableSteps, thresholdBeatsPerRow, thresholdCycles, type PoolGeometry, type PoolWindow } from './threshold.js';

export const OPS = { load, store, matmul, threshold, sync, halt } as const satisfies { [O in Opcode]: OpDef<O> };

/** The record of an instruction's opcode, typed for any instruction. */
export function opOf(insn: Instruction): OpDef<Opcode> {
  return OPS[insn.op] as OpDef<Opcode>;
}

/** The unit of every opcode. */
export const UNIT_OF = Object.fromEntries(OPCODE_LIST.map((op) => [op, OPS[op].unit])) as { readonly [O in Opcode]: Unit };
