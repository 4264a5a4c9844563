// SPDX-License-Identifier: MIT
/**
 * Fast mode's counters and high-water marks, one instruction at a time: a matmul's, a load's and a
 * store's (and sync's, halt's: none) from its op record, a threshold's from its trace records (pooling
 * windows and step tables read the acc rows in patterns its covering `accesses` do not state exactly).
 * The two ways agree: fast = step on every counter (test/property/sim.test.ts).
 */
import type { ArrayConfig } from '../src/isa/config.js';
import { emptyTally } from '../src/isa/cost.js';
import { accessesOf } from '../src/isa/effects.js';
import { opOf } from '../src/isa/ops/index.js';
import type { Tally } from '../src/isa/ops/types.js';
import { BUFFER_LIST, entryBytes, SPACES, type Instruction } from '../src/isa/spec.js';
import { F, SPACE_INDEX } from './stats.js';
import { CODE } from './trace.js';

/**
 * One instruction's counters (`c` from counter block `b` on) and high-water marks (`peak`, by space),
 * given its trace records [from, to) of `fields` ([cycle, code, addr] each).
 */
export function tallyInstruction(c: Float64Array, peak: Float64Array, b: number, insn: Instruction, cfg: ArrayConfig, t: TallyTables, fields: Uint32Array, from: number, to: number): void {
  if (insn.op === 'threshold') tallyAccesses(c, peak, b, fields, from, to, t);
  else tallyFromRecord(c, peak, b, insn, cfg, t);
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
  /** One instruction's op-record figures (tallyFromRecord), reused. */
  readonly scratch: Tally;
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
  return { counter, amount: new Float64Array(codes).fill(1), extent: new Float64Array(codes).fill(1), macs, entry, scratch: emptyTally() };
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
 * A matmul's, a load's or a store's counters and high-water marks from its op record (src/isa/ops): `count`, the
 * certificate's own figures, and `accesses`, whose ends are exact for these three (a threshold's cover its pooling
 * windows conservatively: it keeps tallyAccesses). A matmul is most of a program's records (404 k of AlexNet conv1's
 * 467 k on 32x32), and this pass runs once, cold; the records themselves are still made, for the trace. Step mode
 * counts from its FSMs, and fast = step on every counter and high-water mark (test/property/sim.test.ts).
 */
function tallyFromRecord(c: Float64Array, peak: Float64Array, b: number, insn: Instruction, cfg: ArrayConfig, t: TallyTables): void {
  const s = t.scratch;
  s.arrayMacs = s.dramBytesRead = s.dramBytesWritten = 0;
  for (const buf of BUFFER_LIST) s.sramReads[buf] = s.sramWrites[buf] = 0;
  opOf(insn).count(insn as never, cfg, s);
  c[b + F.arrayMacs]! += s.arrayMacs;
  c[b + F.dramBytesRead]! += s.dramBytesRead;
  c[b + F.dramBytesWritten]! += s.dramBytesWritten;
  for (const buf of BUFFER_LIST) {
    c[b + F.sramReads + SPACE_INDEX[buf] - 1]! += s.sramReads[buf];
    c[b + F.sramWrites + SPACE_INDEX[buf] - 1]! += s.sramWrites[buf];
  }
  for (const a of accessesOf(insn, cfg)) peak[SPACE_INDEX[a.space]] = Math.max(peak[SPACE_INDEX[a.space]]!, a.end);
}
