// SPDX-License-Identifier: MIT
/**
 * Program → kernel calls. Every instruction becomes a copy, a GEMM or a threshold on absolute
 * memory addresses (all addresses are static). Four rewrites keep results bit-exact while
 * removing work: weights are read where they were DMA'd from, dead weight loads are dropped,
 * chains of matmuls that accumulate into the same rows are fused into one long-K GEMM, and
 * weights that only GEMMs read are stored in the order the SIMD kernels read them (pack.ts).
 */
import type { ArrayConfig } from '../../../isa/config.js';
import { accessesOf } from '../../../isa/effects.js';
import type { Program } from '../../../isa/program.js';
import { entryBytes, loadBufferOf, matmulActRow, type InstructionOf, type Opcode } from '../../../isa/spec.js';
import { poolOf, tableSteps } from '../../../isa/ops/index.js';
import type { CopyOp, GemmOp, KernelOp, Tap, ThresholdOp } from './kernel-ops.js';
import { packWeights, type PackedRange } from './pack.js';
import { overlap, type MemoryPlan, type Range } from './memory.js';

export { packConstants, type PackedRange } from './pack.js';

export type { Range } from './memory.js';
export type { CopyOp, GemmOp, KernelOp, Tap, ThresholdOp } from './kernel-ops.js';

export interface OpStats {
  readonly instructions: number;
  readonly matmuls: number;
  readonly gemms: number;
  readonly weightLoadsDropped: number;
  readonly weightsFromDram: number;
  readonly packedGemms: number;
  /** GEMMs over several taps (fuseTaps). */
  readonly tapGemms: number;
}

interface Ctx {
  readonly cfg: ArrayConfig;
  readonly plan: MemoryPlan;
}

/** Byte address of entry `e` of an on-chip buffer. */
function addr(ctx: Ctx, space: 'act' | 'wgt' | 'acc' | 'qnt' | 'out', e: number): number {
  return ctx.plan.base[space] + e * entryBytes(space, ctx.cfg.rows, ctx.cfg.cols);
}

/** One instruction's kernel call (none for sync and halt): each op record's semantics (isa/ops) on memory addresses. */
const TRANSLATE: { [O in Opcode]: (insn: InstructionOf<O>, ctx: Ctx) => KernelOp | null } = {
  load: (i, ctx) => {
    const buf = loadBufferOf(i.buf);
    const bytes = entryBytes(buf, ctx.cfg.rows, ctx.cfg.cols);
    return { kind: 'copy', dst: addr(ctx, buf, i.sram), dstStride: bytes, src: i.dram, srcStride: i.stride, bytes, rows: i.rows, wgtLoad: buf === 'wgt' };
  },
  store: (i, ctx) => ({ kind: 'copy', dst: i.dram, dstStride: i.stride, src: addr(ctx, 'out', i.sram), srcStride: ctx.cfg.cols, bytes: ctx.cfg.cols, rows: i.rows, wgtLoad: false }),
  matmul: (i, ctx) => {
    const R = ctx.cfg.rows;
    // a bias matmul accumulates onto its rows after translate() has copied entry acc over them (biasCopy)
    return { kind: 'gemm', acc: addr(ctx, 'acc', i.acc), a: addr(ctx, 'act', i.act), aStride: i.actStride * R, aOuter: i.actOuter * R, inner: i.inner, w: addr(ctx, 'wgt', i.wgt), rows: i.rows, k: R, accumulate: i.accumulate === 1 || i.bias === 1, fromDram: false, packed: false };
  },
  threshold: (i, ctx) =>
    tableSteps(i) > 0
      ? { kind: 'table', acc: addr(ctx, 'acc', i.acc), out: addr(ctx, 'out', i.out), table: addr(ctx, 'acc', i.table), rows: i.rows, steps: i.steps }
      : { kind: 'threshold', acc: addr(ctx, 'acc', i.acc), out: addr(ctx, 'out', i.out), qnt: addr(ctx, 'qnt', i.qnt), rows: i.rows, zp: i.zp, lo: i.lo, hi: i.hi, ...poolOfThreshold(i, ctx) },
  sync: () => null,
  halt: () => null,
};

/**
 * A bias matmul's (bias = 1) first step: entry acc as found copied over rows 1..rows−1 (one
 * source row, stride 0), after which the matmul accumulates: every row starts from the entry and
 * row 0 from itself, as isa/ops/matmul.ts defines it (foldBiasRows may read the entry's source instead).
 */
function biasCopy(i: InstructionOf<'matmul'>, ctx: Ctx): CopyOp | null {
  if (i.bias !== 1 || i.rows < 2) return null;
  const bytes = entryBytes('acc', ctx.cfg.rows, ctx.cfg.cols);
  return { kind: 'copy', dst: addr(ctx, 'acc', i.acc + 1), dstStride: bytes, src: addr(ctx, 'acc', i.acc), srcStride: 0, bytes, rows: i.rows - 1, wgtLoad: false };
}

/** A pooling threshold's window in bytes and the scratch rows its maxima go to (plan/memory.ts). */
function poolOfThreshold(i: InstructionOf<'threshold'>, ctx: Ctx): { pool?: NonNullable<ThresholdOp['pool']> } {
  const p = poolOf(i);
  if (p === null) return {};
  const rowBytes = entryBytes('acc', ctx.cfg.rows, ctx.cfg.cols);
  const read = accessesOf(i, ctx.cfg).find((a) => a.space === 'acc')!;
  return { pool: { scratch: ctx.plan.accScratch.start, lineBytes: p.line * rowBytes, kh: p.kh, kw: p.kw, sh: p.sh, sw: p.sw, padTop: p.padTop, padLeft: p.padLeft, pw: p.pw, accBytes: (read.end - read.start) * rowBytes } };
}

const bounds = new WeakMap<GemmOp, { aLo: number; aHi: number; wLo: number; wHi: number }>();

/** The lowest and highest first act and weight addresses of a GEMM's taps (once per op: fusion asks often). */
function tapBounds(op: GemmOp): { aLo: number; aHi: number; wLo: number; wHi: number } {
  let b = bounds.get(op);
  if (b === undefined) {
    b = { aLo: op.a, aHi: op.a, wLo: op.w, wHi: op.w };
    for (const t of op.taps ?? []) (b.aLo = Math.min(b.aLo, t.a)), (b.aHi = Math.max(b.aHi, t.a)), (b.wLo = Math.min(b.wLo, t.w)), (b.wHi = Math.max(b.wHi, t.w));
    bounds.set(op, b);
  }
  return b;
}

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
      const { aLo, aHi, wLo, wHi } = tapBounds(op);
      const reads = [{ start: aLo, end: aHi + lastRow + op.k }, { start: wLo, end: wHi + op.k * C }];
      const start = op.bias === undefined ? accRange : { start: op.bias, end: op.bias + 4 * C };
      return { reads: op.accumulate ? [...reads, start] : reads, writes: [accRange] };
    }
    case 'threshold': {
      const rows = { start: op.acc, end: op.acc + op.rows * 4 * C };
      const out = { start: op.out, end: op.out + op.rows * C };
      const scratch = op.pool === undefined ? null : { start: op.pool.scratch, end: op.pool.scratch + op.rows * 4 * C };
      if (op.pool !== undefined) return { reads: [{ start: op.acc, end: op.acc + op.pool.accBytes }, { start: op.qnt, end: op.qnt + 4 * C }], writes: [scratch!, out] };
      return { reads: [rows, { start: op.qnt, end: op.qnt + 4 * C }], writes: [out] };
    }
    case 'table':
      return { reads: [{ start: op.acc, end: op.acc + op.rows * 4 * C }, { start: op.table, end: op.table + op.steps * 8 * C }], writes: [{ start: op.out, end: op.out + op.rows * C }] };
    case 'shiftAdd': {
      const dst = { start: op.dst, end: op.dst + 4 * op.count };
      return { reads: [{ start: op.src, end: op.src + 4 * op.count }, ...(op.accumulate ? [dst] : [])], writes: [dst] };
    }
  }
}

const anyOverlap = (xs: readonly Range[], ys: readonly Range[]): boolean => xs.some((x) => ys.some((y) => overlap(x, y)));

function conflicts(x: KernelOp, y: KernelOp, C: number): boolean {
  const a = effectsOf(x, C);
  const b = effectsOf(y, C);
  return anyOverlap(a.writes, [...b.reads, ...b.writes]) || anyOverlap(a.reads, b.writes);
}

/**
 * One past the image bytes that hold their initial value all run long: the constants below the
 * input (which the host writes) and below every byte a store writes. (Not every image byte: the image
 * also holds the initial bytes of maps, such as a spread gate's, after the weights.)
 */
function readOnlyEnd(p: Program, cfg: ArrayConfig): number {
  let end = Math.min(p.constants.length, p.input.dram);
  for (const insn of p.instructions) if (insn.op === 'store') for (const a of accessesOf(insn, cfg)) if (a.space === 'dram' && a.write) end = Math.min(end, a.start);
  return end;
}

/** Whether the C-byte DRAM rows at `a` and `b` both lie below `end` (readOnlyEnd) and hold the same bytes. */
function sameImageRow(p: Program, end: number, a: number, b: number, C: number): boolean {
  if (a < 0 || b < 0 || a + C > end || b + C > end) return false;
  for (let i = 0; i < C; i++) if (p.constants[a + i] !== p.constants[b + i]) return false;
  return true;
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
  const readOnly = readOnlyEnd(p, ctx.cfg);
  let fromDram = 0;
  for (const insn of p.instructions) {
    const op = (TRANSLATE[insn.op] as (i: typeof insn, c: Ctx) => KernelOp | null)(insn, ctx);
    if (op === null) continue;
    const bias = insn.op === 'matmul' ? biasCopy(insn, ctx) : null;
    if (bias !== null) ops.push(bias);
    if (insn.op === 'load' && loadBufferOf(insn.buf) === 'wgt') {
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
      // (an entry the last load left, past the rows it wrote, holds a row of the slot's previous tile:
      // zeros where the compiler trimmed the load, as the new tile's own row there; equal read-only bytes are as good)
      for (let r = 1; r < R && contiguous; r++) {
        const at = source.get(insn.wgt + r);
        contiguous = at === first! + r * C || (at !== undefined && sameImageRow(p, readOnly, at, first! + r * C, C));
      }
      if (contiguous) {
        pushGemm(ops, { ...op, w: first!, fromDram: true }, insn, ctx);
        fromDram++;
        continue;
      }
      for (let r = 0; r < R; r++) {
        const w = writer.get(insn.wgt + r);
        if (w !== undefined) live.add(w);
      }
    }
    if (insn.op === 'matmul' && op.kind === 'gemm') pushGemm(ops, op, insn, ctx);
    else ops.push(op);
  }
  const kept = rewrite ? ops.filter((op, i) => !(op.kind === 'copy' && op.wgtLoad && !live.has(i))) : ops;
  return { ops: kept, stats: { weightLoadsDropped: ops.length - kept.length, weightsFromDram: fromDram } };
}

/**
 * A matmul's GEMM; a shifted one's (`shift` ≠ 0) as two steps: its sums into the acc scratch rows,
 * then ·2^shift onto its own rows (after biasCopy, as the reference adds them to the bias entry).
 */
function pushGemm(ops: KernelOp[], op: GemmOp, insn: InstructionOf<'matmul'>, ctx: Ctx): void {
  if (insn.shift === 0) {
    ops.push(op);
    return;
  }
  const scratch = ctx.plan.accScratch.start;
  ops.push({ ...op, acc: scratch, accumulate: false });
  ops.push({ kind: 'shiftAdd', dst: op.acc, src: scratch, count: insn.rows * ctx.cfg.cols, shift: insn.shift, accumulate: op.accumulate });
}

/** How far back a matmul may move to join an earlier GEMM (keeps fusion linear in the program size). */
const FUSE_WINDOW = 64;

/** next accumulates into prev's acc rows, reading act rows of the same structure: the two may become one GEMM. */
function sameRows(prev: GemmOp, next: GemmOp): boolean {
  return next.accumulate && prev.acc === next.acc && prev.rows === next.rows && prev.aStride === next.aStride && prev.aOuter === next.aOuter && prev.inner === next.inner;
}

/**
 * Each GEMM joined to an earlier one when `join` makes the two one op: moved back past the
 * operations it does not conflict with (at most FUSE_WINDOW), the joined op taking the earlier
 * one's place (int32 wrap-around sums do not depend on their order).
 */
function fuseBack(ops: readonly KernelOp[], C: number, join: (prev: GemmOp, op: GemmOp) => GemmOp | undefined): KernelOp[] {
  const out: KernelOp[] = [];
  for (const op of ops) {
    if (op.kind === 'gemm') {
      let joined = false;
      for (let j = out.length - 1; j >= Math.max(0, out.length - FUSE_WINDOW); j--) {
        const prev = out[j]!;
        const both = prev.kind === 'gemm' ? join(prev, op) : undefined;
        if (both !== undefined) {
          out[j] = both;
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

/** acc (+)= A·W1 then acc += A'·W2, with A' and W2 continuing A and W, is one GEMM over K1 + K2. */
function fuseChains(ops: readonly KernelOp[], C: number): KernelOp[] {
  return fuseBack(ops, C, (prev, op) => (sameRows(prev, op) && op.a === prev.a + prev.k && op.w === prev.w + prev.k * C ? { ...prev, k: prev.k + op.k, fromDram: prev.fromDram && op.fromDram } : undefined));
}

/** Taps of at most this many k rows are fused (fuseTaps); longer GEMMs keep the packed kernels, faster per MAC. */
export const TAP_MAX_K = 32;

/**
 * acc (+)= A_1·W_1, then acc += A_2·W_2 with the same row structure and k: one GEMM over both
 * taps. Each call of a block kernel costs about what a k = 4 tap does, and the acc rows stay in
 * registers across taps instead of a load and a store per tap.
 */
function fuseTaps(ops: readonly KernelOp[], C: number): KernelOp[] {
  return fuseBack(ops, C, (prev, op) => {
    if (op.taps !== undefined || !sameRows(prev, op) || op.k > TAP_MAX_K || prev.k !== op.k) return undefined;
    // the taps array is this pass's own (made at the first join): pushing keeps a long chain linear
    const taps = (prev.taps ?? [{ a: prev.a, w: prev.w }]) as Tap[];
    taps.push({ a: op.a, w: op.w });
    return { ...prev, taps, fromDram: prev.fromDram && op.fromDram };
  });
}

const contiguous = (op: CopyOp): boolean => op.rows === 1 || (op.srcStride === op.bytes && op.dstStride === op.bytes);

/**
 * Back-to-back contiguous copies that continue each other (dst and src both continue where the
 * previous one ended) become one copy when the merged source and destination do not overlap:
 * then no byte the first writes is read by the second, and one memory.copy does both.
 */
function mergeCopies(ops: readonly KernelOp[]): KernelOp[] {
  const out: KernelOp[] = [];
  for (const op of ops) {
    const prev = out[out.length - 1];
    if (op.kind === 'copy' && prev?.kind === 'copy' && contiguous(op) && contiguous(prev) && op.wgtLoad === prev.wgtLoad) {
      const len = prev.rows * prev.bytes;
      const total = len + op.rows * op.bytes;
      if (op.dst === prev.dst + len && op.src === prev.src + len && !overlap({ start: prev.src, end: prev.src + total }, { start: prev.dst, end: prev.dst + total })) {
        out[out.length - 1] = { ...prev, rows: 1, bytes: total, srcStride: total, dstStride: total };
        continue;
      }
    }
    out.push(op);
  }
  return out;
}

/** How far a broadcast bias copy may be from the GEMM that folds it in (foldBiasRows). */
const BIAS_WINDOW = 16;
/**
 * How far back mergeBiasLoads looks for the load of a bias matmul's first row: the compiler loads
 * a column tile's bias before its act windows, one copy per line (ResNet-8: up to 31 ops before).
 */
const BIAS_LOAD_WINDOW = 256;

/** Copies of one row of C int32 into consecutive acc rows (source stride 0). */
const isBroadcast = (op: KernelOp | null | undefined, C: number): op is CopyOp => op?.kind === 'copy' && op.srcStride === 0 && op.bytes === 4 * C && op.dstStride === 4 * C && op.rows >= 1;

/**
 * Where the C int32 of `row` came from, if the copy wrote all of them from one place: the source
 * row's address and whether the copy wrote nothing else.
 */
function sourceOf(op: CopyOp, row: Range): { src: number; only: boolean } | null {
  const off = row.start - op.dst;
  if (off < 0) return null;
  const [q, at] = op.rows === 1 ? [0, off] : [Math.floor(off / op.dstStride), off % op.dstStride];
  // rows that overlap each other: a later one may have rewritten the row
  if (q >= op.rows || at + (row.end - row.start) > op.bytes || (op.rows > 1 && op.dstStride < op.bytes)) return null;
  return { src: op.src + q * op.srcStride + at, only: op.rows === 1 && op.bytes === row.end - row.start && at === 0 };
}

/**
 * A broadcast of an acc row over the rows after it (a bias matmul's biasCopy), where a copy not
 * far before wrote that row from elsewhere (the compiler's one-row bias load from DRAM), becomes a
 * broadcast of that source over all the rows, the first included — the replicated bias load of
 * the compilers before the bias bit, which foldBiasRows reads in place — when nothing in between
 * writes the row or the source. The one-row load goes too when it wrote only that row and
 * nothing in between reads it (the broadcast writes the same values later).
 */
function mergeBiasLoads(ops: readonly KernelOp[], C: number): KernelOp[] {
  const out: (KernelOp | null)[] = [...ops];
  ops.forEach((op, i) => {
    if (!isBroadcast(op, C) || op.src + 4 * C !== op.dst) return;
    const row = { start: op.src, end: op.src + 4 * C };
    const between: KernelOp[] = [];
    for (let k = i - 1; k >= Math.max(0, i - BIAS_LOAD_WINDOW); k--) {
      const load = out[k];
      if (load === null || load === undefined) continue;
      if (!anyOverlap([row], effectsOf(load, C).writes)) {
        between.push(load);
        continue;
      }
      const from = load.kind === 'copy' ? sourceOf(load, row) : null;
      if (from === null) return;
      const src = { start: from.src, end: from.src + 4 * C };
      // the source as the load read it is still there (the load itself included: a source it overlaps changed)
      if (overlap(src, { start: row.start, end: op.dst + op.rows * 4 * C }) || [load, ...between].some((o) => anyOverlap([src], effectsOf(o, C).writes))) return;
      out[i] = { ...op, dst: row.start, src: from.src, rows: op.rows + 1 };
      if (from.only && !between.some((o) => anyOverlap([row], effectsOf(o, C).reads))) out[k] = null;
      return;
    }
  });
  return out.filter((op): op is KernelOp => op !== null);
}

/**
 * A copy of one row of C int32 into every acc row of a following `pairs` GEMM that accumulates
 * onto exactly those rows is dropped, the GEMM reading the row itself (GemmOp.bias) — when no op
 * in between touches the acc rows or writes the row. The GEMM writes every one of its acc rows,
 * so they end as before: bias + sums (the copy was the compiled dense layers' bias init, one
 * store of each acc row per column tile, and the GEMM re-read them).
 */
function foldBiasRows(ops: readonly KernelOp[], C: number): KernelOp[] {
  const out: (KernelOp | null)[] = [...ops];
  ops.forEach((op, i) => {
    if (!isBroadcast(op, C)) return;
    const rows = { start: op.dst, end: op.dst + op.rows * 4 * C };
    const row = [{ start: op.src, end: op.src + 4 * C }];
    for (let j = i + 1; j < Math.min(ops.length, i + 1 + BIAS_WINDOW); j++) {
      const g = out[j];
      if (g === null || g === undefined) continue;
      if (g.kind === 'gemm' && g.accumulate && g.packed === 'pairs' && g.taps === undefined && g.bias === undefined && g.acc === op.dst && g.rows === op.rows && !overlap(row[0]!, rows)) {
        out[j] = { ...g, bias: op.src };
        out[i] = null;
        return;
      }
      const e = effectsOf(g, C);
      if (anyOverlap([rows], [...e.reads, ...e.writes]) || anyOverlap(row, e.writes)) return;
    }
  });
  return out.filter((op): op is KernelOp => op !== null);
}

export interface KernelOpsOptions {
  /** Fuse chains and read weights in place (false: one kernel call per instruction, the baseline). */
  readonly rewrite: boolean;
  /** Store GEMM-only weights in packed groups (the build has a packed GEMM kernel). */
  readonly pack: boolean;
  /** Fuse GEMMs into one GEMM over taps (the build has a taps kernel; default: as `pack`). */
  readonly taps?: boolean;
}

/**
 * Scratch bytes for the kernels: the weight buffer when no operation reads or writes any of it
 * (every weight is read in place). Buffer contents are not observable, so kernels may use it.
 */
function scratchOf(ops: readonly KernelOp[], plan: MemoryPlan, C: number): Range | null {
  const wgt = { start: plan.base.wgt, end: plan.base.wgt + plan.bytes.wgt };
  if (wgt.end - wgt.start < 64) return null;
  const touched = ops.some((op) => Object.values(effectsOf(op, C)).flat().some((r) => overlap(r, wgt)));
  return touched ? null : wgt;
}

export function kernelOps(p: Program, plan: MemoryPlan, opts: KernelOpsOptions): { ops: KernelOp[]; packed: PackedRange[]; scratch: Range | null; stats: OpStats } {
  const ctx = { cfg: p.config, plan };
  const { ops, stats } = translate(p, ctx, opts.rewrite);
  const chained = opts.rewrite ? fuseChains(mergeBiasLoads(ops, p.config.cols), p.config.cols) : ops;
  const fused = opts.rewrite ? mergeCopies((opts.taps ?? opts.pack) ? fuseTaps(chained, p.config.cols) : chained) : ops;
  const copies = fused.flatMap((op) => (op.kind === 'copy' ? Object.values(effectsOf(op, p.config.cols)).flat() : []));
  const { ops: packedOps, packed } = opts.rewrite && opts.pack ? packWeights(fused, p, copies) : { ops: fused, packed: [] };
  const final = opts.rewrite && opts.pack ? foldBiasRows(packedOps, p.config.cols) : packedOps;
  return {
    ops: final,
    packed,
    scratch: opts.rewrite && opts.pack ? scratchOf(final, plan, p.config.cols) : null,
    stats: {
      instructions: p.instructions.length,
      matmuls: p.instructions.filter((i) => i.op === 'matmul').length,
      gemms: fused.filter((o) => o.kind === 'gemm').length,
      tapGemms: fused.filter((o) => o.kind === 'gemm' && o.taps !== undefined).length,
      packedGemms: final.filter((o) => o.kind === 'gemm' && o.packed).length,
      ...stats,
    },
  };
}
