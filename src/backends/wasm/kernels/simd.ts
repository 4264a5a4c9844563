// SPDX-License-Identifier: MIT
/**
 * The SIMD build's kernels (WebAssembly 128-bit SIMD). GEMM: i32x4.dot_i16x8_s on sign-extended
 * int8 — each lane adds two products, exact in int32 (|pair sum| ≤ 2^15) — accumulated with
 * wrap-around i32x4.add as the ISA requires. Plain weights: rows k, k+1 interleaved by a shuffle,
 * act pair splatted (4 columns × 2 k per dot). Packed weights: groups of 4 rows stored column-major,
 * act quad splatted (2 columns × 4 k per dot, no shuffle). Threshold: requantization in f64x2,
 * which reproduces numerics.ts operation for operation.
 */
import { Code, Func } from '../../../wasm-encoding/code.js';
import { copyRowsKernel, copyVecKernel, copyWordKernels, gemmDriver, type FuncTable, type Kernels } from './shared.js';
import { pairsGemm } from './pairs.js';
import { widenActsKernel, widenWeightsKernel, type Scratch } from './pairs-wide.js';
import { thresholdOrderedKernel, type ThresholdLocals } from './requant.js';
import { poolMaxKernel } from './pool.js';
import { thresholdTableKernel } from './table.js';

/** Byte interleave of the low 8 lanes of two vectors: a0 b0 a1 b1 … a7 b7. */
const ZIP_TWO = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
/** The same within one vector holding row k in lanes 0-7 and row k+1 in lanes 8-15. */
const ZIP_ONE = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15];

interface Strip {
  /** Columns in this strip (8, or the last C mod 8). */
  readonly cols: number;
}

/**
 * Block kernel for `mb` rows: (acc, a, aStride, w, k, accumulate). For every strip of 8 columns:
 * 2·mb accumulators (columns 0-3 and 4-7 of each row), then k in pairs, then an odd last k.
 * `packed`: W's rows come in groups of 4 stored column-major (see packWeights in plan/pack.ts); the
 * groups run first, 2 columns × 4 k per dot, then the K mod 4 rows left in plain layout.
 */
function blockKernel(table: FuncTable, C: number, mb: number, packed: boolean, accRow = C, taps: { k: number | null } | null = null): number {
  const f = new Func(`gemm_${packed ? 'packed_' : ''}${taps ? `taps${taps.k ?? ''}_` : ''}rows${mb}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', ...(taps ? (['i32', 'i32'] as const) : [])]);
  const [acc, a, aS, w, k, accum] = [0, 1, 2, 3, 4, 5];
  const v128s = (n: number): number[] => Array.from({ length: n }, () => f.local('v128'));
  const L: StripLocals = {
    w, k, accum,
    rowA: Array.from({ length: mb }, () => f.local('i32')),
    p: Array.from({ length: mb }, () => f.local('i32')),
    lo: v128s(mb),
    hi: v128s(mb),
    wp: f.local('i32'),
    col: f.local('i32'),
    accp: f.local('i32'),
    n: f.local('i32'),
    wlo: f.local('v128'),
    whi: f.local('v128'),
    av: f.local('v128'),
    sums: packed ? v128s(4 * mb) : [],
    wq: packed ? v128s(4) : [],
    taps: taps ? { table: 6, count: 7, tp: f.local('i32'), left: f.local('i32'), k: taps.k } : null,
  };
  const c = f.code;
  L.rowA.forEach((r, i) => c.get(a).get(aS).i32(i).op('i32.mul', 'i32.add').set(r));
  c.i32(0).set(L.col).get(acc).set(L.accp);
  const full = Math.floor(C / 8);
  const tail = C % 8;
  const strip = (s: Strip): void => stripBody(c, C, mb, s, L, packed, accRow);
  if (full > 0) {
    const left = f.local('i32');
    c.i32(full).set(left).loop();
    strip({ cols: 8 });
    c.get(L.col).i32(8).op('i32.add').set(L.col).get(L.accp).i32(32).op('i32.add').set(L.accp);
    c.get(left).i32(1).op('i32.sub').tee(left).brIf(0).end();
  }
  if (tail > 0) strip({ cols: tail });
  return table.add(f);
}

interface StripLocals {
  readonly w: number;
  readonly k: number;
  readonly accum: number;
  readonly p: readonly number[];
  readonly rowA: readonly number[];
  readonly lo: readonly number[];
  readonly hi: readonly number[];
  /** Plain-layout weight pointer: row k, column `col`. */
  readonly wp: number;
  /** Byte offset of the strip's first column. */
  readonly col: number;
  readonly accp: number;
  readonly n: number;
  readonly wlo: number;
  readonly whi: number;
  readonly av: number;
  /** Packed only: per row 4 sums holding columns (2j, 2j+1) × (k pair 0, k pair 1) as lanes. */
  readonly sums: readonly number[];
  readonly wq: readonly number[];
  /** A GEMM over taps: the table of (act offset, weight offset) i32 pairs, their count, a pointer and a counter. */
  readonly taps: { readonly table: number; readonly count: number; readonly tp: number; readonly left: number; readonly k: number | null } | null;
}

/** One strip: accumulators from acc (or 0); [packed groups]; k in pairs; the odd last k; accumulators back to acc. */
function stripBody(c: Code, C: number, mb: number, s: Strip, L: StripLocals, packed: boolean, accRow: number): void {
  const rowBytes = 4 * accRow;
  c.get(L.accum).if();
  for (let r = 0; r < mb; r++) loadAcc(c, L.accp, r * rowBytes, s.cols, L.lo[r]!, L.hi[r]!);
  c.else();
  for (let r = 0; r < mb; r++) c.v128Zero().tee(L.lo[r]!).set(L.hi[r]!);
  c.end();
  const T = L.taps;
  if (T !== null) {
    // per tap: act rows and weight rows moved by its offsets, the accumulators kept in registers
    c.get(T.table).set(T.tp).get(T.count).set(T.left).loop();
    for (let r = 0; r < mb; r++) c.get(L.rowA[r]!).get(T.tp).mem('i32.load').op('i32.add').set(L.p[r]!);
    c.get(L.w).get(L.col).op('i32.add').get(T.tp).mem('i32.load', 4).op('i32.add').set(L.wp);
  } else {
    for (let r = 0; r < mb; r++) c.get(L.rowA[r]!).set(L.p[r]!);
    c.get(L.w).get(L.col).op('i32.add').set(L.wp);
  }
  if (packed) packedGroups(c, C, mb, L);
  // k in pairs: weight rows k and k+1 interleaved, act pair (a_k, a_k+1) splatted
  const actPair = (r: number): void => void c.get(L.p[r]!).vmem('v128.load16_splat').v('i16x8.extend_low_i8x16_s');
  if (T !== null && T.k !== null) {
    // k known when building: the pairs unrolled, every address an offset from the tap's pointers
    for (let j = 0; 2 * j + 1 < T.k; j++) {
      weightPair(c, C, L.wp, 2 * j * C, L.av);
      macRows(c, mb, L, (r) => void c.get(L.p[r]!).vmem('v128.load16_splat', 2 * j).v('i16x8.extend_low_i8x16_s'), s.cols);
    }
    if (T.k % 2 === 1) {
      c.get(L.wp).vmem('v128.load64_zero', (T.k - 1) * C).v128Zero().shuffle(ZIP_TWO);
      macRows(c, mb, L, (r) => void c.get(L.p[r]!).vmem('v128.load16_splat', T.k! - 1).v('i16x8.extend_low_i8x16_s'), s.cols);
    }
    c.get(T.tp).i32(8).op('i32.add').set(T.tp).get(T.left).i32(1).op('i32.sub').tee(T.left).brIf(0).end();
    for (let r = 0; r < mb; r++) storeAcc(c, L.accp, r * rowBytes, s.cols, L.lo[r]!, L.hi[r]!);
    return;
  }
  c.block().get(L.k).i32(packed ? 3 : -1).op('i32.and').i32(1).op('i32.shr_u').tee(L.n).op('i32.eqz').brIf(0).loop();
  weightPair(c, C, L.wp, 0, L.av);
  macRows(c, mb, L, actPair, s.cols);
  for (let r = 0; r < mb; r++) c.get(L.p[r]!).i32(2).op('i32.add').set(L.p[r]!);
  c.get(L.wp).i32(2 * C).op('i32.add').set(L.wp);
  c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end().end();
  // odd last k: its partner weight row is zero, so the extra act byte it reads adds nothing
  c.get(L.k).i32(1).op('i32.and').if();
  c.get(L.wp).vmem('v128.load64_zero').v128Zero().shuffle(ZIP_TWO);
  macRows(c, mb, L, actPair, s.cols);
  c.end();
  if (T !== null) c.get(T.tp).i32(8).op('i32.add').set(T.tp).get(T.left).i32(1).op('i32.sub').tee(T.left).brIf(0).end();
  for (let r = 0; r < mb; r++) storeAcc(c, L.accp, r * rowBytes, s.cols, L.lo[r]!, L.hi[r]!);
}

/** i32 lanes (as byte indices) 0,2,4,6 and 1,3,5,7 of two vectors: pairwise sums via one add. */
const EVEN_LANES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD_LANES = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];

/**
 * Packed groups of 4 k: group g holds, for column c, bytes w[4g..4g+3][c] at 4c. Two loads give
 * 8 columns; each i16x8 holds columns (2j, 2j+1) × 4 k; the act quad (a_k..a_k+3) is splatted,
 * and dot_i16x8_s leaves per column two partial sums in adjacent lanes, added up after the loop.
 */
function packedGroups(c: Code, C: number, mb: number, L: StripLocals): void {
  const groups = L.n;
  for (const sv of L.sums) c.v128Zero().set(sv);
  c.get(L.w).get(L.col).i32(4).op('i32.mul', 'i32.add').set(L.wp); // wp walks the groups: w + 4·col + g·4C
  c.block().get(L.k).i32(2).op('i32.shr_u').tee(groups).op('i32.eqz').brIf(0).loop();
  for (let j = 0; j < 4; j++) c.get(L.wp).vmem('v128.load8x8_s', 8 * j).set(L.wq[j]!);
  for (let r = 0; r < mb; r++) {
    c.get(L.p[r]!).vmem('v128.load32_splat').v('i16x8.extend_low_i8x16_s').set(L.av);
    for (let j = 0; j < 4; j++) c.get(L.sums[4 * r + j]!).get(L.wq[j]!).get(L.av).v('i32x4.dot_i16x8_s', 'i32x4.add').set(L.sums[4 * r + j]!);
    c.get(L.p[r]!).i32(4).op('i32.add').set(L.p[r]!);
  }
  c.get(L.wp).i32(4 * C).op('i32.add').set(L.wp);
  c.get(groups).i32(1).op('i32.sub').tee(groups).brIf(0).end().end();
  for (let r = 0; r < mb; r++) {
    for (const [acc, a, b] of [[L.lo[r]!, 0, 1], [L.hi[r]!, 2, 3]] as const) {
      const [x, y] = [L.sums[4 * r + a]!, L.sums[4 * r + b]!];
      c.get(acc).get(x).get(y).shuffle(EVEN_LANES).get(x).get(y).shuffle(ODD_LANES).v('i32x4.add', 'i32x4.add').set(acc);
    }
  }
  // the plain rows after the groups: w + col + C·(k − k mod 4)
  c.get(L.w).get(L.col).op('i32.add').get(L.k).i32(-4).op('i32.and').i32(C).op('i32.mul', 'i32.add').set(L.wp);
}

/** Weight rows k, k+1 (at wp + off, C bytes apart), interleaved byte-wise, left on the stack. */
function weightPair(c: Code, C: number, wp: number, off: number, tmp: number): void {
  if (C === 8) c.get(wp).vmem('v128.load', off).tee(tmp).get(tmp).shuffle(ZIP_ONE);
  else c.get(wp).vmem('v128.load64_zero', off).get(wp).vmem('v128.load64_zero', off + C).shuffle(ZIP_TWO);
}

/** With the interleaved weight pair on the stack: acc_r += dot(w, act pair of row r) for each row. */
function macRows(c: Code, mb: number, L: StripLocals, actPair: (r: number) => void, cols: number): void {
  // a strip of at most 4 columns has nothing in its high lanes: half the dots
  const high = cols > 4;
  c.tee(L.av).v('i16x8.extend_low_i8x16_s').set(L.wlo);
  if (high) c.get(L.av).v('i16x8.extend_high_i8x16_s').set(L.whi);
  for (let r = 0; r < mb; r++) {
    actPair(r);
    c.set(L.av);
    c.get(L.lo[r]!).get(L.wlo).get(L.av).v('i32x4.dot_i16x8_s', 'i32x4.add').set(L.lo[r]!);
    if (high) c.get(L.hi[r]!).get(L.whi).get(L.av).v('i32x4.dot_i16x8_s', 'i32x4.add').set(L.hi[r]!);
  }
}

function loadAcc(c: Code, accp: number, off: number, cols: number, lo: number, hi: number): void {
  if (cols === 8) {
    c.get(accp).vmem('v128.load', off).set(lo).get(accp).vmem('v128.load', off + 16).set(hi);
    return;
  }
  c.v128Zero().set(lo).v128Zero().set(hi);
  for (let l = 0; l < cols; l++) {
    const v = l < 4 ? lo : hi;
    c.get(v).get(accp).mem('i32.load', off + 4 * l).lane('i32x4.replace_lane', l % 4).set(v);
  }
}

function storeAcc(c: Code, accp: number, off: number, cols: number, lo: number, hi: number): void {
  if (cols === 8) {
    c.get(accp).get(lo).vmem('v128.store', off).get(accp).get(hi).vmem('v128.store', off + 16);
    return;
  }
  for (let l = 0; l < cols; l++) c.get(accp).get(l < 4 ? lo : hi).lane('i32x4.extract_lane', l % 4).mem('i32.store', off + 4 * l);
}

/** f64x2 of two f64 expressions, each emitted by `lane(column)` (column 0 or 1 of the pair). */
function pairOf(c: Code, lane: (col: number) => void, both: boolean): void {
  lane(0);
  c.v('f64x2.splat');
  if (both) {
    lane(1);
    c.lane('f64x2.replace_lane', 1);
  }
}

/**
 * threshold(acc, out, qnt, rows, zp, lo, hi), two columns at a time, rows inner:
 *   floor((x·mult + 2^(shift−1)) · 2^−shift): x·mult is exact in f64 (< 2^47), the add rounds
 *   exactly as numerics.ts's double add does, and scaling by a power of two is exact, so this
 *   equals requantize() for every shift 0..255. Then + zp and clamp(x<lo ? lo : x>hi ? hi : x).
 */
export function thresholdKernel(table: FuncTable, C: number): number {
  const f = new Func('threshold', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, out, qnt, rows, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const v: Record<string, number> = {};
  for (const name of ['zp', 'lo', 'hi', 'mult', 'half', 'inv', 'x']) v[name] = f.local('v128');
  const [pa, po, n, left] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  for (const [name, p] of [['zp', zp], ['lo', lo], ['hi', hi]] as const) f.code.get(p).op('f64.convert_i32_s').v('f64x2.splat').set(v[name]!);
  thresholdPairs(f.code, C, { acc, out, qnt, rows, pa, po, n, left, v });
  return table.add(f);
}

function thresholdPairs(c: Code, C: number, L: ThresholdLocals): void {
  const v = (name: string): number => L.v[name]!;
  const shiftBits = (col: number, bias: number, op: 'i32.add' | 'i32.sub'): void => {
    c.i32(bias).get(L.qnt).mem('i32.load8_u', 4 * col + 2).op(op, 'i64.extend_i32_u').i64(52).op('i64.shl', 'f64.reinterpret_i64');
  };
  const columns = (both: boolean): void => {
    pairOf(c, (col) => c.get(L.qnt).mem('i32.load16_u', 4 * col).op('f64.convert_i32_u'), both);
    c.set(v('mult'));
    pairOf(c, (col) => shiftBits(col, 1022, 'i32.add'), both); // 2^(shift−1)
    c.set(v('half'));
    pairOf(c, (col) => shiftBits(col, 1023, 'i32.sub'), both); // 2^−shift
    c.set(v('inv'));
    c.get(L.acc).set(L.pa).get(L.out).set(L.po).get(L.rows).set(L.n).loop();
    c.get(L.po);
    c.get(L.pa).vmem(both ? 'v128.load64_zero' : 'v128.load32_zero').v('f64x2.convert_low_i32x4_s');
    c.get(v('mult')).v('f64x2.mul').get(v('half')).v('f64x2.add').get(v('inv')).v('f64x2.mul', 'f64x2.floor').get(v('zp')).v('f64x2.add').set(v('x'));
    // y = x > hi ? hi : x;  r = x < lo ? lo : y   (bitselect takes lanes of its first operand where the mask is set)
    c.get(v('lo')).get(v('hi')).get(v('x')).get(v('x')).get(v('hi')).v('f64x2.gt', 'v128.bitselect');
    c.get(v('x')).get(v('lo')).v('f64x2.lt', 'v128.bitselect');
    c.v('i32x4.trunc_sat_f64x2_s_zero').v128Zero().v('i16x8.narrow_i32x4_s').v128Zero().v('i8x16.narrow_i16x8_s');
    c.vmem(both ? 'v128.store16_lane' : 'v128.store8_lane', 0, 0);
    c.get(L.pa).i32(4 * C).op('i32.add').set(L.pa).get(L.po).i32(C).op('i32.add').set(L.po);
    c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end();
  };
  const pairs = Math.floor(C / 2);
  if (pairs > 0) {
    c.i32(pairs).set(L.left).loop();
    columns(true);
    c.get(L.acc).i32(8).op('i32.add').set(L.acc).get(L.out).i32(2).op('i32.add').set(L.out).get(L.qnt).i32(8).op('i32.add').set(L.qnt);
    c.get(L.left).i32(1).op('i32.sub').tee(L.left).brIf(0).end();
  }
  if (C % 2 === 1) columns(false);
}

/**
 * The plain-layout GEMM (4-row and 1-row blocks) for C columns, acc rows `accRow` lanes apart: the
 * runtime's (accRow = C), and the simulator's fast-mode values (gemm-module.ts: C columns of a wider sums row).
 */
export function simdGemm(table: FuncTable, C: number, accRow = C): number {
  return gemmDriver(table, C, [4, 1].map((rows) => ({ rows, fn: blockKernel(table, C, rows, false, accRow) })), accRow);
}

/**
 * The plain-layout GEMM over taps: (acc, a, aStride, aOuter, inner, w, rows, k, accumulate, table,
 * taps), `table` holding `taps` pairs of i32 (act offset, weight offset) from (a, w).
 */
export function simdTapsGemm(table: FuncTable, C: number, k: number | null = null): number {
  return gemmDriver(table, C, [4, 2, 1].map((rows) => ({ rows, fn: blockKernel(table, C, rows, false, C, { k }) })), C, 2);
}

/**
 * Taps of k = R rows (one matmul per tap) get a kernel with the K loop unrolled when R is at most
 * this: the digits CNN on 4x4 30.2 → 26.4 µs per run; on 8x8 (R = 8, C = 8: twice the dots per
 * pair) unrolling was 4% slower.
 */
const TAPS_UNROLL_MAX_K = 4;

/** The taps kernels of a build for an R-row array: any k, and k = R unrolled (null when R is too large). */
export function simdTapsKernels(table: FuncTable, R: number, C: number): NonNullable<Kernels['gemmTaps']> {
  return { any: simdTapsGemm(table, C), k: R, unrolled: R <= TAPS_UNROLL_MAX_K ? simdTapsGemm(table, C, R) : null };
}

/** `scratch`: bytes no operation touches, which the `pairs` GEMM may use (see pairs-wide.ts). */
export function simdKernels(table: FuncTable, R: number, C: number, scratch: Scratch | null): Kernels {
  const copyRows = copyRowsKernel(table);
  const gemm = simdGemm(table, C);
  const quad = gemmDriver(table, C, [2, 1].map((rows) => ({ rows, fn: blockKernel(table, C, rows, true) })));
  const copyVec = [1, 2, 3, 4].map((n) => copyVecKernel(table, n));
  const copyWord = copyWordKernels(table);
  const widened = { gemm: pairsGemm(table, C, null, true), widen: widenActsKernel(table), weights: widenWeightsKernel(table, C) };
  return { copyRows, copyVec, copyWord, gemm, gemmTaps: simdTapsKernels(table, R, C), gemmPacked: { quad, pairs: pairsGemm(table, C, scratch) }, widened, threshold: thresholdKernel(table, C), thresholdOrdered: thresholdOrderedKernel(table, C), thresholdTable: thresholdTableKernel(table, C), poolMax: poolMaxKernel(table, C) };
}
