// SPDX-License-Identifier: MIT
/**
 * The SIMD GEMM kernel for weights in the `pairs` layout (plan/pack.ts), used by GEMMs of ≥ 2 rows.
 *
 * Register-blocked: a block of mb rows × 16 columns keeps 4·mb accumulators, mb splatted act pairs
 * and one weight vector pair in registers (mb = 2: 12 of the 15 XMM registers V8 allocates on x64;
 * more spills inside the loop, and a spilled accumulator costs a store-to-load round trip per
 * iteration). Under 16 columns the blocks are 4 rows × 8 columns. The widened kernel (acts and
 * weights pre-widened: splats and both weight vectors are plain loads) keeps the same shapes with
 * one k pair per iteration: 2 × 16 is 8 accumulators, 2 splats and 4 weight vectors, no vector spill
 * (session 14: 1–1.5 % faster than 4 × 8 on the 256→256 layer, which needed 4 splats per 8 dots).
 * Per k pair and 8 columns: one v128.load gives L = (W_lo + 128) + 256·W_hi per i16
 * lane and one i16x8.shr_s gives W_hi, so the weights cost one SIMD op per 16 bytes instead of
 * two sign extensions; each act pair costs a load16_splat and a sign extension. After the K loop,
 *   Σ W_lo·a = acc_L − 256·acc_H − 128·Σa,
 * exact in wrap-around int32 (a ring identity); Σa is summed per row before the strips. The
 * last C mod 8 columns are plain interleaved pairs (sign-extended by load8x8_s), an odd last k
 * is a plain row interleaved with zeros.
 */
import { Code, Func } from '../../../wasm-encoding/code.js';
import { gemmDriver, type FuncTable } from './shared.js';
import { chunkOf, wideWeightPairBytes, widePairLoop, type Locals, type Scratch, type WideLocals } from './pairs-wide.js';

/** Byte interleave of the low 8 lanes of two vectors: a0 b0 a1 b1 … a7 b7. */
const ZIP_TWO = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];

/**
 * Block kernel (acc, a, aStride, w, k, accumulate, bias) for `mb` rows; C columns in strips.
 * accumulate: 0 sums from zero, 1 onto the acc rows, 2 onto the row of C int32 at `bias` (every
 * row the same: a bias row the program had copied into the acc rows, plan/ops.ts foldBiasRows).
 * `prewidened`: a points at widened act rows (widen_acts in pairs-wide.ts: 128·Σa, then int16 acts)
 * and w at widened weights (plan/wide-acts.ts wideWeights: per 8-column group L and L >> 8 stored).
 */
function blockKernel(table: FuncTable, C: number, mb: number, scratch: Scratch | null, prewidened = false): number {
  const f = new Func(`gemm_pairs_${prewidened ? 'widened_' : ''}rows${mb}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, a, aS, w, k, accum, bias] = [0, 1, 2, 3, 4, 5, 6];
  const i32s = (n: number): number[] => Array.from({ length: n }, () => f.local('i32'));
  const L: { -readonly [K in keyof Locals]: Locals[K] } = {
    acc, w, k, accum,
    rowA: i32s(mb),
    p: i32s(mb),
    corr: i32s(mb),
    sums: Array.from({ length: mb }, () => Array.from({ length: 4 }, () => f.local('v128'))),
    act: Array.from({ length: mb }, () => f.local('v128')),
    wl: f.local('v128'),
    wh: f.local('v128'),
    wp: f.local('i32'),
    col: f.local('i32'),
    n: f.local('i32'),
    wide: null as WideLocals | null,
    prewidened,
    from: i32s(mb),
  };
  const kc = prewidened ? 0 : chunkOf(scratch, mb);
  if (kc > 0) {
    const i = (): number => f.local('i32');
    L.wide = { at: scratch!.at, kc, k0: i(), len: i(), q: L.rowA.map(i), s: i(), n: i(), t: i(), sp: i(), h: L.rowA.map(() => f.local('v128')), x: f.local('v128') };
  }
  const c = f.code;
  // the row each accumulator row starts from (when accumulating): acc row r, or the bias row
  L.from.forEach((r, i) => c.get(bias).get(acc).i32(4 * C * i).op('i32.add').get(accum).i32(2).op('i32.eq', 'select').set(r));
  L.rowA.forEach((r, i) => c.get(a).get(aS).i32(i).op('i32.mul', 'i32.add').i32(prewidened ? 4 : 0).op('i32.add').set(r));
  const tmp = { v: f.local('v128'), h: f.local('v128'), q: f.local('i32'), m: f.local('i32'), n: f.local('i32'), s: f.local('i32') };
  if (prewidened) L.rowA.forEach((r, i) => c.get(r).i32(4).op('i32.sub').mem('i32.load').set(L.corr[i]!));
  else if (L.wide === null) for (let r = 0; r < mb; r++) actSum(c, L.rowA[r]!, k, L.corr[r]!, tmp);
  c.i32(0).set(L.col);
  // blocks of mb rows × 16 columns, then one of 8 columns, then the tail
  const groups16 = Math.floor(C / 16);
  if (groups16 > 0) {
    const left = f.local('i32');
    c.i32(groups16).set(left).loop();
    groupStrip(c, C, mb, 2, L);
    c.get(L.col).i32(16).op('i32.add').set(L.col);
    c.get(left).i32(1).op('i32.sub').tee(left).brIf(0).end();
  }
  if (C % 16 >= 8) {
    groupStrip(c, C, mb, 1, L);
    c.get(L.col).i32(8).op('i32.add').set(L.col);
  }
  if (C % 8 > 0) tailStrip(c, C, mb, C % 8, L);
  return table.add(f);
}

/**
 * corr = 128 · Σ a[row + j] over j < K − K mod 2: 32 bytes per step, pairwise sums added in i16
 * lanes (|lane| ≤ 512 per step, so 63 steps cannot overflow) and widened every 63 steps; then 16
 * bytes if left, then the last bytes one by one.
 */
function actSum(c: Code, row: number, k: number, corr: number, t: ActSumLocals): void {
  const add16 = (off: number): void => void c.get(t.h).get(t.q).vmem('v128.load', off).v('i16x8.extadd_pairwise_i8x16_s', 'i16x8.add').set(t.h);
  const widen = (): void => void c.get(t.v).get(t.h).v('i32x4.extadd_pairwise_i16x8_s', 'i32x4.add').set(t.v);
  c.v128Zero().tee(t.v).set(t.h).i32(0).set(t.s).get(row).set(t.q).get(k).i32(5).op('i32.shr_u').set(t.m);
  c.block().loop().get(t.m).op('i32.eqz').brIf(1);
  // n = min(m, 63) steps in i16 lanes
  c.get(t.m).i32(63).get(t.m).i32(63).op('i32.lt_u', 'select').set(t.n).get(t.m).get(t.n).op('i32.sub').set(t.m);
  c.v128Zero().set(t.h).loop();
  add16(0);
  add16(16);
  c.get(t.q).i32(32).op('i32.add').set(t.q);
  c.get(t.n).i32(1).op('i32.sub').tee(t.n).brIf(0).end();
  widen();
  c.br(0).end().end();
  c.get(k).i32(16).op('i32.and').if().v128Zero().set(t.h);
  add16(0);
  widen();
  c.get(t.q).i32(16).op('i32.add').set(t.q).end();
  c.block().get(k).i32(14).op('i32.and').tee(t.m).op('i32.eqz').brIf(0).loop();
  c.get(t.s).get(t.q).mem('i32.load8_s').op('i32.add').set(t.s);
  c.get(t.q).i32(1).op('i32.add').set(t.q);
  c.get(t.m).i32(1).op('i32.sub').tee(t.m).brIf(0).end().end();
  c.get(t.s);
  for (let l = 0; l < 4; l++) c.get(t.v).lane('i32x4.extract_lane', l).op('i32.add');
  c.i32(7).op('i32.shl').set(corr);
}

interface ActSumLocals {
  readonly v: number;
  readonly h: number;
  readonly q: number;
  readonly m: number;
  readonly n: number;
  readonly s: number;
}

/** The act pair (a_k, a_k+1) of row r splatted as i16x8 (already int16 in widened rows). */
function actPair(c: Code, p: number, L: Locals, off = 0): void {
  if (L.prewidened) c.get(p).vmem('v128.load32_splat', off);
  else c.get(p).vmem('v128.load16_splat', off).v('i16x8.extend_low_i8x16_s');
}

/** Zero the accumulators, point p at the rows and wp at the strip's first pair. */
function stripStart(c: Code, mb: number, nv: number, L: Locals): void {
  for (let r = 0; r < mb; r++) for (let j = 0; j < nv; j++) c.v128Zero().set(L.sums[r]![j]!);
  for (let r = 0; r < mb; r++) c.get(L.rowA[r]!).set(L.p[r]!);
  c.get(L.w).get(L.col).i32(L.prewidened ? 2 : 1).op('i32.shl', 'i32.add').set(L.wp);
}

/**
 * The K loop over pairs: acts splatted, then `body` per pair (given the pair's weight offset from
 * wp), pointers advanced. Two pairs per iteration, then an odd last pair: the row pointers, the
 * weight pointer and the counter cost 6 of the ~30 operations of a pair at mb = 4 (digits MLP
 * batch 64 on 4x4: 124 → 98 µs per run; on 8x8 no change: 8 dots per 64 products there, at
 * the dot instruction's throughput).
 */
function pairLoop(c: Code, C: number, mb: number, L: Locals, body: (wOff: number) => void, onePair = false): void {
  if (L.wide !== null) return widePairLoop(c, C, mb, L, L.wide, () => body(0));
  const step = L.prewidened ? 4 : 2;
  const stride = L.prewidened ? wideWeightPairBytes(C) : 2 * C;
  const pair = (u: number): void => {
    for (let r = 0; r < mb; r++) (actPair(c, L.p[r]!, L, u * step), c.set(L.act[r]!));
    body(u * stride);
  };
  const advance = (pairs: number): void => {
    for (let r = 0; r < mb; r++) c.get(L.p[r]!).i32(pairs * step).op('i32.add').set(L.p[r]!);
    c.get(L.wp).i32(pairs * stride).op('i32.add').set(L.wp);
  };
  if (onePair) {
    // one pair per iteration: with two, TurboFan loads both pairs' operands first and spills
    c.block().get(L.k).i32(1).op('i32.shr_u').tee(L.n).op('i32.eqz').brIf(0).loop();
    pair(0);
    advance(1);
    c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end().end();
    return;
  }
  c.block().get(L.k).i32(2).op('i32.shr_u').tee(L.n).op('i32.eqz').brIf(0).loop();
  pair(0);
  pair(1);
  advance(2);
  c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end().end();
  c.get(L.k).i32(2).op('i32.and').if();
  pair(0);
  advance(1);
  c.end();
}

/** sums[r][j] += dot(vector on the stack, act r) for each row. */
function macRows(c: Code, mb: number, L: Locals, v: number, j: number): void {
  for (let r = 0; r < mb; r++) c.get(L.sums[r]![j]!).get(v).get(L.act[r]!).v('i32x4.dot_i16x8_s', 'i32x4.add').set(L.sums[r]![j]!);
}

/**
 * An odd last k: the plain weight row (at w + (K−1)·C), bytes interleaved with zeros, against
 * the act pair (a_K−1, next byte): the zero weight makes the extra byte add nothing.
 */
function oddRow(c: Code, C: number, mb: number, nv: number, L: Locals): void {
  c.get(L.k).i32(1).op('i32.and').if();
  for (let r = 0; r < mb; r++) (actPair(c, L.p[r]!, L), c.set(L.act[r]!));
  if (L.prewidened) c.get(L.w).get(L.k).i32(1).op('i32.shr_u').i32(wideWeightPairBytes(C)).op('i32.mul', 'i32.add').get(L.col).op('i32.add').set(L.wp);
  else c.get(L.w).get(L.k).i32(1).op('i32.sub').i32(C).op('i32.mul', 'i32.add').get(L.col).op('i32.add').set(L.wp);
  for (let h = 0; h < nv; h += 2) {
    c.get(L.wp).vmem('v128.load64_zero', 4 * h).v128Zero().shuffle(ZIP_TWO).tee(L.wl).v('i16x8.extend_low_i8x16_s').set(L.wh);
    macRows(c, mb, L, L.wh, h);
    if (h + 1 < nv) {
      c.get(L.wl).v('i16x8.extend_high_i8x16_s').set(L.wh);
      macRows(c, mb, L, L.wh, h + 1);
    }
  }
  c.end();
}

/** A strip of 8·G columns (G = 1 or 2) of full 8-column groups. */
function groupStrip(c: Code, C: number, mb: number, G: number, L: Locals): void {
  stripStart(c, mb, 2 * G, L);
  pairLoop(c, C, mb, L, (wOff) => {
    for (let g = 0; g < G; g++) {
      // widened weights: L and L >> 8 stored side by side (32 bytes per group), two plain loads
      if (L.prewidened) c.get(L.wp).vmem('v128.load', wOff + 32 * g).set(L.wl).get(L.wp).vmem('v128.load', wOff + 32 * g + 16).set(L.wh);
      else c.get(L.wp).vmem('v128.load', wOff + 16 * g).tee(L.wl).i32(8).v('i16x8.shr_s').set(L.wh);
      macRows(c, mb, L, L.wl, 2 * g);
      macRows(c, mb, L, L.wh, 2 * g + 1);
    }
  }, L.prewidened);
  // columns 8g..8g+3 (vector 2g) hold Σ W_lo·a + 128·Σa + 256·Σ W_hi·a; 8g+4..8g+7 (2g+1) hold Σ W_hi·a
  for (let r = 0; r < mb; r++)
    for (let g = 0; g < G; g++) {
      const [lo, hi] = [L.sums[r]![2 * g]!, L.sums[r]![2 * g + 1]!];
      c.get(lo).get(hi).i32(8).v('i32x4.shl', 'i32x4.sub').get(L.corr[r]!).v('i32x4.splat', 'i32x4.sub').set(lo);
    }
  oddRow(c, C, mb, 2 * G, L);
  for (let r = 0; r < mb; r++) finish(c, C, r, 8 * G, L);
}

/** The last t < 8 columns: plain interleaved pairs, ⌈t/4⌉ vectors, partial lanes discarded. */
function tailStrip(c: Code, C: number, mb: number, t: number, L: Locals): void {
  const nv = Math.ceil(t / 4);
  stripStart(c, mb, nv, L);
  pairLoop(c, C, mb, L, (wOff) => {
    for (let j = 0; j < nv; j++) {
      c.get(L.wp).vmem('v128.load8x8_s', wOff + 8 * j).set(L.wl);
      macRows(c, mb, L, L.wl, j);
    }
  });
  oddRow(c, C, mb, nv, L);
  for (let r = 0; r < mb; r++) finish(c, C, r, t, L);
}

/** Row r's `cols` accumulators (+ its starting row if accumulating) to acc + r·4C + 4·col. */
function finish(c: Code, C: number, r: number, cols: number, L: Locals): void {
  const at = (): Code => c.get(L.acc).get(L.col).i32(2).op('i32.shl', 'i32.add');
  const from = (): Code => c.get(L.from[r]!).get(L.col).i32(2).op('i32.shl', 'i32.add');
  const off = (l: number): number => r * 4 * C + 4 * l;
  for (let j = 0; 4 * j < cols; j++) {
    const v = L.sums[r]![j]!;
    const lanes = Math.min(4, cols - 4 * j);
    if (lanes === 4) {
      c.get(L.accum).if().get(v);
      from().vmem('v128.load', 16 * j).v('i32x4.add').set(v).end();
      at().get(v).vmem('v128.store', off(4 * j));
      continue;
    }
    for (let l = 0; l < lanes; l++) {
      at().get(v).lane('i32x4.extract_lane', l);
      from().mem('i32.load', 4 * (4 * j + l)).i32(0).get(L.accum).op('select', 'i32.add').mem('i32.store', off(4 * j + l));
    }
  }
}

export function pairsGemm(table: FuncTable, C: number, scratch: Scratch | null, prewidened = false): number {
  // 2 rows × 16 columns where there are 16 (2 splats per 8 dots; the widened 256→256 layer 1–1.5 %
  // faster than 4 × 8 in run()), else 4 rows × the 8-column group
  const mb = C >= 16 ? 2 : 4;
  const blocks = mb === 2 ? [2, 1] : [4, 2, 1];
  return gemmDriver(table, C, blocks.map((rows) => ({ rows, fn: blockKernel(table, C, rows, scratch, prewidened) })), C, 1);
}
