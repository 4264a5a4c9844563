// SPDX-License-Identifier: MIT
/**
 * The reference interpreter: executes a Program one instruction at a time, in program order,
 * in plain integer arithmetic. It DEFINES what every back end (sim, RTL, WASM) must compute,
 * bit for bit. Tokens and timing do not exist here: a correctly scheduled program computes the
 * same values when its units run concurrently.
 */
import { accSplit, depthOf, type ArrayConfig } from './config.js';
import { accessesOf, type Access } from './effects.js';
import { opOf, poolWindowError } from './ops/index.js';
import { thresholdLetsMatmulIn } from './ops/threshold.js';
import { initialDram, readOutputs, writeTensor, type Program } from './program.js';
import { isLoadBuffer, type Instruction, type InstructionOf } from './spec.js';
import { bufferLanes, createState, type MachineState } from './state.js';

export { createState, type MachineState } from './state.js';

/** Programs validateProgram passed and found deep-frozen: nothing can change them, so they pass without a second look. */
const checked = new WeakSet<Program>();

/** For validateProgram only: `p` passed every check (checkProgram's and the race check) and is deep-frozen. */
export function rememberChecked(p: Program): void {
  checked.add(p);
}

/** `p` passed validateProgram (isa/validate.ts) and cannot have changed since: in bounds and free of races. */
export function wasValidated(p: Program): boolean {
  return checked.has(p);
}

/**
 * Every access of every instruction inside its memory; returns the first violation or null. With
 * `collect`, each instruction's accesses are appended to it (or, a function, handed to it: the
 * caller keeps what it needs, not half a million lists), and a validated program is checked all
 * the same.
 */
export function checkProgram(p: Program, collect?: Access[][] | ((accesses: readonly Access[]) => void)): string | null {
  if (collect === undefined && checked.has(p)) return null;
  const sizes = { dram: p.dramSize, act: p.config.actDepth, wgt: p.config.wgtDepth, acc: p.config.accDepth, qnt: p.config.qntDepth, out: depthOf(p.config, 'out') };
  const visit = typeof collect === 'function' ? collect : collect === undefined ? null : (a: Access[]): void => void collect.push(a);
  for (let i = 0; i < p.instructions.length; i++) {
    const insn = p.instructions[i] as Instruction;
    if ('rows' in insn && insn.rows < 1) return `instruction ${i} (${insn.op}) has rows = 0`;
    if (insn.op === 'matmul' && insn.inner < 1) return `instruction ${i} (matmul) has inner = 0`;
    if (insn.op === 'matmul' && insn.accumulate && insn.bias) return `instruction ${i} (matmul) sets both accumulate and bias`;
    const poolError = insn.op === 'threshold' ? poolWindowError(insn) : null;
    if (poolError !== null) return `instruction ${i} (threshold) ${poolError}`;
    if (insn.op === 'load' && !isLoadBuffer(insn.buf)) return `instruction ${i} (load) names buffer ${insn.buf}`;
    const accesses = accessesOf(insn, p.config);
    visit?.(accesses);
    for (let k = 0; k < accesses.length; k++) {
      const a = accesses[k]!;
      if (a.start < 0 || a.end > sizes[a.space]) return `instruction ${i} (${insn.op}) accesses ${a.space}[${a.start}, ${a.end}) outside [0, ${sizes[a.space]})`;
    }
    const bankError = insn.op === 'threshold' ? thresholdBankError(insn, accesses, p.config) : null;
    if (bankError !== null) return `instruction ${i} (threshold) ${bankError}`;
  }
  const layers = Math.max(1, p.layers.length);
  if (p.insnLayer.length !== p.instructions.length) return 'insnLayer does not give a layer for every instruction';
  for (let i = 0; i < p.insnLayer.length; i++) {
    const l = p.insnLayer[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= layers) return 'insnLayer does not give a layer for every instruction';
  }
  const last = p.instructions[p.instructions.length - 1];
  if (last?.op !== 'halt') return 'the program does not end with halt';
  return null;
}

/**
 * With two acc banks, a requantize-mode threshold reads only the half its `acc` field is in: the
 * timing rule (timing.ts accBanksApart) and the controller tell its bank from that field alone.
 */
function thresholdBankError(insn: InstructionOf<'threshold'>, accesses: readonly Access[], cfg: ArrayConfig): string | null {
  if (cfg.accBanks !== 2 || !thresholdLetsMatmulIn(insn)) return null;
  const split = accSplit(cfg);
  const rows = accesses.find((a) => a.space === 'acc' && !a.write)!;
  if (insn.acc >= split || rows.end <= split) return null;
  return `reads acc[${rows.start}, ${rows.end}) across the acc banks' boundary at ${split} (accBanks 2)`;
}

/** Execute one instruction on the state: its op record's `execute`, the semantics it states, literally. */
export function execute(s: MachineState, insn: Instruction, cfg: ArrayConfig): void {
  opOf(insn).execute(s, insn, cfg);
}

/** Run a whole program on one input (int8 codes, row-major); returns the output codes. */
export function interpret(p: Program, inputCodes: Int8Array): Int8Array {
  const state = freshState(p, inputCodes);
  for (const insn of p.instructions) execute(state, insn, p.config);
  return readOutputs(state.dram, p);
}

/**
 * createState(p.config, initialDram(p, inputCodes)), in the memory of the program's previous run
 * zeroed again (`--prove` interprets one program a thousand times: 130 kB of fresh buffers each on
 * the digits CNN). Kept per program while its config and DRAM size are the ones it was made for.
 */
const lastState = new WeakMap<Program, MachineState>();
function freshState(p: Program, inputCodes: Int8Array): MachineState {
  let s = lastState.get(p);
  const lanes = bufferLanes(p.config);
  if (s === undefined || s.dram.length !== p.dramSize || s.act.length !== lanes.act || s.wgt.length !== lanes.wgt || s.acc.length !== lanes.acc || s.qntMult.length !== lanes.qntMult || s.out.length !== lanes.out) {
    s = createState(p.config, initialDram(p, inputCodes));
    lastState.set(p, s);
    return s;
  }
  for (const buf of [s.act, s.wgt, s.acc, s.qntMult, s.qntShift, s.out]) buf.fill(0);
  s.dram.fill(0, p.constants.length);
  s.dram.set(p.constants, 0);
  writeTensor(s.dram, p.input, inputCodes);
  return s;
}
