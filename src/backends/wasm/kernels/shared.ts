// SPDX-License-Identifier: MIT
/**
 * Kernel functions shared by the SIMD and scalar builds: the function table, the strided copy
 * (every load and store is a copy, because buffers keep DRAM's byte layout) and the GEMM driver
 * that walks a matmul's two-level row addresses and hands row blocks to a build's inner kernels.
 */
import type { FuncType } from '../../../wasm-encoding/binary.js';
import { Func } from '../../../wasm-encoding/code.js';

/** Functions in index order; kernels register themselves and get the index calls use. */
export class FuncTable {
  readonly funcs: Func[] = [];
  add(f: Func): number {
    this.funcs.push(f);
    return this.funcs.length - 1;
  }
}

/** The index of f's signature in `types` (added if new): one type entry per distinct signature. */
export function typeIndex(types: FuncType[], f: Func): number {
  const key = JSON.stringify([f.params, f.results]);
  const i = types.findIndex((t) => JSON.stringify([t.params, t.results]) === key);
  if (i >= 0) return i;
  types.push({ params: f.params, results: f.results });
  return types.length - 1;
}

/** The kernels a build provides (function indices) and their parameter lists. */
export interface Kernels {
  /** (dst, dstStride, src, srcStride, bytes, rows) */
  readonly copyRows: number;
  /** copyRows for rows of 16·(i+1) bytes, in v128 loads and stores (empty: the build has none). */
  readonly copyVec: readonly number[];
  /** copyRows for rows of 1, 2, 4 or 8 bytes (indexed by the byte count), one load and store per row. */
  readonly copyWord: readonly (number | undefined)[];
  /** (acc, a, aStride, aOuter, inner, w, rows, k, accumulate) — see GemmOp */
  readonly gemm: number;
  /**
   * (…gemm's, table, taps): a GEMM over taps (GemmOp.taps) for any k, and one for k = `k` with
   * its K loop unrolled (or null); null: the build has none and never fuses taps.
   */
  readonly gemmTaps: { readonly any: number; readonly k: number; readonly unrolled: number | null } | null;
  /**
   * The same for weights in the packed layouts of plan/pack.ts (builds without them never pack);
   * `pairs` takes (…gemm's, bias): accumulate 2 starts every row from the C int32 at bias.
   */
  readonly gemmPacked: { readonly quad: number; readonly pairs: number } | null;
  /**
   * The `pairs` GEMM on widened act rows and widened weights (with `pairs`'s bias parameter), widen_acts (pairs-wide.ts) that makes
   * the rows and widen_weights(dst, src, k) the weights (null: the build has none).
   */
  readonly widened: { readonly gemm: number; readonly widen: number; readonly weights: number } | null;
  /** (acc, out, qnt, rows, zp, lo, hi) — see ThresholdOp */
  readonly threshold: number;
  /** The same, only for lo ≤ hi (null: the build uses `threshold`). */
  readonly thresholdOrdered: number | null;
  /** (acc, out, table, rows, steps) — see ThresholdTableOp */
  readonly thresholdTable: number;
  /** (dst, acc, lineBytes, kh, kw, pw, rows): a pooling threshold's window maxima into scratch rows (kernels/pool.ts) */
  readonly poolMax: number;
}

/** copyRows(dst, dstStride, src, srcStride, bytes, rows): rows × memory.copy. */
export function copyRowsKernel(table: FuncTable): number {
  const f = new Func('copy_rows', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, dS, src, sS, n, rows] = [0, 1, 2, 3, 4, 5];
  f.code
    .loop()
    .get(dst).get(src).get(n).memoryCopy()
    .get(dst).get(dS).op('i32.add').set(dst)
    .get(src).get(sS).op('i32.add').set(src)
    .get(rows).i32(1).op('i32.sub').tee(rows)
    .brIf(0)
    .end();
  return table.add(f);
}

/**
 * copyRows for rows of 16·n bytes (srcStride and dstStride may be anything, even 0): per row, all
 * n vectors are loaded before any is stored, so a row overlapping itself copies as memory.copy
 * (memmove) would; rows go in order. A small memory.copy is a call out of the module in V8.
 */
export function copyVecKernel(table: FuncTable, n: number): number {
  const f = new Func(`copy_rows_v${16 * n}`, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, dS, src, sS, rows] = [0, 1, 2, 3, 4];
  const v = Array.from({ length: n }, () => f.local('v128'));
  const c = f.code.loop();
  v.forEach((x, i) => c.get(src).vmem('v128.load', 16 * i).set(x));
  v.forEach((x, i) => c.get(dst).get(x).vmem('v128.store', 16 * i));
  c.get(dst).get(dS).op('i32.add').set(dst).get(src).get(sS).op('i32.add').set(src);
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}

const WORD: Readonly<Record<number, readonly [string, string]>> = { 1: ['i32.load8_u', 'i32.store8'], 2: ['i32.load16_u', 'i32.store16'], 4: ['i32.load', 'i32.store'], 8: ['i64.load', 'i64.store'] };

/**
 * copyRows for rows of `bytes` = 1, 2, 4 or 8 (dst, dstStride, src, srcStride, rows): one integer
 * load and store per row, rows in order (a row is read whole before it is written, as memory.copy
 * does). Conv window loads are rows of R bytes; memory.copy per row was a call out of the module.
 */
function copyWordKernel(table: FuncTable, bytes: number): number {
  const [load, store] = WORD[bytes]!;
  const f = new Func(`copy_rows_w${bytes}`, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, dS, src, sS, rows] = [0, 1, 2, 3, 4];
  f.code.loop().get(dst).get(src).mem(load).mem(store);
  f.code.get(dst).get(dS).op('i32.add').set(dst).get(src).get(sS).op('i32.add').set(src);
  f.code.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}

/** copyWordKernel for each of 1, 2, 4 and 8 bytes, indexed by the byte count. */
export function copyWordKernels(table: FuncTable): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const b of [1, 2, 4, 8]) out[b] = copyWordKernel(table, b);
  return out;
}

/**
 * gemm(acc, a, aStride, aOuter, inner, w, rows, k, accumulate): rows come in runs of `inner`
 * (act rows aStride apart inside a run, runs aOuter apart); acc rows are consecutive. Each run is
 * cut into blocks of the given row counts, largest first (e.g. [4, 1]); block kernels take
 * (acc, a, aStride, w, k, accumulate) and then the driver's `extra` last parameters as given. acc
 * rows are accRow int32 lanes apart (C unless the caller's rows are wider).
 */
export function gemmDriver(table: FuncTable, C: number, blocks: readonly { rows: number; fn: number }[], accRow = C, extra = 0): number {
  const f = new Func('gemm', Array.from({ length: 9 + extra }, () => 'i32' as const));
  const [acc, a, aS, aO, inner, w, rows, k, accum] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const done = f.local('i32');
  const left = f.local('i32');
  const pa = f.local('i32');
  const pacc = f.local('i32');
  const c = f.code;
  c.loop();
  // left = min(inner, rows - done)
  c.get(inner).get(rows).get(done).op('i32.sub').tee(left).get(inner).get(left).op('i32.lt_u', 'select').set(left);
  c.get(a).set(pa).get(acc).get(done).i32(4 * accRow).op('i32.mul', 'i32.add').set(pacc);
  c.get(done).get(left).op('i32.add').set(done);
  for (const b of blocks) {
    c.block().get(left).i32(b.rows).op('i32.lt_u').brIf(0).loop();
    c.get(pacc).get(pa).get(aS).get(w).get(k).get(accum);
    for (let e = 0; e < extra; e++) c.get(9 + e);
    c.call(b.fn);
    c.get(pa).get(aS).i32(b.rows).op('i32.mul', 'i32.add').set(pa);
    c.get(pacc).i32(4 * accRow * b.rows).op('i32.add').set(pacc);
    c.get(left).i32(b.rows).op('i32.sub').tee(left).i32(b.rows).op('i32.ge_u').brIf(0);
    c.end().end();
  }
  c.get(a).get(aO).op('i32.add').set(a);
  c.get(done).get(rows).op('i32.lt_u').brIf(0);
  c.end();
  return table.add(f);
}

/**
 * (dst, src, count, shift, accumulate): dst[i] = src[i]·2^shift + (accumulate ? dst[i] : 0) over
 * `count` ≥ 1 int32, wrapped — a shifted matmul's sums landing (plan/kernel-ops.ts ShiftAddOp). Scalar:
 * only a folded residual add's shortcut terms take it, one matmul of several per column tile.
 */
export function shiftAddKernel(table: FuncTable): number {
  const f = new Func('shift_add', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, src, count, shift, accumulate] = [0, 1, 2, 3, 4];
  const v = f.local('i32');
  f.code
    .loop()
    .get(src).mem('i32.load').get(shift).op('i32.shl')
    .get(dst).mem('i32.load').get(accumulate).op('i32.mul').op('i32.add').set(v)
    .get(dst).get(v).mem('i32.store')
    .get(dst).i32(4).op('i32.add').set(dst)
    .get(src).i32(4).op('i32.add').set(src)
    .get(count).i32(1).op('i32.sub').tee(count)
    .brIf(0)
    .end();
  return table.add(f);
}
