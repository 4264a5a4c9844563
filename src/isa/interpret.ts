// SPDX-License-Identifier: MIT
/**
 * The reference interpreter: executes a Program one instruction at a time, in program order,
 * in plain integer arithmetic. It DEFINES what every back end (sim, RTL, WASM) must compute,
 * bit for bit. Tokens and timing do not exist here: a correctly scheduled program computes the
 * same values when its units run concurrently.
 */
import { depthOf, type ArrayConfig } from './config.js';
import { accessesOf } from './effects.js';
import { opOf, poolWindowError } from './ops/index.js';
import { initialDram, readTensor, type Program } from './program.js';
import { isLoadBuffer, type Instruction } from './spec.js';
import { createState, type MachineState } from './state.js';

export { createState, type MachineState } from './state.js';

/** Programs deserializeProgram built, checked and deep-froze: nothing can change them, so they pass without a second look. */
const checked = new WeakSet<Program>();

/** For deserializeProgram only: `p` is its own fresh object, deep-frozen after checkProgram found nothing. */
export function rememberChecked(p: Program): void {
  checked.add(p);
}

/** Every access of every instruction inside its memory; returns the first violation or null. */
export function checkProgram(p: Program): string | null {
  if (checked.has(p)) return null;
  const sizes = { dram: p.dramSize, act: p.config.actDepth, wgt: p.config.wgtDepth, acc: p.config.accDepth, qnt: p.config.qntDepth, out: depthOf(p.config, 'out') };
  for (let i = 0; i < p.instructions.length; i++) {
    const insn = p.instructions[i] as Instruction;
    if ('rows' in insn && insn.rows < 1) return `instruction ${i} (${insn.op}) has rows = 0`;
    if (insn.op === 'matmul' && insn.inner < 1) return `instruction ${i} (matmul) has inner = 0`;
    const poolError = insn.op === 'threshold' ? poolWindowError(insn) : null;
    if (poolError !== null) return `instruction ${i} (threshold) ${poolError}`;
    if (insn.op === 'load' && !isLoadBuffer(insn.buf)) return `instruction ${i} (load) names buffer ${insn.buf}`;
    for (const a of accessesOf(insn, p.config)) {
      if (a.start < 0 || a.end > sizes[a.space]) return `instruction ${i} (${insn.op}) accesses ${a.space}[${a.start}, ${a.end}) outside [0, ${sizes[a.space]})`;
    }
  }
  if (p.insnLayer.length !== p.instructions.length || p.insnLayer.some((l) => !Number.isInteger(l) || l < 0 || l >= Math.max(1, p.layers.length))) return 'insnLayer does not give a layer for every instruction';
  const last = p.instructions[p.instructions.length - 1];
  if (last?.op !== 'halt') return 'the program does not end with halt';
  return null;
}

/** Execute one instruction on the state: its op record's `execute`, the semantics it states, literally. */
export function execute(s: MachineState, insn: Instruction, cfg: ArrayConfig): void {
  opOf(insn).execute(s, insn, cfg);
}

/** Run a whole program on one input (int8 codes, row-major); returns the output codes. */
export function interpret(p: Program, inputCodes: Int8Array): Int8Array {
  const state = createState(p.config, initialDram(p, inputCodes));
  for (const insn of p.instructions) execute(state, insn, p.config);
  return readTensor(state.dram, p.output);
}
