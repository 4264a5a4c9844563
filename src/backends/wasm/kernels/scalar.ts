// SPDX-License-Identifier: MIT
/**
 * The scalar build's kernels (WebAssembly without SIMD, for engines that lack it). GEMM keeps four
 * column sums in i32 locals (wrap-around adds, as the ISA's accumulators); threshold requantizes in
 * i64: (x·mult + 2^(s−1)) >> s with s capped at 62, where every larger shift already gives 0.
 */
import { Func } from '../../../wasm-encoding/code.js';
import { poolMaxKernel } from './pool.js';
import { thresholdTableKernel } from './table.js';
import { copyRowsKernel, copyWordKernels, gemmDriver, type FuncTable, type Kernels } from './shared.js';

/** Columns summed together per pass over k. */
const COLS_PER_PASS = 4;

/**
 * gemm_rows1(acc, a, aStride, w, k, accumulate): one row, all C columns. For each group of
 * `width` columns (4, then the C mod 4 left over one at a time): sums over k, then store.
 */
function rowKernel(table: FuncTable, C: number): number {
  const f = new Func('gemm_rows1', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, a, , w, k, accum] = [0, 1, 2, 3, 4, 5];
  const sums = Array.from({ length: COLS_PER_PASS }, () => f.local('i32'));
  const [ap, wp, n, col, left] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const c = f.code;
  const group = (width: number, count: number): void => {
    c.i32(count).set(left).loop();
    // sums ← acc (or 0); col is the byte offset of this group's first column in a weight row
    for (let j = 0; j < width; j++) {
      c.get(accum).if().get(acc).get(col).i32(4).op('i32.mul', 'i32.add').mem('i32.load', 4 * j).set(sums[j]!).else().i32(0).set(sums[j]!).end();
    }
    c.get(a).set(ap).get(w).get(col).op('i32.add').set(wp).get(k).set(n);
    c.block().get(n).op('i32.eqz').brIf(0).loop();
    for (let j = 0; j < width; j++) {
      c.get(sums[j]!).get(ap).mem('i32.load8_s').get(wp).mem('i32.load8_s', j).op('i32.mul', 'i32.add').set(sums[j]!);
    }
    c.get(ap).i32(1).op('i32.add').set(ap).get(wp).i32(C).op('i32.add').set(wp);
    c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end().end();
    for (let j = 0; j < width; j++) c.get(acc).get(col).i32(4).op('i32.mul', 'i32.add').get(sums[j]!).mem('i32.store', 4 * j);
    c.get(col).i32(width).op('i32.add').set(col);
    c.get(left).i32(1).op('i32.sub').tee(left).brIf(0).end();
  };
  c.i32(0).set(col);
  const groups = Math.floor(C / COLS_PER_PASS);
  if (groups > 0) group(COLS_PER_PASS, groups);
  if (C % COLS_PER_PASS > 0) group(1, C % COLS_PER_PASS);
  return table.add(f);
}

/**
 * threshold(acc, out, qnt, rows, zp, lo, hi), lane by lane:
 *   y = ((x·mult + ((1 << s) >> 1)) >> s) + zp, s = min(shift, 62);  out = y<lo ? lo : y>hi ? hi : y
 */
function thresholdKernel(table: FuncTable, C: number): number {
  const f = new Func('threshold', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, out, qnt, rows, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const [y, s, zp64, lo64, hi64] = [f.local('i64'), f.local('i64'), f.local('i64'), f.local('i64'), f.local('i64')];
  const [col, q] = [f.local('i32'), f.local('i32')];
  const c = f.code;
  for (const [from, to] of [[zp, zp64], [lo, lo64], [hi, hi64]] as const) c.get(from).op('i64.extend_i32_s').set(to);
  c.loop();
  c.i32(0).set(col).get(qnt).set(q).loop();
  // s = min(shift, 62): larger shifts give 0 either way (|x·mult| < 2^47), and i64 shifts are mod 64
  c.get(q).mem('i32.load8_u', 2).op('i64.extend_i32_u').tee(s).i64(62).get(s).i64(62).op('i64.lt_u', 'select').set(s);
  c.get(acc).mem('i32.load').op('i64.extend_i32_s').get(q).mem('i64.load16_u').op('i64.mul');
  c.i64(1).get(s).op('i64.shl').i64(1).op('i64.shr_u', 'i64.add').get(s).op('i64.shr_s').get(zp64).op('i64.add').set(y);
  // y>hi ? hi : y, then y<lo ? lo : that
  c.get(out).get(lo64).get(hi64).get(y).get(y).get(hi64).op('i64.gt_s', 'select').get(y).get(lo64).op('i64.lt_s', 'select');
  c.op('i32.wrap_i64').mem('i32.store8');
  c.get(acc).i32(4).op('i32.add').set(acc).get(out).i32(1).op('i32.add').set(out).get(q).i32(4).op('i32.add').set(q);
  c.get(col).i32(1).op('i32.add').tee(col).i32(C).op('i32.lt_u').brIf(0).end();
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}

export function scalarKernels(table: FuncTable, C: number): Kernels {
  const copyRows = copyRowsKernel(table);
  const blocks = [{ rows: 1, fn: rowKernel(table, C) }];
  return { copyRows, copyVec: [], copyWord: copyWordKernels(table), gemmTaps: null, gemm: gemmDriver(table, C, blocks), gemmPacked: null, widened: null, threshold: thresholdKernel(table, C), thresholdOrdered: null, thresholdTable: thresholdTableKernel(table, C), poolMax: poolMaxKernel(table, C) };
}
