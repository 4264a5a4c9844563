// SPDX-License-Identifier: MIT
/**
 * Step mode's threshold unit (rtl-templates/nnchip_threshold.v): P = thresholdPasses beats per acc
 * row. Acc row m is read at τ = P·m (and the qnt entry at τ = 0) and stays on the RAM's output; the
 * row's lanes are multiplied over its P beats, and its out row is written at τ = P·m + P + 3,
 * THRESHOLD_LATENCY cycles after its last beat. Table mode (steps ≥ 1) is the same pipeline with
 * P = 1 + 2·steps beats per row: the acc row, then each step's threshold and code entries in turn.
 * Pooling over W acc rows read a window (poolReads): P = W − 1 + thresholdPasses, beat k < W reads
 * the window's k-th read row (poolReadRow) into the row's running maximum (the requantized value is
 * that of the maximum: requantize is monotone). A window that reuses its first columns
 * (reusedColumns) starts its maximum from the `tail` register: the maximum of the previous
 * window's tail reads (poolReadIsTail), or nothing for a line's first window.
 */
import { tableStep, threshold } from '../src/isa/numerics.js';
import type { InstructionOf } from '../src/isa/spec.js';
import { THRESHOLD_LATENCY, poolOf, poolReadIsTail, poolReadRow, poolReads, readColumns, tableSteps, thresholdBeatsPerRow } from '../src/isa/ops/index.js';
import { duration } from '../src/isa/timing.js';
import type { StepMachine } from './machine.js';
import { SPACE_INDEX, UNIT_INDEX } from './stats.js';

/** Rows in flight: read at P·m, written P + THRESHOLD_LATENCY − 1 cycles later (at most 4 rows apart). */
const IN_FLIGHT = THRESHOLD_LATENCY + 1;

export class ThresholdUnit {
  private insn!: InstructionOf<'threshold'>;
  /** The acc rows as read, by row number mod IN_FLIGHT; the qnt lanes as read at τ = 0. */
  readonly rows: Int32Array;
  /** Per lane, the maximum of the current window's tail reads so far (the next window's first columns). */
  private readonly tail: Int32Array;
  private readonly mult: Uint16Array;
  private readonly shift: Uint8Array;

  constructor(private readonly m: StepMachine) {
    const C = m.cfg.cols;
    this.rows = new Int32Array(IN_FLIGHT * C);
    this.tail = new Int32Array(C);
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
    const W = poolReads(insn);
    const P = thresholdBeatsPerRow(steps, m.cfg.thresholdPasses, W);
    const s = m.state;
    const u = UNIT_INDEX.compute;
    const beat = tau % P;
    // pooling: beat k < W of row `read` reads the window's k-th read row (into the running maximum)
    const read = beat < W && tau < P * insn.rows ? Math.floor(tau / P) : -1;
    const accRow = read < 0 ? -1 : insn.acc + (pool === null ? read : poolReadRow(pool, read, beat));
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
      const a = accRow * C;
      // a window that reuses columns starts from the previous window's tail, but a line's first (its reused columns are padding)
      const reuses = pool !== null && readColumns(pool) < pool.kw;
      if (beat === 0 && reuses && read % pool.pw !== 0) for (let c = 0; c < C; c++) this.rows[slot + c] = Math.max(this.tail[c]!, s.acc[a + c]!);
      else if (beat === 0) this.rows.set(s.acc.subarray(a, a + C), slot);
      else for (let c = 0; c < C; c++) this.rows[slot + c] = Math.max(this.rows[slot + c]!, s.acc[a + c]!);
      if (reuses) {
        // the tail register: taken by this window's first read, then the maximum of its tail reads
        const isTail = poolReadIsTail(pool, beat);
        if (beat === 0) this.tail.fill(-0x80000000);
        if (isTail) for (let c = 0; c < C; c++) this.tail[c] = Math.max(this.tail[c]!, s.acc[a + c]!);
      }
    }
    if (tau === 0) {
      this.mult.set(s.qntMult.subarray(insn.qnt * C, (insn.qnt + 1) * C));
      this.shift.set(s.qntShift.subarray(insn.qnt * C, (insn.qnt + 1) * C));
    }
    return tau === P * insn.rows + THRESHOLD_LATENCY - 1;
  }
}
