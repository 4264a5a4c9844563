// SPDX-License-Identifier: MIT
/**
 * Step mode's threshold unit (rtl-templates/nnchip_threshold.v): P = thresholdPasses beats per acc
 * row. Acc row m is read at τ = P·m (and the qnt entry at τ = 0) and stays on the RAM's output; the
 * row's lanes are multiplied over its P beats, and its out row is written at τ = P·m + P + 3,
 * THRESHOLD_LATENCY cycles after its last beat. Table mode (steps ≥ 1) is the same pipeline with
 * P = 1 + 2·steps beats per row: the acc row, then each step's threshold and code entries in turn.
 * Pooling over W acc rows: P = W − 1 + thresholdPasses, beat k < W reads window row k into the
 * row's running maximum (the requantized value is that of the maximum: requantize is monotone).
 */
import { tableStep, threshold } from '../src/isa/numerics.js';
import type { InstructionOf } from '../src/isa/spec.js';
import { THRESHOLD_LATENCY, poolOf, poolRow, tableSteps, thresholdBeatsPerRow } from '../src/isa/ops/index.js';
import { duration } from '../src/isa/timing.js';
import type { StepMachine } from './machine.js';
import { SPACE_INDEX, UNIT_INDEX } from './stats.js';

/** Rows in flight: read at P·m, written P + THRESHOLD_LATENCY − 1 cycles later (at most 4 rows apart). */
const IN_FLIGHT = THRESHOLD_LATENCY + 1;

export class ThresholdUnit {
  private insn!: InstructionOf<'threshold'>;
  /** The acc rows as read, by row number mod IN_FLIGHT; the qnt lanes as read at τ = 0. */
  readonly rows: Int32Array;
  private readonly mult: Uint16Array;
  private readonly shift: Uint8Array;

  constructor(private readonly m: StepMachine) {
    const C = m.cfg.cols;
    this.rows = new Int32Array(IN_FLIGHT * C);
    this.mult = new Uint16Array(C);
    this.shift = new Uint8Array(C);
  }

  begin(insn: InstructionOf<'threshold'>): void {
    this.insn = insn;
  }

  /** Cycles from τ (this cycle, not yet ticked) to the instruction's completion. */
  cyclesLeft(tau: number): number {
    return duration(this.insn, this.m.cfg) - tau;
  }

  tick(tau: number, t: number): boolean {
    const { m, insn } = this;
    const C = m.cfg.cols;
    const steps = tableSteps(insn);
    const pool = poolOf(insn);
    const W = pool === null ? 1 : pool.kh * pool.kw;
    const P = thresholdBeatsPerRow(steps, m.cfg.thresholdPasses, W);
    const s = m.state;
    const u = UNIT_INDEX.compute;
    const beat = tau % P;
    // pooling: beat k < W of row `read` reads the window's row k (into the running maximum)
    const read = beat < W && tau < P * insn.rows ? Math.floor(tau / P) : -1;
    const accRow = read < 0 ? -1 : insn.acc + (pool === null ? read : poolRow(pool, read, Math.floor(beat / pool.kw), beat % pool.kw));
    if (read >= 0) m.sramRead(u, t, SPACE_INDEX.acc, accRow);
    else if (steps > 0 && tau < P * insn.rows) m.sramRead(u, t, SPACE_INDEX.acc, insn.table + (tau % P) - 1);
    if (tau === 0 && steps === 0) m.sramRead(u, t, SPACE_INDEX.qnt, insn.qnt);
    // a row's last beat was THRESHOLD_LATENCY cycles ago: requantize, add the zero point, clamp, write it
    const after = tau - (THRESHOLD_LATENCY - 1);
    if (after >= P && after % P === 0) {
      const row = after / P - 1;
      const o = (insn.out + row) * C;
      const x = (row % IN_FLIGHT) * C;
      if (steps > 0) for (let c = 0; c < C; c++) s.out[o + c] = tableStep(this.rows[x + c]!, s.acc, insn.table * C + c, C, steps);
      else for (let c = 0; c < C; c++) s.out[o + c] = threshold(this.rows[x + c]!, this.mult[c]!, this.shift[c]!, insn.zp, insn.lo, insn.hi);
      m.sramWrite(u, t, SPACE_INDEX.out, insn.out + row);
    }
    // clock edge: this cycle's reads land
    if (read >= 0) {
      const slot = (read % IN_FLIGHT) * C;
      if (beat === 0) this.rows.set(s.acc.subarray(accRow * C, (accRow + 1) * C), slot);
      else for (let c = 0; c < C; c++) this.rows[slot + c] = Math.max(this.rows[slot + c]!, s.acc[accRow * C + c]!);
    }
    if (tau === 0) {
      this.mult.set(s.qntMult.subarray(insn.qnt * C, (insn.qnt + 1) * C));
      this.shift.set(s.qntShift.subarray(insn.qnt * C, (insn.qnt + 1) * C));
    }
    return tau === P * insn.rows + THRESHOLD_LATENCY - 1;
  }
}
