// SPDX-License-Identifier: MIT
/**
 * Step mode's threshold unit, C lanes in a three-stage pipeline: acc row τ is read at τ (and the
 * qnt entry at τ = 0), held for the multiply stage, and its out row written at τ + 2.
 */
import { threshold } from '../src/isa/numerics.js';
import type { InstructionOf } from '../src/isa/spec.js';
import type { StepMachine } from './machine.js';
import { SPACE_INDEX, UNIT_INDEX } from './stats.js';

export class ThresholdUnit {
  private insn!: InstructionOf<'threshold'>;
  /** Pipeline registers: stage 1 (acc read data), stage 2 (multiply stage), and the qnt lanes. */
  readonly s1: Int32Array;
  readonly s2: Int32Array;
  private readonly mult: Uint16Array;
  private readonly shift: Uint8Array;

  constructor(private readonly m: StepMachine) {
    const C = m.cfg.cols;
    this.s1 = new Int32Array(C);
    this.s2 = new Int32Array(C);
    this.mult = new Uint16Array(C);
    this.shift = new Uint8Array(C);
  }

  begin(insn: InstructionOf<'threshold'>): void {
    this.insn = insn;
  }

  tick(tau: number, t: number): boolean {
    const { m, insn } = this;
    const C = m.cfg.cols;
    const s = m.state;
    const u = UNIT_INDEX.compute;
    if (tau < insn.rows) m.sramRead(u, t, SPACE_INDEX.acc, insn.acc + tau);
    if (tau === 0) m.sramRead(u, t, SPACE_INDEX.qnt, insn.qnt);
    // stage 3: requantize, add the zero point, clamp, write out row τ − 2
    if (tau >= 2) {
      const o = (insn.out + tau - 2) * C;
      for (let c = 0; c < C; c++) s.out[o + c] = threshold(this.s2[c]!, this.mult[c]!, this.shift[c]!, insn.zp, insn.lo, insn.hi);
      m.sramWrite(u, t, SPACE_INDEX.out, insn.out + tau - 2);
    }
    // clock edge: stage 1 → stage 2, the reads of this cycle → stage 1 and the qnt registers
    this.s2.set(this.s1);
    if (tau < insn.rows) this.s1.set(s.acc.subarray((insn.acc + tau) * C, (insn.acc + tau + 1) * C));
    if (tau === 0) {
      this.mult.set(s.qntMult.subarray(insn.qnt * C, (insn.qnt + 1) * C));
      this.shift.set(s.qntShift.subarray(insn.qnt * C, (insn.qnt + 1) * C));
    }
    return tau === insn.rows + 1;
  }
}
