// SPDX-License-Identifier: MIT
/**
 * Program → kernel calls. Every instruction becomes a copy, a GEMM or a threshold on absolute
 * memory addresses (all addresses are static). Four rewrites keep results bit-exact while
 * removing work: weights are read where they were DMA'd from, dead weight loads are dropped,
 * chains of matmuls that accumulate into the same rows are fused into one long-K GEMM, and
 * weights that only GEMMs read are stored in the order the SIMD kernel reads them.
 */
import type { ArrayConfig } from '../../isa/config.js';
import { accessesOf } from '../../isa/effects.js';
import { pixelAddress, type Program } from '../../isa/program.js';
import { entryBytes, LOAD_BUFFER_LIST, matmulActRow, type InstructionOf, type Opcode } from '../../isa/spec.js';
import type { MemoryPlan } from './plan.js';

export interface Range {
  readonly start: number;
  readonly end: number;
}

/** rows × `bytes` from src (rows `srcStride` apart) to dst (rows `dstStride` apart). */
export interface CopyOp {
  readonly kind: 'copy';
  readonly dst: number;
  readonly src: number;
  readonly bytes: number;
  readonly rows: number;
  readonly dstStride: number;
  readonly srcStride: number;
  /** Set for loads into the weight buffer (candidates for removal). */
  readonly wgtLoad: boolean;
}

/**
 * acc[m][c] (+)= Σ_{k<K} A[a + off(m) + k] · W[w + k·C + c], int32 wrap-around, where off(m) is the
 * matmul's two-level row address (matmulActRow) in bytes. W rows are C bytes apart.
 */
export interface GemmOp {
  readonly kind: 'gemm';
  readonly acc: number;
  readonly a: number;
  readonly aStride: number;
  readonly aOuter: number;
  readonly inner: number;
  readonly w: number;
  readonly rows: number;
  readonly k: number;
  readonly accumulate: boolean;
  /** W is read from DRAM (where the weight load took it from) instead of the weight buffer. */
  readonly fromDram: boolean;
  /** W's first K − K mod 4 rows are stored in packed groups (see packWeights). */
  readonly packed: boolean;
}

/** out[m][c] = clamp(requantize(acc[m][c], mult[c], shift[c]) + zp, lo, hi). */
export interface ThresholdOp {
  readonly kind: 'threshold';
  readonly acc: number;
  readonly out: number;
  readonly qnt: number;
  readonly rows: number;
  readonly zp: number;
  readonly lo: number;
  readonly hi: number;
}

export type KernelOp = CopyOp | GemmOp | ThresholdOp;

export interface OpStats {
  readonly instructions: number;
  readonly matmuls: number;
  readonly gemms: number;
  readonly weightLoadsDropped: number;
  readonly weightsFromDram: number;
  readonly packedGemms: number;
}

interface Ctx {
  readonly cfg: ArrayConfig;
  readonly plan: MemoryPlan;
}

/** Byte address of entry `e` of an on-chip buffer. */
function addr(ctx: Ctx, space: 'act' | 'wgt' | 'acc' | 'qnt' | 'out', e: number): number {
  return ctx.plan.base[space] + e * entryBytes(space, ctx.cfg.rows, ctx.cfg.cols);
}

/** One instruction's kernel call (none for sync and halt): the semantics of spec.ts on memory addresses. */
const TRANSLATE: { [O in Opcode]: (insn: InstructionOf<O>, ctx: Ctx) => KernelOp | null } = {
  load: (i, ctx) => {
    const buf = LOAD_BUFFER_LIST[i.buf]!;
    const bytes = entryBytes(buf, ctx.cfg.rows, ctx.cfg.cols);
    return { kind: 'copy', dst: addr(ctx, buf, i.sram), dstStride: bytes, src: i.dram, srcStride: i.stride, bytes, rows: i.rows, wgtLoad: buf === 'wgt' };
  },
  store: (i, ctx) => ({ kind: 'copy', dst: i.dram, dstStride: i.stride, src: addr(ctx, 'out', i.sram), srcStride: ctx.cfg.cols, bytes: ctx.cfg.cols, rows: i.rows, wgtLoad: false }),
  matmul: (i, ctx) => {
    const R = ctx.cfg.rows;
    return { kind: 'gemm', acc: addr(ctx, 'acc', i.acc), a: addr(ctx, 'act', i.act), aStride: i.actStride * R, aOuter: i.actOuter * R, inner: i.inner, w: addr(ctx, 'wgt', i.wgt), rows: i.rows, k: R, accumulate: i.accumulate === 1, fromDram: false, packed: false };
  },
  threshold: (i, ctx) => ({ kind: 'threshold', acc: addr(ctx, 'acc', i.acc), out: addr(ctx, 'out', i.out), qnt: addr(ctx, 'qnt', i.qnt), rows: i.rows, zp: i.zp, lo: i.lo, hi: i.hi }),
  sync: () => null,
  halt: () => null,
};

/** Covering byte ranges an op reads and writes (conservative: strided rows are one span). */
export function effectsOf(op: KernelOp, C: number): { reads: Range[]; writes: Range[] } {
  const span = (start: number, rows: number, stride: number, bytes: number): Range => ({ start, end: start + (rows - 1) * stride + bytes });
  switch (op.kind) {
    case 'copy':
      return { reads: [span(op.src, op.rows, op.srcStride, op.bytes)], writes: [span(op.dst, op.rows, op.dstStride, op.bytes)] };
    case 'gemm': {
      const accRange = { start: op.acc, end: op.acc + op.rows * 4 * C };
      const rowAt = (m: number): number => matmulActRow({ act: 0, actStride: op.aStride, actOuter: op.aOuter, inner: op.inner }, m);
      const runs = Math.ceil(op.rows / op.inner);
      const lastRow = Math.max(rowAt(op.rows - 1), runs > 1 ? rowAt((runs - 1) * op.inner - 1) : 0);
      const reads = [{ start: op.a, end: op.a + lastRow + op.k }, { start: op.w, end: op.w + op.k * C }];
      return { reads: op.accumulate ? [...reads, accRange] : reads, writes: [accRange] };
    }
    case 'threshold':
      return { reads: [{ start: op.acc, end: op.acc + op.rows * 4 * C }, { start: op.qnt, end: op.qnt + 4 * C }], writes: [{ start: op.out, end: op.out + op.rows * C }] };
  }
}

const overlap = (a: Range, b: Range): boolean => a.start < b.end && b.start < a.end;
const anyOverlap = (xs: readonly Range[], ys: readonly Range[]): boolean => xs.some((x) => ys.some((y) => overlap(x, y)));

function conflicts(x: KernelOp, y: KernelOp, C: number): boolean {
  const a = effectsOf(x, C);
  const b = effectsOf(y, C);
  return anyOverlap(a.writes, [...b.reads, ...b.writes]) || anyOverlap(a.reads, b.writes);
}

/**
 * Forward pass: which DRAM bytes each weight entry holds. A matmul whose R weight entries hold R
 * consecutive C-byte DRAM rows, unchanged since they were loaded, reads them from DRAM instead.
 * A weight load that no remaining matmul reads from the buffer is dropped.
 */
function translate(p: Program, ctx: Ctx, rewrite: boolean): { ops: KernelOp[]; stats: Pick<OpStats, 'weightLoadsDropped' | 'weightsFromDram'> } {
  const { rows: R, cols: C } = ctx.cfg;
  const source = new Map<number, number>(); // wgt entry → DRAM address of its bytes
  const writer = new Map<number, number>(); // wgt entry → index (in ops) of the load that wrote it
  const live = new Set<number>();
  const ops: KernelOp[] = [];
  let fromDram = 0;
  for (const insn of p.instructions) {
    const op = (TRANSLATE[insn.op] as (i: typeof insn, c: Ctx) => KernelOp | null)(insn, ctx);
    if (op === null) continue;
    if (insn.op === 'load' && LOAD_BUFFER_LIST[insn.buf] === 'wgt') {
      for (let i = 0; i < insn.rows; i++) {
        source.set(insn.sram + i, insn.dram + i * insn.stride);
        writer.set(insn.sram + i, ops.length);
      }
    } else if (insn.op === 'store') {
      const written = accessesOf(insn, ctx.cfg).find((a) => a.space === 'dram' && a.write)!;
      for (const [e, at] of source) if (at < written.end && written.start < at + C) source.delete(e);
    } else if (rewrite && insn.op === 'matmul' && op.kind === 'gemm') {
      const first = source.get(insn.wgt);
      let contiguous = first !== undefined;
      for (let r = 1; r < R && contiguous; r++) contiguous = source.get(insn.wgt + r) === first! + r * C;
      if (contiguous) {
        ops.push({ ...op, w: first!, fromDram: true });
        fromDram++;
        continue;
      }
      for (let r = 0; r < R; r++) {
        const w = writer.get(insn.wgt + r);
        if (w !== undefined) live.add(w);
      }
    }
    ops.push(op);
  }
  const kept = rewrite ? ops.filter((op, i) => !(op.kind === 'copy' && op.wgtLoad && !live.has(i))) : ops;
  return { ops: kept, stats: { weightLoadsDropped: ops.length - kept.length, weightsFromDram: fromDram } };
}

/** How far back a matmul may move to join a chain (keeps fusion linear in the program size). */
const FUSE_WINDOW = 64;

function chains(prev: GemmOp, next: GemmOp, C: number): boolean {
  return (
    next.accumulate &&
    prev.acc === next.acc &&
    prev.rows === next.rows &&
    prev.aStride === next.aStride &&
    prev.aOuter === next.aOuter &&
    prev.inner === next.inner &&
    next.a === prev.a + prev.k &&
    next.w === prev.w + prev.k * C
  );
}

/** acc (+)= A·W1 then acc += A'·W2, with A' and W2 continuing A and W, is one GEMM over K1 + K2. */
function fuseChains(ops: readonly KernelOp[], C: number): KernelOp[] {
  const out: KernelOp[] = [];
  for (const op of ops) {
    if (op.kind === 'gemm') {
      let joined = false;
      for (let j = out.length - 1; j >= Math.max(0, out.length - FUSE_WINDOW); j--) {
        const prev = out[j]!;
        if (prev.kind === 'gemm' && chains(prev, op, C)) {
          out[j] = { ...prev, k: prev.k + op.k, fromDram: prev.fromDram && op.fromDram };
          joined = true;
          break;
        }
        if (conflicts(prev, op, C)) break;
      }
      if (joined) continue;
    }
    out.push(op);
  }
  return out;
}

/** Rows per packed group: dot_i16x8_s then multiplies 2 columns × 4 k against one splatted act quad. */
export const PACK_ROWS = 4;

/** The DRAM bytes of a packed weight matrix: rows [0, K − K mod 4) of a C-byte-row matrix at `start`. */
export interface PackedRange {
  readonly start: number;
  readonly rows: number;
}

/**
 * Weights that only GEMMs read (their loads were all dropped; nothing else reads or writes those
 * DRAM bytes, and no tensor lies there) may be stored in any order: the program cannot observe it.
 * They are stored in groups of 4 rows, column-major inside a group: byte 4c + i of group g is
 * W[4g + i][c]. GEMMs that share weights must read exactly the same rows.
 */
function packWeights(ops: readonly KernelOp[], p: Program): { ops: KernelOp[]; packed: PackedRange[] } {
  const C = p.config.cols;
  const packedRange = (g: GemmOp): Range => ({ start: g.w, end: g.w + (g.k - (g.k % PACK_ROWS)) * C });
  const fullRange = (g: GemmOp): Range => ({ start: g.w, end: g.w + g.k * C });
  const others: Range[] = [...tensorSpans(p)];
  for (const op of ops) if (op.kind === 'copy') others.push(...Object.values(effectsOf(op, C)).flat());
  const inDram = ops.filter((o): o is GemmOp => o.kind === 'gemm' && o.fromDram);
  const ok = (g: GemmOp): boolean => {
    const r = packedRange(g);
    if (g.k < PACK_ROWS || r.end > p.constants.length || others.some((o) => overlap(o, r))) return false;
    return inDram.every((h) => (h.w === g.w && h.k === g.k) || !overlap(fullRange(h), r));
  };
  const packed = new Map<number, PackedRange>();
  const out = ops.map((op) => {
    if (op.kind !== 'gemm' || !op.fromDram || !ok(op)) return op;
    packed.set(op.w, { start: op.w, rows: op.k - (op.k % PACK_ROWS) });
    return { ...op, packed: true };
  });
  return { ops: out, packed: [...packed.values()] };
}

/** Covering DRAM spans of the input and output tensors. */
function tensorSpans(p: Program): Range[] {
  return [p.input, p.output].map((t) => {
    let start = Infinity;
    let end = 0;
    for (let r = 0; r < t.rows; r++) (start = Math.min(start, pixelAddress(t, r))), (end = Math.max(end, pixelAddress(t, r) + t.rowBytes));
    return { start, end };
  });
}

/** Constants with every packed range rearranged (byte 4c + i of group g ← row 4g + i, column c). */
export function packConstants(constants: Uint8Array, packed: readonly PackedRange[], C: number): Uint8Array {
  const out = constants.slice();
  for (const r of packed) {
    for (let g = 0; g < r.rows / PACK_ROWS; g++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < PACK_ROWS; i++) out[r.start + g * PACK_ROWS * C + PACK_ROWS * c + i] = constants[r.start + (g * PACK_ROWS + i) * C + c]!;
  }
  return out;
}

export interface KernelOpsOptions {
  /** Fuse chains and read weights in place (false: one kernel call per instruction, the baseline). */
  readonly rewrite: boolean;
  /** Store GEMM-only weights in packed groups (the build has a packed GEMM kernel). */
  readonly pack: boolean;
}

export function kernelOps(p: Program, plan: MemoryPlan, opts: KernelOpsOptions): { ops: KernelOp[]; packed: PackedRange[]; stats: OpStats } {
  const ctx = { cfg: p.config, plan };
  const { ops, stats } = translate(p, ctx, opts.rewrite);
  const fused = opts.rewrite ? fuseChains(ops, p.config.cols) : ops;
  const { ops: final, packed } = opts.rewrite && opts.pack ? packWeights(fused, p) : { ops: fused, packed: [] };
  return {
    ops: final,
    packed,
    stats: {
      instructions: p.instructions.length,
      matmuls: p.instructions.filter((i) => i.op === 'matmul').length,
      gemms: fused.filter((o) => o.kind === 'gemm').length,
      packedGemms: final.filter((o) => o.kind === 'gemm' && o.packed).length,
      ...stats,
    },
  };
}
