// SPDX-License-Identifier: MIT
/**
 * The memory-address trace: every buffer-entry and DRAM-row access as (cycle, space·2 + write,
 * address), one stream per unit in cycle order, hashed with sha256. Fast mode derives the accesses
 * from docs/hardware.md's per-cycle table (accessPattern); step mode records what its FSMs do.
 */
import { createHash } from 'node:crypto';
import type { ArrayConfig } from '../src/isa/config.js';
import { entryBytes, loadBufferOf, matmulActRow, type Instruction, type InstructionOf, type Opcode } from '../src/isa/spec.js';
import { THRESHOLD_LATENCY, poolOf, poolRow, tableSteps, thresholdBeatsPerRow } from '../src/isa/ops/index.js';
import { SPACE_INDEX } from './stats.js';

/** Access codes: space index · 2 + (1 for a write). Within one unit and cycle, records go in code order. */
export const CODE = {
  dramRead: SPACE_INDEX.dram * 2,
  dramWrite: SPACE_INDEX.dram * 2 + 1,
  actRead: SPACE_INDEX.act * 2,
  wgtRead: SPACE_INDEX.wgt * 2,
  accRead: SPACE_INDEX.acc * 2,
  accWrite: SPACE_INDEX.acc * 2 + 1,
  qntRead: SPACE_INDEX.qnt * 2,
  outRead: SPACE_INDEX.out * 2,
  outWrite: SPACE_INDEX.out * 2 + 1,
} as const;

export const bufferWriteCode = (buf: number): number => (SPACE_INDEX[loadBufferOf(buf)] * 2) + 1;

/** Growable per-unit record streams (uint32 fields: cycles past 2^32 wrap, identically in both modes). */
export class TraceRecorder {
  private readonly bufs: Uint32Array[] = [new Uint32Array(3 << 10), new Uint32Array(3 << 10), new Uint32Array(3 << 10)];
  private readonly lens = [0, 0, 0];

  add(unit: number, cycle: number, code: number, addr: number): void {
    let buf = this.bufs[unit]!;
    const n = this.lens[unit]!;
    if (n + 3 > buf.length) {
      const bigger = new Uint32Array(buf.length * 2);
      bigger.set(buf);
      this.bufs[unit] = buf = bigger;
    }
    buf[n] = cycle;
    buf[n + 1] = code;
    buf[n + 2] = addr;
    this.lens[unit] = n + 3;
  }

  /** Records of one unit as [cycle, code, addr] triples (tests and debugging). */
  records(unit: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    const b = this.bufs[unit]!;
    for (let i = 0; i < this.lens[unit]!; i += 3) out.push([b[i]!, b[i + 1]!, b[i + 2]!]);
    return out;
  }

  /**
   * sha256 over the load, compute and store streams, each prefixed by its record count, each in
   * (cycle, code, address) order: pipelined instructions of one unit interleave their accesses, and
   * the two modes record them in different orders (fast mode one instruction after another).
   */
  hash(): string {
    const h = createHash('sha256');
    this.bufs.forEach((b, u) => {
      const n = this.lens[u]!;
      h.update(new Uint8Array(Uint32Array.of(u, n / 3).buffer));
      h.update(new Uint8Array(sortedRecords(b.subarray(0, n)).buffer, 0, n * 4));
    });
    return h.digest('hex');
  }
}

const before = (b: Uint32Array, i: number, j: number): number => b[i]! - b[j]! || b[i + 1]! - b[j + 1]! || b[i + 2]! - b[j + 2]!;

/**
 * The [cycle, code, addr] triples in order (a copy, or the input itself when already in order).
 * The records come as ascending runs (fast mode: one per instruction; pipelined ones overlap a
 * few at a time), so they are merged: runs join a small heap in the order of their first record
 * when the output reaches it, which keeps the heap about as large as the overlap.
 */
function sortedRecords(b: Uint32Array): Uint32Array {
  const n = b.length / 3;
  const starts: number[] = [0];
  for (let i = 3; i < b.length; i += 3) if (before(b, i - 3, i) > 0) starts.push(i);
  if (starts.length === 1) return b;
  const k = starts.length;
  const pos = Int32Array.from(starts);
  const end = Int32Array.from(starts, (_, j) => (j + 1 < k ? starts[j + 1]! : b.length));
  const joining = Int32Array.from(starts.keys()).sort((x, y) => before(b, pos[x]!, pos[y]!) || x - y);
  const heap = new Int32Array(k);
  let size = 0;
  const less = (x: number, y: number): boolean => before(b, pos[x]!, pos[y]!) < 0;
  const siftDown = (i: number): void => {
    const j = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1]!, heap[c]!)) c++;
      if (!less(heap[c]!, j)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = j;
  };
  const push = (j: number): void => {
    let i = size++;
    while (i > 0 && less(j, heap[(i - 1) >> 1]!)) {
      heap[i] = heap[(i - 1) >> 1]!;
      i = (i - 1) >> 1;
    }
    heap[i] = j;
  };
  const out = new Uint32Array(b.length);
  let next = 0;
  for (let o = 0; o < n * 3; o += 3) {
    // join every run whose first record (its least) is no later than the heap's least: then that is the least of all records left
    while (next < k && (size === 0 || before(b, pos[joining[next]!]!, pos[heap[0]!]!) <= 0)) push(joining[next++]!);
    const j = heap[0]!;
    const at = pos[j]!;
    out[o] = b[at]!;
    out[o + 1] = b[at + 1]!;
    out[o + 2] = b[at + 2]!;
    pos[j] = at + 3;
    if (at + 3 === end[j]) heap[0] = heap[--size]!;
    if (size > 0) siftDown(0);
  }
  return out;
}

type Emit = (t: number, code: number, addr: number) => void;
type Pattern<O extends Opcode> = (insn: InstructionOf<O>, cfg: ArrayConfig, emit: Emit) => void;

/** k-th event of a row stream that fires on cycle `first + i·beats` for row i < rows, else -1. */
function rowAt(tau: number, first: number, beats: number, rows: number): number {
  const k = tau - first;
  if (k < 0 || k % beats !== 0) return -1;
  const i = k / beats;
  return i < rows ? i : -1;
}

/**
 * The accesses of one instruction at local cycle τ, exactly as docs/hardware.md's table lists
 * them: DMA rows leave at τ = i·beats and land on their last beat, latency later; the matmul reads
 * the tile for R cycles (entry wgt + τ at τ), act row m at R + m and read-modify-writes acc row m at 2R + C + m; the
 * threshold (P = thresholdPasses) reads acc row m at P·m (and the qnt entry at τ = 0) and writes out
 * row m at P·m + P + THRESHOLD_LATENCY − 1; in table mode P = 1 + 2·steps and beat k > 0 of a row
 * reads table entry table + k − 1; pooling over W = kh·kw rows, P = W − 1 + thresholdPasses and
 * beat k < W of row m reads the window's acc row k (row-major).
 */
export const ACCESS_PATTERN = {
  // rows leave at r·b and land at L + b − 1 + w·b: the two streams merged in cycle order (a read
  // before a write in one load cycle, a write before a read in one store cycle: code order)
  load: (i, cfg, emit) => {
    const b = Math.ceil(entryBytes(loadBufferOf(i.buf), cfg.rows, cfg.cols) / cfg.dramBytesPerCycle);
    const land = cfg.dramLatency + b - 1;
    const wcode = bufferWriteCode(i.buf);
    for (let r = 0, w = 0; r < i.rows || w < i.rows; ) {
      if (r < i.rows && (w === i.rows || r * b <= land + w * b)) {
        emit(r * b, CODE.dramRead, i.dram + r * i.stride);
        r++;
      } else {
        emit(land + w * b, wcode, i.sram + w);
        w++;
      }
    }
  },
  store: (i, cfg, emit) => {
    const b = Math.ceil(cfg.cols / cfg.dramBytesPerCycle);
    const land = cfg.dramLatency + b - 1;
    for (let r = 0, w = 0; r < i.rows || w < i.rows; ) {
      if (r < i.rows && (w === i.rows || r * b < land + w * b)) {
        emit(r * b, CODE.outRead, i.sram + r);
        r++;
      } else {
        emit(land + w * b, CODE.dramWrite, i.dram + w * i.stride);
        w++;
      }
    }
  },
  matmul: (i, cfg, emit) => {
    const { rows: R, cols: C } = cfg;
    for (let t = 0; t < R; t++) emit(t, CODE.wgtRead, i.wgt + t);
    for (let t = R; t < 2 * R + C + i.rows; t++) {
      const m = t - R;
      if (m < i.rows) emit(t, CODE.actRead, matmulActRow(i, m));
      const n = t - 2 * R - C;
      if (n >= 0) {
        if (i.accumulate) emit(t, CODE.accRead, i.acc + n);
        emit(t, CODE.accWrite, i.acc + n);
      }
    }
  },
  threshold: (i, cfg, emit) => {
    const pool = poolOf(i);
    const W = pool === null ? 1 : pool.kh * pool.kw;
    const steps = tableSteps(i);
    const P = thresholdBeatsPerRow(steps, cfg.thresholdPasses, W);
    for (let t = 0; t < P * i.rows + THRESHOLD_LATENCY; t++) {
      const read = rowAt(t, 0, P, i.rows);
      const beat = t % P;
      if (pool !== null && t < P * i.rows && beat < W) emit(t, CODE.accRead, i.acc + poolRow(pool, Math.floor(t / P), Math.floor(beat / pool.kw), beat % pool.kw));
      else if (pool === null && read >= 0) emit(t, CODE.accRead, i.acc + read);
      else if (steps > 0 && t < P * i.rows) emit(t, CODE.accRead, i.table + (t % P) - 1);
      if (t === 0 && steps === 0) emit(t, CODE.qntRead, i.qnt);
      const write = rowAt(t, P + THRESHOLD_LATENCY - 1, P, i.rows);
      if (write >= 0) emit(t, CODE.outWrite, i.out + write);
    }
  },
  sync: () => undefined,
  halt: () => undefined,
} as const satisfies { [O in Opcode]: Pattern<O> };

export function accessPattern(insn: Instruction, cfg: ArrayConfig, emit: Emit): void {
  (ACCESS_PATTERN[insn.op] as Pattern<Opcode>)(insn as never, cfg, emit);
}
