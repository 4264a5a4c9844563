// SPDX-License-Identifier: MIT
/**
 * The reference interpreter: executes a Program one instruction at a time, in program order,
 * in plain integer arithmetic. It DEFINES what every back end (sim, RTL, WASM) must compute,
 * bit for bit. Tokens and timing do not exist here: a correctly scheduled program computes the
 * same values when its units run concurrently.
 */
import { internal } from '../diagnostics/error.js';
import { depthOf, type ArrayConfig } from './config.js';
import { accessesOf } from './effects.js';
import { mac, threshold } from './numerics.js';
import { initialDram, readTensor, type Program } from './program.js';
import { LOAD_BUFFER_LIST, matmulActRow, type Instruction } from './spec.js';

/** Architectural state. Buffers are flat: entry e, lane l lives at [e·lanes + l]. */
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

/** Every access of every instruction inside its memory; returns the first violation or null. */
export function checkProgram(p: Program): string | null {
  const sizes = { dram: p.dramSize, act: p.config.actDepth, wgt: p.config.wgtDepth, acc: p.config.accDepth, qnt: p.config.qntDepth, out: depthOf(p.config, 'out') };
  for (let i = 0; i < p.instructions.length; i++) {
    const insn = p.instructions[i] as Instruction;
    if ('rows' in insn && insn.rows < 1) return `instruction ${i} (${insn.op}) has rows = 0`;
    if (insn.op === 'matmul' && insn.inner < 1) return `instruction ${i} (matmul) has inner = 0`;
    if (insn.op === 'load' && LOAD_BUFFER_LIST[insn.buf] === undefined) return `instruction ${i} (load) names buffer ${insn.buf}`;
    for (const a of accessesOf(insn, p.config)) {
      if (a.start < 0 || a.end > sizes[a.space]) return `instruction ${i} (${insn.op}) accesses ${a.space}[${a.start}, ${a.end}) outside [0, ${sizes[a.space]})`;
    }
  }
  if (p.insnLayer.length !== p.instructions.length || p.insnLayer.some((l) => !Number.isInteger(l) || l < 0 || l >= Math.max(1, p.layers.length))) return 'insnLayer does not give a layer for every instruction';
  const last = p.instructions[p.instructions.length - 1];
  if (last?.op !== 'halt') return 'the program does not end with halt';
  return null;
}

function readI32(dram: Uint8Array, at: number): number {
  return (dram[at]! | (dram[at + 1]! << 8) | (dram[at + 2]! << 16) | (dram[at + 3]! << 24)) | 0;
}

/** Execute one instruction on the state (the semantics of spec.ts, literally). */
export function execute(s: MachineState, insn: Instruction, cfg: ArrayConfig): void {
  const { rows: R, cols: C } = cfg;
  switch (insn.op) {
    case 'load': {
      const buf = LOAD_BUFFER_LIST[insn.buf];
      for (let i = 0; i < insn.rows; i++) {
        const src = insn.dram + i * insn.stride;
        const e = insn.sram + i;
        if (buf === 'act') for (let l = 0; l < R; l++) s.act[e * R + l] = (s.dram[src + l]! << 24) >> 24;
        else if (buf === 'wgt') for (let l = 0; l < C; l++) s.wgt[e * C + l] = (s.dram[src + l]! << 24) >> 24;
        else if (buf === 'acc') for (let l = 0; l < C; l++) s.acc[e * C + l] = readI32(s.dram, src + 4 * l);
        else if (buf === 'qnt') {
          for (let l = 0; l < C; l++) {
            s.qntMult[e * C + l] = s.dram[src + 4 * l]! | (s.dram[src + 4 * l + 1]! << 8);
            s.qntShift[e * C + l] = s.dram[src + 4 * l + 2]!;
          }
        } else throw internal(`load to buffer ${insn.buf}`);
      }
      return;
    }
    case 'store':
      for (let i = 0; i < insn.rows; i++) {
        const dst = insn.dram + i * insn.stride;
        for (let l = 0; l < C; l++) s.dram[dst + l] = s.out[(insn.sram + i) * C + l]! & 0xff;
      }
      return;
    case 'matmul':
      for (let m = 0; m < insn.rows; m++) {
        const a = matmulActRow(insn, m) * R;
        const o = (insn.acc + m) * C;
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let r = 0; r < R; r++) sum = mac(sum, s.act[a + r]!, s.wgt[(insn.wgt + r) * C + c]!);
          s.acc[o + c] = insn.accumulate ? (s.acc[o + c]! + sum) | 0 : sum;
        }
      }
      return;
    case 'threshold':
      for (let m = 0; m < insn.rows; m++) {
        for (let c = 0; c < C; c++) {
          const q = insn.qnt * C + c;
          s.out[(insn.out + m) * C + c] = threshold(s.acc[(insn.acc + m) * C + c]!, s.qntMult[q]!, s.qntShift[q]!, insn.zp, insn.lo, insn.hi);
        }
      }
      return;
    case 'sync':
    case 'halt':
      return;
  }
}

/** Run a whole program on one input (int8 codes, row-major); returns the output codes. */
export function interpret(p: Program, inputCodes: Int8Array): Int8Array {
  const state = createState(p.config, initialDram(p, inputCodes));
  for (const insn of p.instructions) execute(state, insn, p.config);
  return readTensor(state.dram, p.output);
}
