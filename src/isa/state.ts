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

export function createState(cfg: ArrayConfig, dram: Uint8Array): MachineState {
  const { rows: R, cols: C } = cfg;
  return {
    dram,
    act: new Int8Array(cfg.actDepth * R),
    wgt: new Int8Array(cfg.wgtDepth * C),
    acc: new Int32Array(cfg.accDepth * C),
    qntMult: new Uint16Array(cfg.qntDepth * C),
    qntShift: new Uint8Array(cfg.qntDepth * C),
    out: new Int8Array(cfg.outDepth * C),
  };
}
