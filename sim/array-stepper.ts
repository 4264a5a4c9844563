// SPDX-License-Identifier: MIT
/**
 * Step mode's R×C weight-stationary array, register by register (docs/hardware.md): each PE holds an
 * active and a shadow weight; a tile's preload fills the shadows along a diagonal write wave while
 * the previous tile streams, and a swap bit travelling one cycle ahead of the new tile's first act
 * row makes them active.
 * Activations enter through a row skew and move right, partial sums move down, a column de-skew
 * lines the C sums up for the accumulator.
 */
import { mac, wrap32 } from '../src/isa/numerics.js';
import { matmulActRow, type InstructionOf } from '../src/isa/spec.js';
import type { StepMachine } from './machine.js';
import { F, SPACE_INDEX, UNIT_INDEX } from './stats.js';

/** A column's sum as the accumulator adds it: times 2^shift (the matmul's `shift`: RTL nnchip_matmul.v), wrapped to int32. */
const shifted = (sum: number, shift: number): number => wrap32(sum * 2 ** shift);

/** Compute-unit FSM states (the VCD shows them): the matmul phases, then threshold and sync. */
export const COMPUTE_STATE = { idle: 0, preload: 1, stream: 2, drain: 3, threshold: 4, sync: 5 } as const;

export class SystolicArray {
  /** PE(r, c) registers at index r·C + c: active and shadow weight, shadow write wave, activation passed right (+ valid, + swap), partial sum passed down. */
  readonly w: Int32Array;
  readonly ws: Int32Array;
  readonly we: Uint8Array;
  readonly a: Int32Array;
  readonly av: Uint8Array;
  readonly asw: Uint8Array;
  readonly p: Int32Array;
  /** Row skew: lane r delays by r registers (lane r's chain starts at skewAt[r]); column de-skew: C−1−c; wgt lane c delays c (at wdelayAt[c]). */
  readonly skew: Int32Array;
  readonly skewV: Uint8Array;
  readonly skewS: Uint8Array;
  readonly deskew: Int32Array;
  readonly wdelay: Int32Array;
  private readonly skewAt: Int32Array;
  private readonly deskewAt: Int32Array;
  /** SRAM read registers: one wgt entry (C lanes) and one act entry (R lanes), with valid bits; the wave start; the swap bit (not a register: it enters with the act read of the tile's first row). */
  readonly wrd: Int32Array;
  wrdValid = 0;
  wgo = 0;
  readonly ard: Int32Array;
  ardValid = 0;
  swapIn = 0;
  private readonly laneIn: Int32Array;
  private readonly laneV: Uint8Array;
  private readonly laneS: Uint8Array;
  private readonly colIn: Int32Array;
  /** Cycles since anything but zeros entered: past the pipeline depth a clock changes nothing. */
  private quiet = 0;

  constructor(
    readonly R: number,
    readonly C: number,
  ) {
    this.w = new Int32Array(R * C);
    this.ws = new Int32Array(R * C);
    this.we = new Uint8Array(R * C);
    this.a = new Int32Array(R * C);
    this.av = new Uint8Array(R * C);
    this.asw = new Uint8Array(R * C);
    this.p = new Int32Array(R * C);
    this.skewAt = Int32Array.from({ length: R }, (_, r) => (r * (r - 1)) / 2);
    this.deskewAt = Int32Array.from({ length: C }, (_, c) => (c * (2 * C - 1 - c)) / 2);
    this.skew = new Int32Array((R * (R - 1)) / 2);
    this.skewV = new Uint8Array(this.skew.length);
    this.skewS = new Uint8Array(this.skew.length);
    this.deskew = new Int32Array((C * (C - 1)) / 2);
    this.wdelay = new Int32Array((C * (C - 1)) / 2);
    this.wrd = new Int32Array(C);
    this.ard = new Int32Array(R);
    this.laneIn = new Int32Array(R);
    this.laneV = new Uint8Array(R);
    this.laneS = new Uint8Array(R);
    this.colIn = new Int32Array(C);
  }

  /** The de-skewed partial sum of column c this cycle (what reaches the accumulator). */
  sumOut(c: number): number {
    const len = this.C - 1 - c;
    return len === 0 ? this.p[(this.R - 1) * this.C + c]! : this.deskew[this.deskewAt[c]! + len - 1]!;
  }

  /** One clock edge of every register; returns the MACs done on valid activations. */
  clock(): number {
    const { R, C, w, ws, we, a, av, asw, p } = this;
    if (this.ardValid || this.wrdValid || this.wgo || this.swapIn) this.quiet = 0;
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
      this.laneS[r] = r === 0 ? this.swapIn : this.skewS[at + r - 1]!;
      for (let j = r - 1; j > 0; j--) {
        this.skew[at + j] = this.skew[at + j - 1]!;
        this.skewV[at + j] = this.skewV[at + j - 1]!;
        this.skewS[at + j] = this.skewS[at + j - 1]!;
      }
      if (r > 0) {
        this.skew[at] = this.ard[r]!;
        this.skewV[at] = this.ardValid;
        this.skewS[at] = this.swapIn;
      }
    }
    // wgt lane c reaches column c after c registers (the same shape as the row skew, c stages)
    for (let c = 0; c < C; c++) {
      const at = (c * (c - 1)) / 2;
      this.colIn[c] = c === 0 ? this.wrd[0]! : this.wdelay[at + c - 1]!;
      for (let j = c - 1; j > 0; j--) this.wdelay[at + j] = this.wdelay[at + j - 1]!;
      if (c > 0) this.wdelay[at] = this.wrd[c]!;
    }
    // PEs from the bottom-right corner back, so each reads its neighbours' old values
    let macs = 0;
    for (let r = R - 1; r >= 0; r--) {
      for (let c = C - 1; c >= 0; c--) {
        const i = r * C + c;
        const ain = c === 0 ? this.laneIn[r]! : a[i - 1]!;
        const vin = c === 0 ? this.laneV[r]! : av[i - 1]!;
        const sin = c === 0 ? this.laneS[r]! : asw[i - 1]!;
        // the write wave runs down column 0 and right along each row: PE(r, c) writes on τ = 1 + r + c
        const wein = c > 0 ? we[i - 1]! : r > 0 ? we[i - C]! : this.wgo;
        p[i] = mac(r === 0 ? 0 : p[i - C]!, ain, w[i]!);
        // the swap bit runs one cycle ahead of the tile's first row (R = 1: the shadow is written in this cycle)
        if (sin) w[i] = wein ? this.colIn[c]! : ws[i]!;
        if (wein) ws[i] = this.colIn[c]!;
        we[i] = wein;
        a[i] = ain;
        av[i] = vin;
        asw[i] = sin;
        macs += vin;
      }
    }
    return macs;
  }

  /** Nothing read this cycle: the read registers clear at the edge. */
  clearReads(): void {
    this.wrdValid = 0;
    this.wgo = 0;
    this.ardValid = 0;
    this.swapIn = 0;
    this.ard.fill(0);
  }
}

/** One matmul in flight: its instruction index, record and start cycle. */
interface InFlight {
  readonly i: number;
  readonly insn: InstructionOf<'matmul'>;
  readonly start: number;
}

/**
 * The matmul FSMs: SRAM reads on the documented cycles, one array clock per cycle, acc
 * read-modify-write. Consecutive matmuls overlap (timing.ts: the next starts after `occupancy`),
 * so several are in flight: the newest preloading, one streaming, older ones draining.
 */
export class MatmulUnit {
  /** In start order; completions come in the same order. */
  readonly inFlight: InFlight[] = [];
  /** Instructions that completed in the last tick (their last acc write was this cycle). */
  readonly completed: number[] = [];
  state: number = COMPUTE_STATE.idle;
  /**
   * The bias register: C lanes of acc entry `acc` as a bias matmul's row 0 read it, held for its
   * rows ≥ 1 (row 0 overwrites the entry). One suffices: matmuls write acc one row a cycle, in
   * start order, and the next one's rows come after this one's (issue interval ≥ rows + 1).
   */
  readonly heldBias: Int32Array;

  constructor(
    private readonly m: StepMachine,
    readonly array: SystolicArray,
  ) {
    this.heldBias = new Int32Array(m.cfg.cols);
  }

  begin(i: number, insn: InstructionOf<'matmul'>, t: number): void {
    this.inFlight.push({ i, insn, start: t });
  }

  /** One cycle of every matmul in flight; true when the newest one's issue interval ends this cycle. */
  tick(t: number): boolean {
    const { m, array } = this;
    const { rows: R, cols: C } = m.cfg;
    const s = m.state;
    const u = UNIT_INDEX.compute;
    let wgtEntry = -1;
    let actEntry = -1;
    let first = 0;
    let go = 0;
    this.completed.length = 0;
    for (const f of this.inFlight) {
      const { insn } = f;
      const tau = t - f.start;
      // act row m leaves the buffer at τ = R + m
      const row = tau - R;
      if (row >= 0 && row < insn.rows) {
        actEntry = matmulActRow(insn, row);
        first = row === 0 ? 1 : 0;
        m.sramRead(u, t, SPACE_INDEX.act, actEntry);
      }
      // the preload reads wgt entry wgt + τ
      if (tau < R) {
        wgtEntry = insn.wgt + tau;
        go = tau === 0 ? 1 : 0;
        m.sramRead(u, t, SPACE_INDEX.wgt, wgtEntry);
      }
      // the C de-skewed sums of row n reach the accumulator together at τ = 2R + C + n
      const n = tau - 2 * R - C;
      if (n >= 0) {
        const o = (insn.acc + n) * C;
        if (insn.accumulate) {
          m.sramRead(u, t, SPACE_INDEX.acc, insn.acc + n);
          for (let c = 0; c < C; c++) s.acc[o + c] = wrap32(s.acc[o + c]! + shifted(array.sumOut(c), insn.shift));
        } else if (insn.bias) {
          // row 0 reads the bias entry (acc + 0) into the held register before writing over it; later rows add the held value
          if (n === 0) {
            m.sramRead(u, t, SPACE_INDEX.acc, insn.acc);
            for (let c = 0; c < C; c++) this.heldBias[c] = s.acc[o + c]!;
          }
          for (let c = 0; c < C; c++) s.acc[o + c] = wrap32(this.heldBias[c]! + shifted(array.sumOut(c), insn.shift));
        } else for (let c = 0; c < C; c++) s.acc[o + c] = shifted(array.sumOut(c), insn.shift);
        m.sramWrite(u, t, SPACE_INDEX.acc, insn.acc + n);
      }
      if (tau === 2 * R + C + insn.rows - 1) this.completed.push(f.i);
    }
    array.swapIn = first;
    m.count(u, F.arrayMacs, array.clock());
    // the reads above land in the read registers at this edge
    array.clearReads();
    if (wgtEntry >= 0) {
      const at = wgtEntry * C;
      for (let c = 0; c < C; c++) array.wrd[c] = s.wgt[at + c]!;
      array.wrdValid = 1;
      array.wgo = go;
    }
    if (actEntry >= 0) {
      for (let r = 0; r < R; r++) array.ard[r] = s.act[actEntry * R + r]!;
      array.ardValid = 1;
    }
    const newest = this.inFlight[this.inFlight.length - 1];
    const tau = newest === undefined ? -1 : t - newest.start;
    this.state = newest === undefined ? COMPUTE_STATE.idle : tau < R ? COMPUTE_STATE.preload : tau < R + newest.insn.rows ? COMPUTE_STATE.stream : COMPUTE_STATE.drain;
    this.inFlight.splice(0, this.completed.length);
    // the next matmul may start once the wgt port is free (preload done) and one cycle past the stream's last act read
    return newest !== undefined && tau === Math.max(R - 1, newest.insn.rows);
  }
}
