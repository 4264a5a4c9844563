// SPDX-License-Identifier: MIT
/**
 * Step mode's DMA engines, beat by beat: a beat of up to dramBytesPerCycle bytes leaves every
 * cycle and lands dramLatency cycles later (a delay line); a load writes a buffer entry when the
 * last beat of its row lands, a store reads an out entry when the row's first beat leaves.
 */
import { execute, type MachineState } from '../src/isa/interpret.js';
import { entryBytes, loadBufferOf, NO_TOKENS, type InstructionOf } from '../src/isa/spec.js';
import type { StepMachine } from './machine.js';
import { SPACE_INDEX, UNIT_INDEX } from './stats.js';

/** Unit FSM states, as the controller (and the VCD) numbers them. */
export const DMA_STATE = { idle: 0, request: 1, drain: 2 } as const;

/** Beats in flight: slot k % slots holds the bytes of beat k until it lands. */
class DelayLine {
  readonly slots: number;
  readonly data: Uint8Array;
  constructor(
    readonly beatBytes: number,
    latency: number,
    beats: number,
  ) {
    this.slots = Math.max(1, Math.min(latency + 1, beats));
    this.data = new Uint8Array(this.slots * beatBytes);
  }
  slot(k: number): number {
    return (k % this.slots) * this.beatBytes;
  }
}

/** Geometry of one DMA instruction: E bytes per row, `beats` beats per row, bw bytes per beat. */
function geometry(m: StepMachine, rowBytes: number, rows: number): { bw: number; beats: number; total: number; line: DelayLine } {
  const bw = m.cfg.dramBytesPerCycle;
  const beats = Math.ceil(rowBytes / bw);
  return { bw, beats, total: rows * beats, line: new DelayLine(Math.min(bw, rowBytes), m.cfg.dramLatency, rows * beats) };
}

export class LoadDma {
  state: number = DMA_STATE.idle;
  private insn!: InstructionOf<'load'>;
  private g!: ReturnType<typeof geometry>;
  private e = 0;
  private rowReg = new Uint8Array(0);
  private rowView!: MachineState;
  /** Whether the last tick wrote the load's first row (a chained matmul may take its token from the next cycle). */
  wroteFirstRow = false;

  constructor(private readonly m: StepMachine) {}

  begin(insn: InstructionOf<'load'>): void {
    this.insn = insn;
    this.e = entryBytes(loadBufferOf(insn.buf), this.m.cfg.rows, this.m.cfg.cols);
    this.g = geometry(this.m, this.e, insn.rows);
    if (this.rowReg.length !== this.e) this.rowReg = new Uint8Array(this.e);
    this.rowView = { ...this.m.state, dram: this.rowReg };
    this.state = DMA_STATE.request;
  }

  /** Local cycle τ of the current load; true on its last cycle. */
  tick(tau: number, t: number): boolean {
    const { insn, g, e, m } = this;
    const u = UNIT_INDEX.load;
    if (tau < g.total) {
      const i = Math.floor(tau / g.beats);
      const off = (tau % g.beats) * g.bw;
      const addr = insn.dram + i * insn.stride + off;
      const len = Math.min(g.bw, e - off);
      if (off === 0) m.dramRow(u, t, false, insn.dram + i * insn.stride);
      g.line.data.set(m.state.dram.subarray(addr, addr + len), g.line.slot(tau));
      m.dramBeat(u, false, addr, len);
    } else this.state = DMA_STATE.drain;
    const k = tau - m.cfg.dramLatency;
    this.wroteFirstRow = k === g.beats - 1;
    if (k >= 0 && k < g.total) {
      const off = (k % g.beats) * g.bw;
      const at = g.line.slot(k);
      this.rowReg.set(g.line.data.subarray(at, at + Math.min(g.bw, e - off)), off);
      if (k % g.beats === g.beats - 1) {
        const entry = insn.sram + Math.floor(k / g.beats);
        // the row register is decoded into lanes exactly as interpret.ts loads one row
        execute(this.rowView, { op: 'load', ...NO_TOKENS, buf: insn.buf, sram: entry, rows: 1, dram: 0, stride: 0 }, m.cfg);
        m.sramWrite(u, t, SPACE_INDEX[loadBufferOf(insn.buf)], entry);
      }
    }
    const done = tau === m.cfg.dramLatency + g.total - 1;
    if (done) this.state = DMA_STATE.idle;
    return done;
  }
}

export class StoreDma {
  state: number = DMA_STATE.idle;
  private insn!: InstructionOf<'store'>;
  private g!: ReturnType<typeof geometry>;
  private rowReg = new Uint8Array(0);
  private rowView!: MachineState;

  constructor(private readonly m: StepMachine) {}

  begin(insn: InstructionOf<'store'>): void {
    const C = this.m.cfg.cols;
    this.insn = insn;
    this.g = geometry(this.m, C, insn.rows);
    if (this.rowReg.length !== C) this.rowReg = new Uint8Array(C);
    this.rowView = { ...this.m.state, dram: this.rowReg };
    this.state = DMA_STATE.request;
  }

  tick(tau: number, t: number): boolean {
    const { insn, g, m } = this;
    const C = m.cfg.cols;
    const u = UNIT_INDEX.store;
    let readRow = -1;
    if (tau < g.total) {
      const i = Math.floor(tau / g.beats);
      const off = (tau % g.beats) * g.bw;
      if (off === 0) {
        // the out entry becomes DRAM bytes exactly as interpret.ts stores one row
        execute(this.rowView, { op: 'store', ...NO_TOKENS, sram: insn.sram + i, rows: 1, dram: 0, stride: 0 }, m.cfg);
        readRow = insn.sram + i;
      }
      g.line.data.set(this.rowReg.subarray(off, off + Math.min(g.bw, C - off)), g.line.slot(tau));
    } else this.state = DMA_STATE.drain;
    const k = tau - m.cfg.dramLatency;
    if (k >= 0 && k < g.total) {
      const i = Math.floor(k / g.beats);
      const off = (k % g.beats) * g.bw;
      const len = Math.min(g.bw, C - off);
      const addr = insn.dram + i * insn.stride + off;
      const at = g.line.slot(k);
      m.state.dram.set(g.line.data.subarray(at, at + len), addr);
      m.dramBeat(u, true, addr, len);
      if (k % g.beats === g.beats - 1) m.dramRow(u, t, true, insn.dram + i * insn.stride);
    }
    // trace order within a cycle is by space: the landing DRAM write before the out read
    if (readRow >= 0) m.sramRead(u, t, SPACE_INDEX.out, readRow);
    const done = tau === m.cfg.dramLatency + g.total - 1;
    if (done) this.state = DMA_STATE.idle;
    return done;
  }
}
