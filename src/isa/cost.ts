// SPDX-License-Identifier: MIT
/**
 * The static certificate: what one inference costs, computed from the Program and its
 * ArrayConfig alone (no input data). The simulator must reproduce every figure on any input.
 */
import { createHash } from 'node:crypto';
import { bufferBytes } from './config.js';
import { encodeAll } from './encode.js';
import { accessesOf, type Space } from './effects.js';
import type { Program } from './program.js';
import { BUFFER_LIST, entryBytes, LOAD_BUFFER_LIST, UNIT_OF, type Opcode } from './spec.js';
import { scheduleTimes, type Schedule } from './timing.js';

export interface LayerCost {
  readonly name: string;
  readonly cycles: number;
  readonly macs: number;
  readonly utilization: number;
}

export interface Certificate {
  readonly programHash: string;
  readonly cycles: number;
  /** Useful multiply-accumulates (the model's own MACs). */
  readonly macs: number;
  /** MACs the array performs including padding lanes: R·C per streamed row per matmul. */
  readonly arrayMacs: number;
  readonly utilization: number;
  readonly dramBytesRead: number;
  readonly dramBytesWritten: number;
  /** Buffer entries read and written, per buffer. */
  readonly sramReads: Readonly<Record<Exclude<Space, 'dram'>, number>>;
  readonly sramWrites: Readonly<Record<Exclude<Space, 'dram'>, number>>;
  /** Highest byte any instruction touches, per memory (+1), and the buffers' capacities. */
  readonly peakBytes: Readonly<Record<Space, number>>;
  readonly capacityBytes: Readonly<Record<Exclude<Space, 'dram'>, number>>;
  readonly instructions: Readonly<Record<Opcode, number>>;
  readonly busyCycles: Readonly<Record<'load' | 'compute' | 'store', number>>;
  readonly layers: readonly LayerCost[];
}

const SRAMS = BUFFER_LIST;

export function hashProgram(p: Program): string {
  const { buffer, byteOffset, byteLength } = p.constants; // hash() only reads this view
  return createHash('sha256').update(encodeAll(p.instructions)).update(new Uint8Array(buffer, byteOffset, byteLength)).digest('hex');
}

export function certify(p: Program, schedule: Schedule = scheduleTimes(p.instructions, p.config)): Certificate {
  const cfg = p.config;
  const zero = (): Record<Exclude<Space, 'dram'>, number> => ({ act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 });
  const sramReads = zero();
  const sramWrites = zero();
  const instructions = { load: 0, store: 0, matmul: 0, threshold: 0, sync: 0, halt: 0 } satisfies Record<Opcode, number>;
  const busy = { load: 0, compute: 0, store: 0 };
  let dramBytesRead = 0;
  let dramBytesWritten = 0;
  let arrayMacs = 0;
  const peakBytes: Record<Space, number> = { dram: 0, act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 };
  p.instructions.forEach((insn, i) => {
    instructions[insn.op]++;
    for (const a of accessesOf(insn, cfg)) peakBytes[a.space] = Math.max(peakBytes[a.space], a.end * (a.space === 'dram' ? 1 : entryBytes(a.space, cfg.rows, cfg.cols)));
    const t = schedule.timings[i]!;
    const unit = UNIT_OF[insn.op];
    if (unit !== 'fetch') busy[unit] += t.end - t.start;
    if (insn.op === 'load') dramBytesRead += insn.rows * entryBytes(LOAD_BUFFER_LIST[insn.buf] ?? 'act', cfg.rows, cfg.cols);
    if (insn.op === 'store') dramBytesWritten += insn.rows * cfg.cols;
    if (insn.op === 'matmul') {
      arrayMacs += insn.rows * cfg.rows * cfg.cols;
      sramReads.wgt += cfg.rows; // the weight preload reads the tile once
      sramReads.act += insn.rows;
      if (insn.accumulate) sramReads.acc += insn.rows;
      sramWrites.acc += insn.rows;
      return;
    }
    for (const a of accessesOf(insn, cfg)) {
      if (a.space === 'dram') continue;
      (a.write ? sramWrites : sramReads)[a.space] += a.space === 'qnt' && insn.op === 'threshold' ? 1 : a.end - a.start;
    }
  });
  const capacityBytes = Object.fromEntries(SRAMS.map((b) => [b, bufferBytes(cfg, b)])) as Record<Exclude<Space, 'dram'>, number>;
  const macs = p.layers.reduce((a, l) => a + l.macs, 0);
  // a layer's cycles: from its first instruction's start to its last one's end (layers overlap)
  const first = p.layers.map(() => Infinity);
  const last = p.layers.map(() => -Infinity);
  p.insnLayer.forEach((l, i) => {
    const t = schedule.timings[i]!;
    if (p.instructions[i]!.op === 'halt' || l >= p.layers.length) return;
    first[l] = Math.min(first[l]!, t.start);
    last[l] = Math.max(last[l]!, t.end);
  });
  const layers = p.layers.map((l, li) => {
    const cycles = first[li] === Infinity ? 0 : last[li]! - first[li]!;
    return { name: l.name, cycles, macs: l.macs, utilization: cycles === 0 ? 0 : l.macs / (cycles * cfg.rows * cfg.cols) };
  });
  return {
    programHash: hashProgram(p),
    cycles: schedule.cycles,
    macs,
    arrayMacs,
    utilization: macs / (schedule.cycles * cfg.rows * cfg.cols),
    dramBytesRead,
    dramBytesWritten,
    sramReads,
    sramWrites,
    peakBytes,
    capacityBytes,
    instructions,
    busyCycles: busy,
    layers,
  };
}
