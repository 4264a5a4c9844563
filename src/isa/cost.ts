// SPDX-License-Identifier: MIT
/**
 * The static certificate: what one inference costs, computed from the Program and its
 * ArrayConfig alone (no input data). The simulator must reproduce every figure on any input.
 */
import { createHash } from 'node:crypto';
import { bufferBytes, type ArrayConfig } from './config.js';
import { wordsOf } from './encode.js';
import { accessesOf } from './effects.js';
import { opOf, UNIT_OF, type Tally } from './ops/index.js';
import type { Program } from './program.js';
import { BUFFER_LIST, entryBytes, loadBufferOf, OPCODE_LIST, type Buffer, type Instruction, type Opcode, type Space, type WorkUnit } from './spec.js';
import { scheduleArrays } from './timing.js';

export interface LayerCost {
  readonly name: string;
  readonly cycles: number;
  readonly macs: number;
  readonly utilization: number;
}

/** The figures the certificate states and the simulator measures, under the same names. */
export interface CostFigures {
  readonly cycles: number;
  /** Useful multiply-accumulates (the model's own MACs, from the program's layer table). */
  readonly macs: number;
  /** MACs the array performs including padding lanes: R·C per streamed row per matmul. */
  readonly arrayMacs: number;
  /** macs ÷ (R·C·cycles). */
  readonly utilization: number;
  readonly dramBytesRead: number;
  readonly dramBytesWritten: number;
  /** Buffer entries read and written, per buffer. */
  readonly sramReads: Readonly<Record<Buffer, number>>;
  readonly sramWrites: Readonly<Record<Buffer, number>>;
  readonly busyCycles: Readonly<Record<WorkUnit, number>>;
}

export interface Certificate extends CostFigures {
  readonly programHash: string;
  /** Highest byte any instruction touches, per memory (+1), and the buffers' capacities. */
  readonly peakBytes: Readonly<Record<Space, number>>;
  readonly capacityBytes: Readonly<Record<Buffer, number>>;
  readonly instructions: Readonly<Record<Opcode, number>>;
  readonly layers: readonly LayerCost[];
}

export function hashProgram(p: Program): string {
  const { buffer, byteOffset, byteLength } = p.constants; // hash() only reads this view
  return createHash('sha256').update(wordsOf(p.instructions)).update(new Uint8Array(buffer, byteOffset, byteLength)).digest('hex');
}

const perBuffer = (): Record<Buffer, number> => ({ act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 });

export function emptyTally(): Tally {
  return { arrayMacs: 0, dramBytesRead: 0, dramBytesWritten: 0, sramReads: perBuffer(), sramWrites: perBuffer() };
}

/** One instruction's certificate figures added onto `tally`: the one definition of them (its op record's `count`). */
export function tallyInstruction(insn: Instruction, cfg: ArrayConfig, tally: Tally): void {
  opOf(insn).count(insn, cfg, tally);
}

/**
 * The layer instruction i belongs to: Program.insnLayer, the one statement of layer membership
 * (LayerInfo.firstInsn only places a layer's heading in listings). Null for halt, which ends the
 * program rather than any layer.
 */
export function layerOfInstruction(p: Program, i: number): number | null {
  const l = p.insnLayer[i];
  const insn = p.instructions[i];
  return l === undefined || insn === undefined || l >= p.layers.length || UNIT_OF[insn.op] === 'fetch' ? null : l;
}

/** Instructions per layer (halt counts for none). */
export function layerInstructionCounts(p: Program): number[] {
  const counts = p.layers.map(() => 0);
  // a loop, not forEach with a closure: it runs once, cold, over every instruction of `nnchip lower`'s program
  for (let i = 0; i < p.instructions.length; i++) {
    const l = layerOfInstruction(p, i);
    if (l !== null) counts[l]!++;
  }
  return counts;
}

/**
 * Whether an instruction loads constants (weights, biases, requant parameters, step tables: every
 * load but the act buffer's). The lowering issues them ahead, under the previous layer's work.
 */
const loadsConstants = (insn: Instruction): boolean => insn.op === 'load' && loadBufferOf(insn.buf) !== 'act';

/**
 * Layer cycles: from a layer's first instruction's start to its last one's end (layers overlap),
 * except that constants it loads while the previous layer still runs count from that layer's end:
 * they wait in their buffers for it (the batch-64 digits MLP's dense_2 loaded its bias 515 cycles
 * before its first act load, and was charged them).
 */
export function layerCycles(p: Program, start: ArrayLike<number>, end: ArrayLike<number>): number[] {
  const first = p.layers.map(() => Infinity);
  const firstConstant = p.layers.map(() => Infinity);
  const last = p.layers.map(() => -Infinity);
  for (let i = 0; i < p.instructions.length; i++) {
    const l = layerOfInstruction(p, i);
    if (l === null) continue;
    if (loadsConstants(p.instructions[i]!)) firstConstant[l] = Math.min(firstConstant[l]!, start[i]!);
    else first[l] = Math.min(first[l]!, start[i]!);
    last[l] = Math.max(last[l]!, end[i]!);
  }
  for (let l = 0; l < first.length; l++) first[l] = Math.min(first[l]!, Math.max(firstConstant[l]!, l > 0 ? last[l - 1]! : -Infinity));
  return p.layers.map((_, l) => (first[l] === Infinity ? 0 : last[l]! - first[l]!));
}

export function certify(p: Program): Certificate {
  const schedule = scheduleArrays(p.instructions, p.config);
  const cfg = p.config;
  const tally = emptyTally();
  const instructions = Object.fromEntries(OPCODE_LIST.map((op) => [op, 0])) as Record<Opcode, number>;
  const busy = { load: 0, compute: 0, store: 0 };
  const peakBytes: Record<Space, number> = { dram: 0, act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 };
  // bytes per entry of each space, and the highest entry end each one saw (scaled once, after the loop)
  const entry: Record<Space, number> = { dram: 1, act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 };
  for (const b of BUFFER_LIST) entry[b] = entryBytes(b, cfg.rows, cfg.cols);
  const peakEnd: Record<Space, number> = { dram: 0, act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 };
  const n = p.instructions.length;
  for (let i = 0; i < n; i++) {
    const insn = p.instructions[i]!;
    instructions[insn.op]++;
    tallyInstruction(insn, cfg, tally);
    const accesses = accessesOf(insn, cfg);
    for (let k = 0; k < accesses.length; k++) {
      const a = accesses[k]!;
      if (a.end > peakEnd[a.space]) peakEnd[a.space] = a.end;
    }
    const unit = UNIT_OF[insn.op];
    if (unit !== 'fetch') busy[unit] += schedule.busy[i]!;
  }
  // (max of end · bytes = bytes · max of end: bytes per entry are positive; an end ≤ 0 leaves the 0)
  for (const space of Object.keys(peakBytes) as Space[]) peakBytes[space] = Math.max(0, peakEnd[space] * entry[space]);
  const capacityBytes = Object.fromEntries(BUFFER_LIST.map((b) => [b, bufferBytes(cfg, b)])) as Record<Buffer, number>;
  const macs = p.layers.reduce((a, l) => a + l.macs, 0);
  const cycles = layerCycles(p, schedule.start, schedule.end);
  const layers = p.layers.map((l, li) => {
    const c = cycles[li]!;
    return { name: l.name, cycles: c, macs: l.macs, utilization: c === 0 ? 0 : l.macs / (c * cfg.rows * cfg.cols) };
  });
  return {
    programHash: hashProgram(p),
    cycles: schedule.cycles,
    macs,
    arrayMacs: tally.arrayMacs,
    utilization: macs / (schedule.cycles * cfg.rows * cfg.cols),
    dramBytesRead: tally.dramBytesRead,
    dramBytesWritten: tally.dramBytesWritten,
    sramReads: tally.sramReads,
    sramWrites: tally.sramWrites,
    peakBytes,
    capacityBytes,
    instructions,
    busyCycles: busy,
    layers,
  };
}
