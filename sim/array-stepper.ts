// SPDX-License-Identifier: MIT
/**
 * Step mode's R×C weight-stationary array, register by register (docs/hardware.md): the weight
 * tile shifts down one PE row per cycle during preload, activations enter through a row skew and
 * move right, partial sums move down, a column de-skew lines the C sums up for the accumulator.
 */
import { mac, wrap32 } from '../src/isa/numerics.js';
import { matmulActRow, type InstructionOf } from '../src/isa/spec.js';
import type { StepMachine } from './machine.js';
import { F, SPACE_INDEX, UNIT_INDEX } from './stats.js';

/** Compute-unit FSM states (the VCD shows them): the matmul phases, then threshold and sync. */
export const COMPUTE_STATE = { idle: 0, preload: 1, stream: 2, drain: 3, threshold: 4, sync: 5 } as const;

export class SystolicArray {
  /** PE(r, c) registers at index r·C + c: weight, activation passed right (+ valid), partial sum passed down. */
  readonly w: Int32Array;
  readonly a: Int32Array;
  readonly av: Uint8Array;
  readonly p: Int32Array;
  /** Row skew: lane r delays by r registers (lane r's chain starts at skewAt[r]); column de-skew: C−1−c. */
  readonly skew: Int32Array;
  readonly skewV: Uint8Array;
  readonly deskew: Int32Array;
  private readonly skewAt: Int32Array;
  private readonly deskewAt: Int32Array;
  /** SRAM read registers: one wgt entry (C lanes) and one act entry (R lanes), with valid bits. */
  readonly wrd: Int32Array;
  wrdValid = 0;
  readonly ard: Int32Array;
  ardValid = 0;
  private readonly laneIn: Int32Array;
  private readonly laneV: Uint8Array;
  /** Cycles since anything but zeros entered: past the pipeline depth a clock changes nothing. */
  private quiet = 0;

  constructor(
    readonly R: number,
    readonly C: number,
  ) {
    this.w = new Int32Array(R * C);
    this.a = new Int32Array(R * C);
    this.av = new Uint8Array(R * C);
    this.p = new Int32Array(R * C);
    this.skewAt = Int32Array.from({ length: R }, (_, r) => (r * (r - 1)) / 2);
    this.deskewAt = Int32Array.from({ length: C }, (_, c) => (c * (2 * C - 1 - c)) / 2);
    this.skew = new Int32Array((R * (R - 1)) / 2);
    this.skewV = new Uint8Array(this.skew.length);
    this.deskew = new Int32Array((C * (C - 1)) / 2);
    this.wrd = new Int32Array(C);
    this.ard = new Int32Array(R);
    this.laneIn = new Int32Array(R);
    this.laneV = new Uint8Array(R);
  }

  /** The de-skewed partial sum of column c this cycle (what reaches the accumulator). */
  sumOut(c: number): number {
    const len = this.C - 1 - c;
    return len === 0 ? this.p[(this.R - 1) * this.C + c]! : this.deskew[this.deskewAt[c]! + len - 1]!;
  }

  /** One clock edge of every register; returns the MACs done on valid activations. */
  clock(): number {
    const { R, C, w, a, av, p } = this;
    if (this.ardValid || this.wrdValid) this.quiet = 0;
    else if (++this.quiet > 2 * (R + C) + 2) return 0;
    // de-skew chains shift first: they sample the bottom row before it updates
    for (let c = 0; c < C - 1; c++) {
      const at = this.deskewAt[c]!;
      for (let j = C - 2 - c; j > 0; j--) this.deskew[at + j] = this.deskew[at + j - 1]!;
      this.deskew[at] = p[(R - 1) * C + c]!;
    }
    // row skew: lane r leaves its chain's last register (lane 0 comes straight from the read register)
    for (let r = 0; r < R; r++) {
      const at = this.skewAt[r]!;
      this.laneIn[r] = r === 0 ? this.ard[0]! : this.skew[at + r - 1]!;
      this.laneV[r] = r === 0 ? this.ardValid : this.skewV[at + r - 1]!;
      for (let j = r - 1; j > 0; j--) {
        this.skew[at + j] = this.skew[at + j - 1]!;
        this.skewV[at + j] = this.skewV[at + j - 1]!;
      }
      if (r > 0) {
        this.skew[at] = this.ard[r]!;
        this.skewV[at] = this.ardValid;
      }
    }
    // PEs from the bottom-right corner back, so each reads its neighbours' old values
    let macs = 0;
    for (let r = R - 1; r >= 0; r--) {
      for (let c = C - 1; c >= 0; c--) {
        const i = r * C + c;
        const ain = c === 0 ? this.laneIn[r]! : a[i - 1]!;
        const vin = c === 0 ? this.laneV[r]! : av[i - 1]!;
        p[i] = mac(r === 0 ? 0 : p[i - C]!, ain, w[i]!);
        a[i] = ain;
        av[i] = vin;
        macs += vin;
      }
    }
    // weight preload: the tile moves down one PE row, the read register enters row 0
    if (this.wrdValid) {
      w.copyWithin(C, 0, (R - 1) * C);
      w.set(this.wrd, 0);
    }
    return macs;
  }

  /** Nothing read this cycle: the read registers clear at the edge. */
  clearReads(): void {
    this.wrdValid = 0;
    this.ardValid = 0;
    this.ard.fill(0);
  }
}

/** The matmul FSM: SRAM reads on the documented cycles, one array clock per cycle, acc read-modify-write. */
export class MatmulUnit {
  private insn!: InstructionOf<'matmul'>;
  state: number = COMPUTE_STATE.idle;

  constructor(
    private readonly m: StepMachine,
    readonly array: SystolicArray,
  ) {}

  begin(insn: InstructionOf<'matmul'>): void {
    this.insn = insn;
  }

  tick(tau: number, t: number): boolean {
    const { m, insn, array } = this;
    const { rows: R, cols: C } = m.cfg;
    const s = m.state;
    const u = UNIT_INDEX.compute;
    this.state = tau < R ? COMPUTE_STATE.preload : tau < R + insn.rows ? COMPUTE_STATE.stream : COMPUTE_STATE.drain;
    // act row m leaves the buffer at τ = R + m
    const row = tau - R;
    const actEntry = row >= 0 && row < insn.rows ? matmulActRow(insn, row) : -1;
    if (actEntry >= 0) m.sramRead(u, t, SPACE_INDEX.act, actEntry);
    // weight preload reads wgt row R−1−τ
    if (tau < R) m.sramRead(u, t, SPACE_INDEX.wgt, insn.wgt + R - 1 - tau);
    // the C de-skewed sums of row n reach the accumulator together at τ = 2R + C + n
    const n = tau - 2 * R - C;
    if (n >= 0) {
      const o = (insn.acc + n) * C;
      if (insn.accumulate) m.sramRead(u, t, SPACE_INDEX.acc, insn.acc + n);
      for (let c = 0; c < C; c++) s.acc[o + c] = insn.accumulate ? wrap32(s.acc[o + c]! + array.sumOut(c)) : array.sumOut(c);
      m.sramWrite(u, t, SPACE_INDEX.acc, insn.acc + n);
    }
    m.count(u, F.arrayMacs, array.clock());
    // the reads above land in the read registers at this edge
    array.clearReads();
    if (tau < R) {
      const at = (insn.wgt + R - 1 - tau) * C;
      for (let c = 0; c < C; c++) array.wrd[c] = s.wgt[at + c]!;
      array.wrdValid = 1;
    }
    if (actEntry >= 0) {
      for (let r = 0; r < R; r++) array.ard[r] = s.act[actEntry * R + r]!;
      array.ardValid = 1;
    }
    const done = tau === 2 * R + C + insn.rows - 1;
    if (done) this.state = COMPUTE_STATE.idle;
    return done;
  }
}
