// SPDX-License-Identifier: MIT
/**
 * The memory-address trace: every buffer-entry and DRAM-row access as (cycle, space·2 + write,
 * address), one stream per unit in cycle order, hashed with sha256. Fast mode derives the accesses
 * from docs/hardware.md's per-cycle table (accessPattern); step mode records what its FSMs do.
 */
import { createHash } from 'node:crypto';
import type { ArrayConfig } from '../src/isa/config.js';
import { entryBytes, loadBufferOf, matmulActRow, type Instruction, type InstructionOf, type Opcode } from '../src/isa/spec.js';
import { THRESHOLD_LATENCY, matmulAccReads, poolOf, poolReadRow, poolReads, tableSteps, thresholdBeatsPerRow } from '../src/isa/ops/index.js';
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

/**
 * A unit's [cycle, code, addr] records in that order, unsigned (sortedRecords; the CLI passes one
 * in WebAssembly, src/cli/record-sort.ts): the result may be the input or a view that the next
 * call overwrites.
 */
export type RecordSort = (fields: Uint32Array) => Uint32Array;

/**
 * TraceRecorder.matmul's records of `insn` starting on cycle `start` on an R×C array, written into
 * `out` from field `n` on (it has room for them). The CLI passes one in WebAssembly.
 */
export type MatmulRecords = (out: Uint32Array, n: number, start: number, insn: InstructionOf<'matmul'>, R: number, C: number) => void;

/**
 * Other implementations of the trace pass's two hot loops (sim/ may not import the WebAssembly
 * encoder: the CLI builds them, src/cli/trace-kernels.ts). Each must give what the JS does, record
 * for record (test/property/trace-kernels.test.ts).
 */
export interface TraceKernels {
  readonly sort?: RecordSort;
  readonly matmul?: MatmulRecords;
}

/** Where accessPattern sends one instruction's accesses: `t` cycles after its start. */
export interface AccessSink {
  at(t: number, code: number, addr: number): void;
}

/**
 * Growable per-unit record streams (uint32 fields: cycles past 2^32 wrap, identically in both
 * modes). As an AccessSink it records one instruction at a time (begin() names its unit and start).
 */
/** Bytes per Hash.update of a record stream: node refuses one buffer over 2 GiB ("data is too long"). */
export const HASH_CHUNK_BYTES = 1 << 30;

export class TraceRecorder implements AccessSink {
  private readonly bufs: Uint32Array[] = [new Uint32Array(3 << 10), new Uint32Array(3 << 10), new Uint32Array(3 << 10)];
  private readonly lens = [0, 0, 0];
  private unit = 0;
  private start = 0;
  /** The unit last appended to: its stream and length, held here while records go to it (lens[unit] is stale until sync()). */
  private buf: Uint32Array = this.bufs[0]!;
  private n = 0;

  constructor(private readonly kernels: TraceKernels = {}) {}

  add(unit: number, cycle: number, code: number, addr: number): void {
    if (unit !== this.unit) this.switchTo(unit);
    this.put(cycle, code, addr);
  }

  /** The next at() calls are accesses of an instruction on `unit` that starts on cycle `start`. */
  begin(unit: number, start: number): void {
    if (unit !== this.unit) this.switchTo(unit);
    this.start = start;
  }

  at(t: number, code: number, addr: number): void {
    this.put(this.start + t, code, addr);
  }

  /**
   * ACCESS_PATTERN.matmul's records, written straight into the stream: a matmul is most of a
   * program's records (410 k of AlexNet conv1's 500 k), and a whole-process `sim` runs this once,
   * mostly before V8 optimizes it, where a call per record costs several times the record
   * (test/unit/sim/trace-matmul.test.ts holds the two to the same records).
   */
  matmul(i: InstructionOf<'matmul'>, R: number, C: number): void {
    const rows = i.rows;
    const accReads = matmulAccReads(i);
    const fields = 3 * (R + 2 * rows + accReads);
    let b = this.buf;
    let n = this.n;
    if (n + fields > b.length) {
      const bigger = new Uint32Array(Math.max(b.length * 2, n + fields));
      bigger.set(b);
      this.bufs[this.unit] = this.buf = b = bigger;
    }
    const s = this.start;
    if (this.kernels.matmul !== undefined) {
      this.kernels.matmul(b, n, s, i, R, C);
      this.n = n + fields;
      return;
    }
    for (let t = 0; t < R; t++, n += 3) {
      b[n] = s + t;
      b[n + 1] = CODE.wgtRead;
      b[n + 2] = i.wgt + t;
    }
    const { act, actStride, actOuter, inner, acc } = i;
    const end = 2 * R + C + rows;
    for (let t = R, m = 0, j = 0, outer = act; t < end; t++, m++) {
      if (m < rows) {
        b[n] = s + t;
        b[n + 1] = CODE.actRead;
        b[n + 2] = outer + j * actStride; // matmulActRow(i, m), as runs of `inner` rows
        n += 3;
        if (++j === inner) {
          j = 0;
          outer += actOuter;
        }
      }
      const k = t - 2 * R - C;
      if (k >= 0) {
        if (k < accReads) {
          b[n] = s + t;
          b[n + 1] = CODE.accRead;
          b[n + 2] = acc + k;
          n += 3;
        }
        b[n] = s + t;
        b[n + 1] = CODE.accWrite;
        b[n + 2] = acc + k;
        n += 3;
      }
    }
    this.n = n;
  }

  /**
   * A DMA's two row streams merged in cycle order, as ACCESS_PATTERN.load and .store list them: read
   * r on cycle r·b at readAddr + r·readStride, write w on land + w·b at writeAddr + w·writeStride;
   * on a shared cycle the read goes first when `readFirst`. Written straight into the stream, as
   * matmul() is: loads are most of the other records (43 k of AlexNet conv1's 67 k).
   */
  dmaRows(rows: number, b: number, land: number, read: readonly [code: number, addr: number, stride: number], write: readonly [code: number, addr: number, stride: number], readFirst: boolean): void {
    let buf = this.buf;
    let n = this.n;
    if (n + 6 * rows > buf.length) {
      const bigger = new Uint32Array(Math.max(buf.length * 2, n + 6 * rows));
      bigger.set(buf);
      this.bufs[this.unit] = this.buf = buf = bigger;
    }
    const [readCode, readAddr, readStride] = read;
    const [writeCode, writeAddr, writeStride] = write;
    const s = this.start;
    for (let r = 0, w = 0; r < rows || w < rows; n += 3) {
      const tr = r * b;
      const tw = land + w * b;
      if (r < rows && (w === rows || tr < tw || (readFirst && tr === tw))) {
        buf[n] = s + tr;
        buf[n + 1] = readCode;
        buf[n + 2] = readAddr + r * readStride;
        r++;
      } else {
        buf[n] = s + tw;
        buf[n + 1] = writeCode;
        buf[n + 2] = writeAddr + w * writeStride;
        w++;
      }
    }
    this.n = n;
  }

  private switchTo(unit: number): void {
    this.lens[this.unit] = this.n;
    this.unit = unit;
    this.buf = this.bufs[unit]!;
    this.n = this.lens[unit]!;
  }

  private put(cycle: number, code: number, addr: number): void {
    let buf = this.buf;
    const n = this.n;
    if (n + 3 > buf.length) {
      const bigger = new Uint32Array(buf.length * 2);
      bigger.set(buf);
      this.bufs[this.unit] = this.buf = buf = bigger;
    }
    buf[n] = cycle;
    buf[n + 1] = code;
    buf[n + 2] = addr;
    this.n = n + 3;
  }

  /** lens[] up to date (the unit at() appends to keeps its length in `n`). */
  private sync(): void {
    this.lens[this.unit] = this.n;
  }

  /** Fields recorded so far on `unit` (three per record). */
  length(unit: number): number {
    this.sync();
    return this.lens[unit]!;
  }

  /** The unit's records as [cycle, code, addr] fields, valid until the next record (it may grow). */
  fields(unit: number): Uint32Array {
    return this.bufs[unit]!;
  }

  /** Forgets the unit's records past the first `length` fields. */
  truncate(unit: number, length: number): void {
    this.sync();
    this.lens[unit] = Math.min(this.lens[unit]!, length);
    if (unit === this.unit) this.n = this.lens[unit]!;
  }

  /** Records of one unit as [cycle, code, addr] triples (tests and debugging). */
  records(unit: number): [number, number, number][] {
    this.sync();
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
  hash(sort: RecordSort = this.kernels.sort ?? sortedRecords, chunkBytes = HASH_CHUNK_BYTES): string {
    this.sync();
    const h = createHash('sha256');
    this.bufs.forEach((b, u) => {
      const n = this.lens[u]!;
      h.update(new Uint8Array(Uint32Array.of(u, n / 3).buffer));
      const sorted = sort(b.subarray(0, n));
      // in pieces: one update of a stream over 2 GiB is a RangeError (ResNet-50's compute stream at 8x8)
      for (let at = 0; at < n * 4; at += chunkBytes) h.update(new Uint8Array(sorted.buffer, sorted.byteOffset + at, Math.min(chunkBytes, n * 4 - at)));
    });
    return h.digest('hex');
  }
}


/**
 * The [cycle, code, addr] triples in order (a copy, or the input itself when already in order).
 * The records come as ascending runs (fast mode: one per instruction; pipelined ones overlap a
 * few at a time), so each run is appended to the output when it starts no earlier than the
 * output ends, and otherwise merged with the output's tail from the first record after its own
 * first one: the work per run is its length plus the overlap.
 */
export function sortedRecords(b: Uint32Array): Uint32Array {
  const runEnd = (i: number): number => {
    // record j − 3 against record j, (cycle, code, address) in order, in line here and below: a
    // comparator call per record cost more than the record (cold code)
    let j = i + 3;
    while (j < b.length && (b[j - 3]! - b[j]! || b[j - 2]! - b[j + 1]! || b[j - 1]! - b[j + 2]!) <= 0) j += 3;
    return j;
  };
  if (runEnd(0) >= b.length) return b;
  const out = new Uint32Array(b.length);
  let tail = new Uint32Array(3 << 10);
  let n = 0;
  for (let i = 0; i < b.length; ) {
    const j = runEnd(i);
    let p = n;
    while (p > 0 && (out[p - 3]! - b[i]! || out[p - 2]! - b[i + 1]! || out[p - 1]! - b[i + 2]!) > 0) p -= 3;
    if (p === n) out.set(b.subarray(i, j), n);
    else {
      // merge out[p, n) and b[i, j) through `tail`, ties from `out` first (equal records are equal bytes)
      const size = n - p + j - i;
      if (tail.length < size) tail = new Uint32Array(Math.max(size, 2 * tail.length));
      let x = p;
      let y = i;
      for (let o = 0; o < size; o += 3) {
        const fromOut = y === j || (x < n && (out[x]! - b[y]! || out[x + 1]! - b[y + 1]! || out[x + 2]! - b[y + 2]!) <= 0);
        const src = fromOut ? out : b;
        const at = fromOut ? x : y;
        tail[o] = src[at]!;
        tail[o + 1] = src[at + 1]!;
        tail[o + 2] = src[at + 2]!;
        if (fromOut) x += 3;
        else y += 3;
      }
      out.set(tail.subarray(0, size), p);
    }
    n += j - i;
    i = j;
  }
  return out;
}

type Pattern<O extends Opcode> = (insn: InstructionOf<O>, cfg: ArrayConfig, emit: AccessSink) => void;

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
 * the tile for R cycles (entry wgt + τ at τ), act row m at R + m and writes acc row m at 2R + C + m
 * (reading it there too when accumulating; a bias matmul reads only row 0's, its bias entry); the
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
    if (emit instanceof TraceRecorder) return emit.dmaRows(i.rows, b, land, [CODE.dramRead, i.dram, i.stride], [wcode, i.sram, 1], true);
    for (let r = 0, w = 0; r < i.rows || w < i.rows; ) {
      if (r < i.rows && (w === i.rows || r * b <= land + w * b)) {
        emit.at(r * b, CODE.dramRead, i.dram + r * i.stride);
        r++;
      } else {
        emit.at(land + w * b, wcode, i.sram + w);
        w++;
      }
    }
  },
  store: (i, cfg, emit) => {
    const b = Math.ceil(cfg.cols / cfg.dramBytesPerCycle);
    const land = cfg.dramLatency + b - 1;
    if (emit instanceof TraceRecorder) return emit.dmaRows(i.rows, b, land, [CODE.outRead, i.sram, 1], [CODE.dramWrite, i.dram, i.stride], false);
    for (let r = 0, w = 0; r < i.rows || w < i.rows; ) {
      if (r < i.rows && (w === i.rows || r * b < land + w * b)) {
        emit.at(r * b, CODE.outRead, i.sram + r);
        r++;
      } else {
        emit.at(land + w * b, CODE.dramWrite, i.dram + w * i.stride);
        w++;
      }
    }
  },
  matmul: (i, cfg, emit) => {
    const { rows: R, cols: C } = cfg;
    if (emit instanceof TraceRecorder) return emit.matmul(i, R, C);
    for (let t = 0; t < R; t++) emit.at(t, CODE.wgtRead, i.wgt + t);
    for (let t = R; t < 2 * R + C + i.rows; t++) {
      const m = t - R;
      if (m < i.rows) emit.at(t, CODE.actRead, matmulActRow(i, m));
      const n = t - 2 * R - C;
      if (n >= 0) {
        if (n < matmulAccReads(i)) emit.at(t, CODE.accRead, i.acc + n);
        emit.at(t, CODE.accWrite, i.acc + n);
      }
    }
  },
  threshold: (i, cfg, emit) => {
    const pool = poolOf(i);
    const W = poolReads(i);
    const steps = tableSteps(i);
    const P = thresholdBeatsPerRow(steps, cfg.thresholdPasses, W);
    for (let t = 0; t < P * i.rows + THRESHOLD_LATENCY; t++) {
      const read = rowAt(t, 0, P, i.rows);
      const beat = t % P;
      if (pool !== null && t < P * i.rows && beat < W) emit.at(t, CODE.accRead, i.acc + poolReadRow(pool, Math.floor(t / P), beat));
      else if (pool === null && read >= 0) emit.at(t, CODE.accRead, i.acc + read);
      else if (steps > 0 && t < P * i.rows) emit.at(t, CODE.accRead, i.table + (t % P) - 1);
      if (t === 0 && steps === 0) emit.at(t, CODE.qntRead, i.qnt);
      const write = rowAt(t, P + THRESHOLD_LATENCY - 1, P, i.rows);
      if (write >= 0) emit.at(t, CODE.outWrite, i.out + write);
    }
  },
  sync: () => undefined,
  halt: () => undefined,
} as const satisfies { [O in Opcode]: Pattern<O> };

export function accessPattern(insn: Instruction, cfg: ArrayConfig, emit: AccessSink): void {
  (ACCESS_PATTERN[insn.op] as Pattern<Opcode>)(insn as never, cfg, emit);
}
