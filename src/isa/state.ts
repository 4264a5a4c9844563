// SPDX-License-Identifier: MIT
/** The architectural state every instruction's `execute` (isa/ops/<op>.ts) reads and writes. */
import type { ArrayConfig } from './config.js';

/** Buffers are flat: entry e, lane l lives at [e·lanes + l]. */
export interface MachineState {
  readonly dram: Uint8Array;
  readonly act: Int8Array;
  readonly wgt: Int8Array;
  readonly acc: Int32Array;
  readonly qntMult: Uint16Array;
  readonly qntShift: Uint8Array;
  readonly out: Int8Array;
}

/** Lanes of each buffer for the machine (createState's sizes, for callers that lay the buffers out themselves). */
export function bufferLanes(cfg: ArrayConfig): { act: number; wgt: number; acc: number; qntMult: number; qntShift: number; out: number } {
  const { rows: R, cols: C } = cfg;
  return { act: cfg.actDepth * R, wgt: cfg.wgtDepth * C, acc: cfg.accDepth * C, qntMult: cfg.qntDepth * C, qntShift: cfg.qntDepth * C, out: cfg.outDepth * C };
}

export function createState(cfg: ArrayConfig, dram: Uint8Array): MachineState {
  const lanes = bufferLanes(cfg);
  return {
    dram,
    act: new Int8Array(lanes.act),
    wgt: new Int8Array(lanes.wgt),
    acc: new Int32Array(lanes.acc),
    qntMult: new Uint16Array(lanes.qntMult),
    qntShift: new Uint8Array(lanes.qntShift),
    out: new Int8Array(lanes.out),
  };
}
