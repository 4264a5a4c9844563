// SPDX-License-Identifier: MIT
/**
 * Fast mode's counters and high-water marks, one instruction at a time: a matmul's, a load's and a
 * store's from its fields, a threshold's from its trace records (pooling windows and step tables
 * read the acc rows in patterns not worth a closed form). The two ways agree: fast = step on every
 * counter (test/property/sim.test.ts).
 */
import type { ArrayConfig } from '../src/isa/config.js';
import { matmulAccReads } from '../src/isa/ops/index.js';
import { entryBytes, loadBufferOf, matmulActRow, SPACES, type Instruction, type InstructionOf } from '../src/isa/spec.js';
import { F, SPACE_INDEX } from './stats.js';
import { bufferWriteCode, CODE } from './trace.js';

/**
 * One instruction's counters (`c` from counter block `b` on) and high-water marks (`peak`, by space),
 * given its trace records [from, to) of `fields` ([cycle, code, addr] each).
 */
export function tallyInstruction(c: Float64Array, peak: Float64Array, b: number, insn: Instruction, cfg: ArrayConfig, t: TallyTables, fields: Uint32Array, from: number, to: number): void {
  if (insn.op === 'matmul') tallyMatmul(c, peak, b, insn, cfg, t);
  else if (insn.op === 'load' || insn.op === 'store') tallyDma(c, peak, b, insn, t);
  else tallyAccesses(c, peak, b, fields, from, to, t);
}

/**
 * Per access code (space · 2 + write), what tallyAccesses adds: to which counter (`counter`), by
 * how much (`amount`: 1 entry, or a DRAM row's bytes, set per instruction), how far past the
 * address the high-water mark reaches (`extent`, likewise), and the array MACs (R·C per act row).
 * Tables keep its loop free of branches and property reads: a branch it had not taken yet
 * deoptimized it (dozens of times in one program).
 */
export interface TallyTables {
  readonly counter: Int32Array;
  readonly amount: Float64Array;
  readonly extent: Float64Array;
  readonly macs: Float64Array;
  /** Bytes per entry, by space index (DRAM: 0). */
  readonly entry: Float64Array;
}

export function tallyTables(cfg: ArrayConfig): TallyTables {
  const codes = 2 * SPACES.length;
  const counter = Int32Array.from({ length: codes }, (_, code) => {
    const [space, write] = [code >> 1, (code & 1) === 1];
    if (space === 0) return write ? F.dramBytesWritten : F.dramBytesRead;
    return (write ? F.sramWrites : F.sramReads) + space - 1;
  });
  const macs = Float64Array.from({ length: codes }, (_, code) => (code === CODE.actRead ? cfg.rows * cfg.cols : 0));
  const entry = Float64Array.from(SPACES, (space) => (space === 'dram' ? 0 : entryBytes(space, cfg.rows, cfg.cols)));
  return { counter, amount: new Float64Array(codes).fill(1), extent: new Float64Array(codes).fill(1), macs, entry };
}

/**
 * One instruction's SRAM, DRAM and MAC counters and high-water marks, tallied from its per-cycle
 * accesses, the trace records [from, to) of `fields` ([cycle, code, addr] each): a buffer access
 * is one entry, a DRAM access one row of the entry width at the DMA's buffer end, and each act
 * row streamed is R·C array MACs.
 */
function tallyAccesses(c: Float64Array, peak: Float64Array, b: number, fields: Uint32Array, from: number, to: number, t: TallyTables): void {
  const { counter, amount, extent, macs, entry } = t;
  let rowBytes = 0;
  for (let k = from; k < to; k += 3) if (fields[k + 1]! >> 1 !== 0) rowBytes = entry[fields[k + 1]! >> 1]!;
  amount[0] = amount[1] = extent[0] = extent[1] = rowBytes;
  for (let k = from; k < to; k += 3) {
    const code = fields[k + 1]!;
    const space = code >> 1;
    c[b + counter[code]!]! += amount[code]!;
    c[b + F_ARRAY_MACS]! += macs[code]!;
    peak[space] = Math.max(peak[space]!, fields[k + 2]! + extent[code]!);
  }
}

const F_ARRAY_MACS = F.arrayMacs;

/**
 * tallyAccesses of a matmul's records, from its fields: R wgt reads, a read of each act row, the
 * acc reads (matmulAccReads) and a write of each acc row, and R·C MACs an act row. A matmul is
 * most of a program's records (404 k of AlexNet conv1's 467 k on 32x32), and this pass runs once,
 * cold; the records themselves are still made, for the trace. Fast = step on every counter and
 * high-water mark (test/property/sim.test.ts) holds the two tallies equal.
 */
function tallyMatmul(c: Float64Array, peak: Float64Array, b: number, i: InstructionOf<'matmul'>, cfg: ArrayConfig, t: TallyTables): void {
  const { rows: R, cols: C } = cfg;
  const accReads = matmulAccReads(i);
  const { counter } = t;
  c[b + counter[CODE.wgtRead]!]! += R;
  c[b + counter[CODE.actRead]!]! += i.rows;
  c[b + counter[CODE.accRead]!]! += accReads;
  c[b + counter[CODE.accWrite]!]! += i.rows;
  c[b + F_ARRAY_MACS]! += i.rows * R * C;
  peak[SPACE_INDEX.wgt] = Math.max(peak[SPACE_INDEX.wgt]!, i.wgt + R);
  peak[SPACE_INDEX.act] = Math.max(peak[SPACE_INDEX.act]!, lastActRow(i) + 1);
  peak[SPACE_INDEX.acc] = Math.max(peak[SPACE_INDEX.acc]!, i.acc + Math.max(i.rows, accReads));
}

/**
 * tallyAccesses of a load's or a store's records, from its fields: a DRAM row of the buffer's entry
 * bytes and a buffer entry each row (the program's checks keep every row inside DRAM).
 */
function tallyDma(c: Float64Array, peak: Float64Array, b: number, i: InstructionOf<'load'> | InstructionOf<'store'>, t: TallyTables): void {
  const load = i.op === 'load';
  const space = load ? SPACE_INDEX[loadBufferOf(i.buf)] : SPACE_INDEX.out;
  const rowBytes = t.entry[space]!;
  c[b + t.counter[load ? CODE.dramRead : CODE.dramWrite]!]! += i.rows * rowBytes;
  c[b + t.counter[load ? bufferWriteCode(i.buf) : CODE.outRead]!]! += i.rows;
  peak[SPACE_INDEX.dram] = Math.max(peak[SPACE_INDEX.dram]!, i.dram + (i.rows - 1) * i.stride + rowBytes);
  peak[space] = Math.max(peak[space]!, i.sram + i.rows);
}

/** The highest act entry a matmul reads: each run of `inner` rows rises, and each run starts higher, so the last row or the row before the last run's first. */
function lastActRow(i: InstructionOf<'matmul'>): number {
  const last = i.rows - 1;
  const endOfRunBefore = last - (last % i.inner) - 1;
  return Math.max(matmulActRow(i, last), endOfRunBefore >= 0 ? matmulActRow(i, endOfRunBefore) : 0);
}
