// SPDX-License-Identifier: MIT
/**
 * Every opcode's record, keyed by the closed Opcode union: OPS is the one table the ISA's loops
 * (interpret, effects, timing, cost) run over, and FORMATS/UNIT_OF are read off it. A new opcode
 * needs its number in spec.ts OPCODES and one record here, or this file does not compile.
 */
import { OPCODE_LIST, type FieldSpec, type Instruction, type Opcode, type Unit } from '../spec.js';
import { halt, HALT_FIELDS } from './halt.js';
import { load, LOAD_FIELDS } from './load.js';
import { matmul, MATMUL_FIELDS } from './matmul.js';
import { store, STORE_FIELDS } from './store.js';
import { sync, SYNC_FIELDS } from './sync.js';
import { threshold, THRESHOLD_FIELDS } from './threshold.js';
import type { OpDef } from './types.js';

export type { Access, OpDef, Tally } from './types.js';
export { THRESHOLD_LATENCY } from './threshold.js';

/** Per-opcode fields after the common header (typed apart from OPS so Instruction's field names derive from them). */
export const FORMATS = {
  load: LOAD_FIELDS,
  store: STORE_FIELDS,
  matmul: MATMUL_FIELDS,
  threshold: THRESHOLD_FIELDS,
  sync: SYNC_FIELDS,
  halt: HALT_FIELDS,
} as const satisfies { [O in Opcode]: readonly FieldSpec[] };

export const OPS = { load, store, matmul, threshold, sync, halt } as const satisfies { [O in Opcode]: OpDef<O> };

/** The record of an instruction's opcode, typed for any instruction. */
export function opOf(insn: Instruction): OpDef<Opcode> {
  return OPS[insn.op] as OpDef<Opcode>;
}

/** The unit of every opcode. */
export const UNIT_OF = Object.fromEntries(OPCODE_LIST.map((op) => [op, OPS[op].unit])) as { readonly [O in Opcode]: Unit };
