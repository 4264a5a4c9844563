// SPDX-License-Identifier: MIT
/**
 * The K loop of the `pairs` GEMM kernel when the module has scratch bytes (a range of on-chip
 * buffer memory no operation touches, e.g. the weight buffer once every weight is read in place;
 * its contents are not observable). K is cut into chunks: the block's act rows are sign-extended
 * to int16 into the scratch once per chunk (one load8x8_s and one store per 8 acts, summing them
 * for the correction term on the way), and the loop then splats each act pair with a plain
 * load32_splat — a load, no SIMD op — instead of a load16_splat and a sign extension per pair.
 */
import { Func, type Code } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/**
 * Bytes per k pair of a widened weight matrix: each full group of 8 columns as 32 bytes, the packed
 * group L (16 bytes, as plan/pack.ts stores it) then i16x8.shr_s(L, 8) (the high columns as int16),
 * so the widened kernel's two dot operands are plain loads; then the C mod 8 tail columns' 2·(C mod
 * 8) bytes as packed. The strip at column col (a multiple of 8) starts 4·col bytes into a pair.
 */
export const wideWeightPairBytes = (C: number): number => 32 * Math.floor(C / 8) + 2 * (C % 8);

/** A widened weight matrix's bytes: k/2 pairs, then an odd last row as packed (C plain bytes). */
export const wideWeightBytes = (C: number, k: number): number => (k >> 1) * wideWeightPairBytes(C) + (k & 1) * C;

/** Largest chunk: 254 steps of 8 acts keep the int16 lane sums within ±32512. */
const MAX_CHUNK = 2032;

export interface Scratch {
  readonly at: number;
  readonly bytes: number;
}

/** K per chunk for `mb` rows (a multiple of 8), or 0 if the scratch is too small to help. */
export function chunkOf(scratch: Scratch | null, mb: number): number {
  if (scratch === null) return 0;
  const kc = Math.min(MAX_CHUNK, 8 * Math.floor(scratch.bytes / (16 * mb)));
  return kc >= 16 ? kc : 0;
}

/** The `pairs` GEMM kernel's locals (pairs.ts); `wide` is set when the module has scratch for widened acts (this file). */
export interface Locals {
  readonly acc: number;
  readonly w: number;
  readonly k: number;
  readonly accum: number;
  readonly rowA: readonly number[];
  readonly p: readonly number[];
  /** 128·Σa per row (i32). */
  readonly corr: readonly number[];
  /** Accumulators: row r, vector j (4 columns each). */
  readonly sums: readonly (readonly number[])[];
  readonly act: readonly number[];
  readonly wl: number;
  readonly wh: number;
  readonly wp: number;
  readonly col: number;
  readonly n: number;
  readonly wide: WideLocals | null;
  /** Act rows come widened (widen_acts below): pairs are plain load32_splat, corr is stored with them. */
  readonly prewidened: boolean;
  /** Per row: the address of the row it accumulates onto (its acc row, or the bias row). */
  readonly from: readonly number[];
}

export interface WideLocals {
  readonly at: number;
  readonly kc: number;
  readonly k0: number;
  readonly len: number;
  readonly q: readonly number[];
  readonly s: number;
  readonly n: number;
  readonly t: number;
  readonly sp: number;
  readonly h: readonly number[];
  readonly x: number;
}

/**
 * The block's rows, chunk [k0, k0 + len), widened to scratch + r·2KC: 16 acts per row and step,
 * then 8, then the last len mod 8 (even; widened like the others, the extra lanes never read);
 * each row's sum is added to corr[r] (int16 lanes, then one by one for the last acts).
 */
function widenRows(c: Code, mb: number, L: Locals, W: WideLocals): void {
  const rows = Array.from({ length: mb }, (_, r) => r);
  const step = (off: number): void => {
    for (const r of rows) {
      c.get(W.s).get(W.q[r]!).vmem('v128.load8x8_s', off).tee(W.x).vmem('v128.store', 2 * W.kc * r + 2 * off);
      c.get(W.h[r]!).get(W.x).v('i16x8.add').set(W.h[r]!);
    }
  };
  const advance = (bytes: number): void => {
    for (const r of rows) c.get(W.q[r]!).i32(bytes).op('i32.add').set(W.q[r]!);
    c.get(W.s).i32(2 * bytes).op('i32.add').set(W.s);
  };
  for (const r of rows) c.get(L.rowA[r]!).get(W.k0).op('i32.add').set(W.q[r]!).v128Zero().set(W.h[r]!);
  c.i32(W.at).set(W.s);
  c.block().get(W.len).i32(4).op('i32.shr_u').tee(W.n).op('i32.eqz').brIf(0).loop();
  step(0);
  step(8);
  advance(16);
  c.get(W.n).i32(1).op('i32.sub').tee(W.n).brIf(0).end().end();
  c.get(W.len).i32(8).op('i32.and').if();
  step(0);
  advance(8);
  c.end();
  c.get(W.len).i32(7).op('i32.and').if();
  for (const r of rows) {
    c.get(W.s).get(W.q[r]!).vmem('v128.load8x8_s').vmem('v128.store', 2 * W.kc * r);
    c.i32(0).set(W.t).get(W.len).i32(7).op('i32.and').set(W.n).loop();
    c.get(W.t).get(W.q[r]!).mem('i32.load8_s').op('i32.add').set(W.t).get(W.q[r]!).i32(1).op('i32.add').set(W.q[r]!);
    c.get(W.n).i32(1).op('i32.sub').tee(W.n).brIf(0).end();
    c.get(L.corr[r]!).get(W.t).op('i32.add').set(L.corr[r]!);
  }
  c.end();
  for (const r of rows) {
    c.get(L.corr[r]!).get(W.h[r]!).v('i32x4.extadd_pairwise_i16x8_s').set(W.x);
    for (let l = 0; l < 4; l++) c.get(W.x).lane('i32x4.extract_lane', l).op('i32.add');
    c.set(L.corr[r]!);
  }
}

/**
 * The K loop over pairs with acts splatted from the widened chunk: `body` per pair (acts in
 * L.act, weights at L.wp); afterwards p[r] points at the odd last k and corr[r] = 128·Σa.
 */
export function widePairLoop(c: Code, C: number, mb: number, L: Locals, W: WideLocals, body: () => void): void {
  for (let r = 0; r < mb; r++) c.i32(0).set(L.corr[r]!);
  c.i32(0).set(W.k0).block().loop();
  // len = min(KC, K − K mod 2 − k0); done when 0
  c.get(L.k).i32(-2).op('i32.and').get(W.k0).op('i32.sub').tee(W.len).op('i32.eqz').brIf(1);
  c.get(W.len).i32(W.kc).get(W.len).i32(W.kc).op('i32.lt_u', 'select').set(W.len);
  widenRows(c, mb, L, W);
  c.get(W.len).i32(1).op('i32.shr_u').set(W.n).i32(W.at).set(W.sp).loop();
  for (let r = 0; r < mb; r++) c.get(W.sp).vmem('v128.load32_splat', 2 * W.kc * r).set(L.act[r]!);
  body();
  c.get(W.sp).i32(4).op('i32.add').set(W.sp).get(L.wp).i32(2 * C).op('i32.add').set(L.wp);
  c.get(W.n).i32(1).op('i32.sub').tee(W.n).brIf(0).end();
  c.get(W.k0).get(W.len).op('i32.add').set(W.k0).br(0).end().end();
  for (let r = 0; r < mb; r++) {
    c.get(L.rowA[r]!).get(L.k).i32(-2).op('i32.and').op('i32.add').set(L.p[r]!);
    c.get(L.corr[r]!).i32(7).op('i32.shl').set(L.corr[r]!);
  }
}

/**
 * widen_acts(dst, a, aStride, aOuter, inner, rows, k): the act rows a GEMM reads (runs of `inner`
 * rows aStride apart, runs aOuter apart) → consecutive rows of 4 + 2·(k + k mod 2) bytes at dst:
 * 128·Σ a[j] over j < k − k mod 2 (the pairs kernel's correction term), then the k acts as int16
 * and a zero if k is odd (the odd last pair's partner). k ≤ 2032 keeps the int16 lane sums exact.
 */
export function widenActsKernel(table: FuncTable): number {
  const f = new Func('widen_acts', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, a, aS, aO, inner, rows, k] = [0, 1, 2, 3, 4, 5, 6];
  const [left, pa, q, d, n, j, sum, even] = Array.from({ length: 8 }, () => f.local('i32'));
  const [h, x] = [f.local('v128'), f.local('v128')];
  const c = f.code;
  c.get(k).i32(-2).op('i32.and').set(even!);
  c.loop();
  // left = min(inner, rows): this run's rows; rows counts down
  c.get(inner).get(rows).get(inner).get(rows).op('i32.lt_u', 'select').set(left!).get(a).set(pa!);
  c.get(rows).get(left!).op('i32.sub').set(rows);
  c.loop();
  c.get(pa!).set(q!).get(dst).i32(4).op('i32.add').set(d!).v128Zero().set(h).i32(0).set(sum!);
  // 8 acts per step, summed in int16 lanes
  c.block().get(even!).i32(3).op('i32.shr_u').tee(n!).op('i32.eqz').brIf(0).loop();
  c.get(d!).get(q!).vmem('v128.load8x8_s').tee(x).vmem('v128.store').get(h).get(x).v('i16x8.add').set(h);
  c.get(q!).i32(8).op('i32.add').set(q!).get(d!).i32(16).op('i32.add').set(d!);
  c.get(n!).i32(1).op('i32.sub').tee(n!).brIf(0).end().end();
  // the rest one by one; the odd last act is not summed
  c.get(even!).i32(-8).op('i32.and').set(j!);
  c.block().get(j!).get(k).op('i32.ge_u').brIf(0).loop();
  c.get(d!).get(q!).mem('i32.load8_s').tee(n!).mem('i32.store16');
  c.get(sum!).get(n!).i32(0).get(j!).get(even!).op('i32.lt_u', 'select', 'i32.add').set(sum!);
  c.get(q!).i32(1).op('i32.add').set(q!).get(d!).i32(2).op('i32.add').set(d!);
  c.get(j!).i32(1).op('i32.add').tee(j!).get(k).op('i32.lt_u').brIf(0).end().end();
  c.get(k).i32(1).op('i32.and').if().get(d!).i32(0).mem('i32.store16').get(d!).i32(2).op('i32.add').set(d!).end();
  c.get(dst).get(sum!).get(h).v('i32x4.extadd_pairwise_i16x8_s').set(x);
  for (let l = 0; l < 4; l++) c.get(x).lane('i32x4.extract_lane', l).op('i32.add');
  c.i32(7).op('i32.shl').mem('i32.store');
  c.get(d!).set(dst).get(pa!).get(aS).op('i32.add').set(pa!);
  c.get(left!).i32(1).op('i32.sub').tee(left!).brIf(0).end();
  c.get(a).get(aO).op('i32.add').set(a);
  c.get(rows).brIf(0).end();
  return table.add(f);
}

/**
 * widen_weights(dst, src, k): the widened copy (wideWeightBytes) of the packed `pairs` matrix of k
 * rows at src: per pair, each 8-column group's 16 bytes L and then i16x8.shr_s(L, 8), the tail
 * columns' bytes as they are; then an odd last row as it is. run() calls it once per matrix, the
 * first time it runs (the packed matrix never changes).
 */
export function widenWeightsKernel(table: FuncTable, C: number): number {
  const f = new Func('widen_weights', ['i32', 'i32', 'i32']);
  const [dst, src, k] = [0, 1, 2];
  const [n, g] = [f.local('i32'), f.local('i32')];
  const v = f.local('v128');
  const groups = Math.floor(C / 8);
  const tail = 2 * (C % 8);
  const c = f.code;
  c.block().get(k).i32(1).op('i32.shr_u').tee(n).op('i32.eqz').brIf(0).loop();
  if (groups > 0) {
    c.i32(groups).set(g).loop();
    c.get(dst).get(src).vmem('v128.load').tee(v).vmem('v128.store').get(dst).get(v).i32(8).v('i16x8.shr_s').vmem('v128.store', 16);
    c.get(src).i32(16).op('i32.add').set(src).get(dst).i32(32).op('i32.add').set(dst);
    c.get(g).i32(1).op('i32.sub').tee(g).brIf(0).end();
  }
  if (tail > 0) c.get(dst).get(src).i32(tail).memoryCopy().get(src).i32(tail).op('i32.add').set(src).get(dst).i32(tail).op('i32.add').set(dst);
  c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end().end();
  c.get(k).i32(1).op('i32.and').if().get(dst).get(src).i32(C).memoryCopy().end();
  return table.add(f);
}
