// SPDX-License-Identifier: MIT
/**
 * When float32 inputs may be quantized without a division. With y = x·(1/scale), both
 * `nearest(y + zp)` (ties to even) and `trunc(y + copysign(½, y)) + zp` differ from quantizeToInt8's
 * rounding of x/scale only where x/scale lies within ~2^-44 of a half-integer (|x/scale| ≤ 512),
 * since every operation is that close to exact. The float32 values that close are few: for a given
 * scale and zero point they are enumerated and checked, and a rounding is used only if all agree.
 *
 * Faster still, for any ordinary scale: float32 arithmetic four values per vector (quantizeF32x4Kernel),
 * checked at run time, falling back to the f64 step for the rare 32 values where it could be wrong.
 */
import { quantizeToInt8 } from '../../../isa/numerics.js';
import { Func } from '../../../wasm-encoding/code.js';
import { blockLocals, QUANT_STEP, quantizeBlock, quantizeTail, type FastRounding } from './float.js';

export type { FastRounding };
import type { FuncTable } from './shared.js';


/** Relative half-width of the windows checked around each decision point m·scale (≥ 2^-44 / ½ with a margin of 2^7). */
const WINDOW = 2 ** -36;
/** Half-integers m = k + ½ with |k| ≤ 300 cover every code change: codes clamp beyond |k + zp| > 128. */
const K_MAX = 300;
/** More float32 values than this in one window means a subnormal region: give up (use the division). */
const MAX_PER_WINDOW = 4096;

const f32Bits = new Float32Array(1);
const i32Bits = new Int32Array(f32Bits.buffer);
/** The next float32 above x (x a float32, not +∞). */
function nextUp(x: number): number {
  if (x === 0) return 2 ** -149;
  f32Bits[0] = x;
  i32Bits[0] = i32Bits[0]! + (x > 0 ? 1 : -1);
  return f32Bits[0]!;
}

/** What the fast kernel computes for one float32 x, in the same double operations. */
export function fastCode(x: number, inv: number, zp: number, rounding: FastRounding): number {
  const y = x * inv;
  let q: number;
  if (rounding === 'away') q = Math.trunc(y + (y < 0 || Object.is(y, -0) ? -0.5 : 0.5)) + zp;
  else {
    const v = y + zp;
    q = Math.round(v);
    if (q - v === 0.5 && q % 2 !== 0) q -= 1; // a tie: to even (Math.round takes it up)
  }
  return Number.isNaN(q) ? 0 : Math.max(-128, Math.min(127, q));
}

/** 1/scale and the rounding to use if that rounding is proven exact for every float32 input; null otherwise. */
export function fastQuantizer(scale: number, zp: number): { inv: number; rounding: FastRounding } | null {
  const inv = 1 / scale;
  // inv within 2^-53 of 1/scale (relative): normal, and scale not so small that x·inv overflows near the decision points
  if (!(scale > 0) || !Number.isFinite(inv) || inv < 2 ** -1022 || scale < 2 ** -1000) return null;
  for (const rounding of ['even', 'away'] as const) if (provenExact(scale, zp, inv, rounding)) return { inv, rounding };
  return null;
}

export function provenExact(scale: number, zp: number, inv: number, rounding: FastRounding): boolean {
  for (let k = -K_MAX; k < K_MAX; k++) {
    const center = (k + 0.5) * scale;
    const lo = Math.min(center * (1 - WINDOW), center * (1 + WINDOW));
    const hi = Math.max(center * (1 - WINDOW), center * (1 + WINDOW));
    if (Math.abs(lo) > 3.4e38) continue; // no finite float32 near this decision point
    // from the float32 below fround(lo) (fround may round up) to the last one ≤ hi
    for (let x = -nextUp(-Math.fround(lo)), seen = 0; x <= hi; x = nextUp(x)) {
      if (++seen > MAX_PER_WINDOW) return false;
      if (fastCode(x, inv, zp, rounding) !== (quantizeToInt8(x, scale, zp) | 0)) return false;
    }
  }
  return true;
}

/** 1.5·2^23: adding it to a float32 v with |v| ≤ 2^22 rounds v to an integer (ties to even), held in the low mantissa bits. */
const MAGIC = 1.5 * 2 ** 23;
/** The f32x4 step falls back unless each value's distance to its rounded code is ≤ ½ − EPS (the proof needs EPS > 2^-15·1.01). */
const EPS = 2 ** -14;

/**
 * Whether quantizeF32x4Kernel is exact for this scale and zero point: 1/scale rounded to float32 is a
 * normal float32 (so it is within 2^-24·(1 + 2^-28) of 1/scale, relatively), and zp an int8.
 */
export function f32x4Applies(scale: number, zp: number): boolean {
  const inv32 = Math.fround(1 / scale);
  return scale > 0 && Number.isInteger(zp) && zp >= -128 && zp <= 127 && inv32 >= 2 ** -126 && inv32 < Infinity;
}

/**
 * quantize_vec_f32x4[_<fallback>](src, dst, n, scale, zp, inv): quantize_vec_f32 (float.ts), four
 * float32 values per vector operation. Per value x, with inv32 = fround(1/scale):
 *   p = fl32(x·inv32);  pc = clamp(p, −128 − zp, 127 − zp) (pmax, pmin: NaN stays NaN);
 *   s = fl32(pc + (zp + M)) with M = 1.5·2^23, so s − M = r = nearest-even(pc + zp), an integer in
 *   [−128, 127] (pc + zp + M lies in [2^23, 2^24), where float32 spacing is 1), and the bits of s
 *   minus the bits of M are r as an int32 (narrowed to int8 exactly);
 *   d = pc − (s − (zp + M)) = pc + zp − r, exactly (s − (zp + M) is a small integer; pc and r − zp
 *   are within ½ and a factor 2 of each other, or r − zp = 0: Sterbenz).
 * 32 values per step (then 16, then the last n mod 16 one by one, quantizeOne): the codes are stored,
 * then each 16 recomputed by the f64 step (quantizeBlock: the division, or a rounding float-fast.ts
 * proved exact for this scale) unless every |d| in the step is ≤ T = ½ − EPS — tested on the bits
 * as int32 (|d|'s bits are its sign bit cleared), so that a NaN d (x NaN) falls back too.
 *
 * Why a code that does not fall back equals quantizeToInt8(x, scale, zp) = clamp(R(y) + zp) with
 * y = fl64(x/scale) and R rounding half away from zero (x a float32, not NaN; Y = x/scale exactly;
 * u = 2^-24):
 *   |inv32 − 1/scale| ≤ (u + 2^-53 + 2^-77)/scale (fl64 then fround; inv32 normal: f32x4Applies), so
 *   |p − y| ≤ |p − x·inv32| + |x·inv32 − Y| + |Y − y| ≤ u·|x·inv32| + 2^-150 + (u + 2^-52)·|Y|
 *            ≤ 2.0001·u·|Y| + 2^-150   (2^-150: a subnormal product's absolute error).
 *   (1) −128 − zp ≤ p ≤ 127 − zp, so pc = p and |p| ≤ 255: |Y| < 256 and |p − y| < 2^-15·1.001 < EPS.
 *       |y + zp − r| ≤ |d| + |p − y| < ½ − EPS + EPS = ½: r − zp is the integer nearest y, with no tie,
 *       so R(y) = r − zp, and clamp(r) = r.
 *   (2) p > 127 − zp ≥ 0 (+∞ included): code 127, d = 0. If p ≤ 512, |Y| < 513 and |p − y| < 2^-13,
 *       so y > 127 − zp − ½ and R(y) + zp ≥ 127. If p > 512, then x·inv32 > 512 (rounding is
 *       monotone and 512 a float32), Y > 511 and y ≥ 511 > 255: the reference clamps to 127 too.
 *   (3) p < −128 − zp: the mirror image of (2), code −128.
 *   x = ±∞ gives p = ±∞ (inv32 finite, > 0): (2) or (3), as y = ±∞. x NaN: d NaN, fallback.
 * test/unit/backends/wasm/float-edges.test.ts holds it to quantizeToInt8 on special values, values
 * at and around every decision point (k + ½)·scale, a float32 bit-pattern sweep and fast-check.
 */
export function quantizeF32x4Kernel(table: FuncTable, fallback?: FastRounding): number {
  const f = new Func(`quantize_vec_f32x4${fallback === undefined ? '' : `_${fallback}`}`, ['i32', 'i32', 'i32', 'f64', 'f64', 'f64']);
  const [src, dst, n, scale, zp, inv] = [0, 1, 2, 3, 4, 5];
  const l = blockLocals(f, src, dst, fallback === undefined ? scale : inv, zp);
  const v = (): number => f.local('v128');
  const [invV, loV, hiV, zmV, mBits, absMask, tBits, pc, s, dMax, h] = [v(), v(), v(), v(), v(), v(), v(), v(), v(), v(), v()];
  const k = [v(), v()];
  const c = f.code;
  /** splat(fround(value on the stack as f64)): every value splatted here is a float32 exactly, but inv32. */
  const splat32 = (to: number): void => void c.op('f32.demote_f64').v('f32x4.splat').set(to);
  c.f64(1).get(scale).op('f64.div');
  splat32(invV);
  c.f64(-128).get(zp).op('f64.sub');
  splat32(loV);
  c.f64(127).get(zp).op('f64.sub');
  splat32(hiV);
  c.get(zp).f64(MAGIC).op('f64.add');
  splat32(zmV);
  c.i32(bitsF32(MAGIC)).v('i32x4.splat').set(mBits);
  c.i32(0x7fffffff).v('i32x4.splat').set(absMask);
  c.i32(bitsF32(0.5 - EPS)).v('i32x4.splat').set(tBits);
  /** `groups` × 16 values from src → codes at dst, each group's recomputed in f64 if any |d| > T; moves neither pointer. */
  const step = (groups: number): void => {
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < 4; j++) {
        c.get(src).vmem('v128.load', 64 * g + 16 * j).get(invV).v('f32x4.mul').get(loV).v('f32x4.pmax').get(hiV).v('f32x4.pmin').tee(pc);
        c.get(zmV).v('f32x4.add').tee(s).get(mBits).v('i32x4.sub');
        if (j % 2 === 0) c.set(k[0]!);
        else c.set(k[1]!).get(k[0]!).get(k[1]!).v('i16x8.narrow_i32x4_s').set(j === 1 ? h : k[0]!);
        // |d|'s bits (a NaN's are above every number's), the largest of the step kept
        c.get(pc).get(s).get(zmV).v('f32x4.sub', 'f32x4.sub').get(absMask).v('v128.and');
        if (g > 0 || j > 0) c.get(dMax).v('i32x4.max_s');
        c.set(dMax);
      }
      c.get(dst).get(h).get(k[0]!).v('i8x16.narrow_i16x8_s').vmem('v128.store', 16 * g);
    }
    c.get(dMax).get(tBits).v('i32x4.gt_s', 'v128.any_true').if();
    for (let g = 0; g < groups; g++) quantizeBlock(c, 'f32', fallback, l, 16 * g);
    c.end();
  };
  const advance = (values: number): void => {
    c.get(src).i32(4 * values).op('i32.add').set(src).get(dst).i32(values).op('i32.add').set(dst);
    c.get(n).i32(values).op('i32.sub').set(n);
  };
  // 32 values per iteration, then 16 if left, then one by one
  c.block().get(n).i32(2 * QUANT_STEP).op('i32.lt_u').brIf(0).loop();
  step(2);
  advance(2 * QUANT_STEP);
  c.get(n).i32(2 * QUANT_STEP).op('i32.ge_u').brIf(0);
  c.end().end();
  c.get(n).i32(QUANT_STEP).op('i32.ge_u').if();
  step(1);
  advance(QUANT_STEP);
  c.end();
  quantizeTail(f, 'f32', src, dst, n, scale, zp);
  return table.add(f);
}

/** The bits of a float32 as an unsigned integer. */
function bitsF32(x: number): number {
  f32Bits[0] = x;
  return i32Bits[0]! >>> 0;
}
