// SPDX-License-Identifier: MIT
/**
 * What one opcode's record states (OpDef). Every per-opcode fact of the ISA is a field here, so a
 * new opcode is one new record and the compiler lists what it must say.
 */
import type { ArrayConfig } from '../config.js';
import type { Buffer, FORMATS, InstructionOf, Opcode, Space, Unit } from '../spec.js';
import type { MachineState } from '../state.js';

/** [start, end) in entries (bytes for dram) of one memory space an instruction reads or writes. */
export interface Access {
  readonly space: Space;
  readonly write: boolean;
  readonly start: number;
  readonly end: number;
}

/** The certificate's per-instruction figures; each record's `count` adds its instruction's share. */
export interface Tally {
  arrayMacs: number;
  dramBytesRead: number;
  dramBytesWritten: number;
  /** Buffer entries read and written. */
  readonly sramReads: Record<Buffer, number>;
  readonly sramWrites: Record<Buffer, number>;
}

export interface OpDef<O extends Opcode> {
  /** The unit that executes it (fetch: ends instruction issue). */
  readonly unit: Unit;
  /** Its fields after the common header (FORMATS[O]). */
  readonly fields: (typeof FORMATS)[O];
  /** Its semantics as pseudo-code (the definition `execute` implements literally). */
  readonly semantics: string;
  /** Run it on the architectural state, in plain integer arithmetic (isa/interpret.ts's step). */
  execute(s: MachineState, insn: InstructionOf<O>, cfg: ArrayConfig): void;
  /** Conservative (covering) ranges it reads and writes; strided DRAM rows are one span. */
  accesses(insn: InstructionOf<O>, cfg: ArrayConfig): Access[];
  /** Cycles from its start to its completion: its last write, when its token pushes fire (docs/hardware.md derives each rule). */
  duration(insn: InstructionOf<O>, cfg: ArrayConfig): number;
  /**
   * Its issue interval, for an op whose unit pipelines consecutive instructions of that op: cycles
   * from its start until the unit may start the next instruction of the same op (≤ duration). Absent:
   * the unit starts nothing before it completes, and no op starts before all earlier ones completed.
   */
  readonly occupancy?: (insn: InstructionOf<O>, cfg: ArrayConfig) => number;
  /** Its certificate figures: DRAM bytes, buffer entries read and written, array MACs. */
  count(insn: InstructionOf<O>, cfg: ArrayConfig, tally: Tally): void;
}
