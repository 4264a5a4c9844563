// SPDX-License-Identifier: MIT
/**
 * Step mode's architectural state and its bookkeeping: the SRAMs and DRAM, and the one place
 * where a unit's access to them is counted, traced and checked against the high-water mark.
 */
import type { ArrayConfig } from '../src/isa/config.js';
import { createState, type MachineState } from '../src/isa/interpret.js';
import { initialDram, type Program } from '../src/isa/program.js';
import { emptyPeaks, F, newCounters } from './stats.js';
import { TraceRecorder } from './trace.js';

export class StepMachine {
  readonly state: MachineState;
  readonly cfg: ArrayConfig;
  readonly counters: Float64Array;
  readonly peak = emptyPeaks();
  readonly trace: TraceRecorder | null;
  /** Counter block of the instruction each unit (load, compute, store) is executing. */
  readonly block = new Int32Array(3);

  constructor(p: Program, inputCodes: Int8Array, trace: boolean) {
    this.cfg = p.config;
    this.state = createState(p.config, initialDram(p, inputCodes));
    this.counters = newCounters(p.layers.length);
    this.trace = trace ? new TraceRecorder() : null;
  }

  /** A buffer entry read (space = SPACE_INDEX, 1..5) by `unit` at cycle t. */
  sramRead(unit: number, t: number, space: number, entry: number): void {
    this.counters[this.block[unit]! + F.sramReads + space - 1]! += 1;
    this.touch(space, entry + 1);
    this.trace?.add(unit, t, space * 2, entry);
  }

  sramWrite(unit: number, t: number, space: number, entry: number): void {
    this.counters[this.block[unit]! + F.sramWrites + space - 1]! += 1;
    this.touch(space, entry + 1);
    this.trace?.add(unit, t, space * 2 + 1, entry);
  }

  /** DRAM bytes moved by one beat. */
  dramBeat(unit: number, write: boolean, addr: number, bytes: number): void {
    this.counters[this.block[unit]! + (write ? F.dramBytesWritten : F.dramBytesRead)]! += bytes;
    this.touch(0, addr + bytes);
  }

  /** A DRAM row transfer in the trace (row start address), separate from its beats. */
  dramRow(unit: number, t: number, write: boolean, addr: number): void {
    this.trace?.add(unit, t, write ? 1 : 0, addr);
  }

  count(unit: number, field: number, n: number): void {
    this.counters[this.block[unit]! + field]! += n;
  }

  private touch(space: number, end: number): void {
    if (end > this.peak[space]!) this.peak[space] = end;
  }
}
