// SPDX-License-Identifier: MIT
/**
 * When float32 inputs may be quantized without a division. With y = x·(1/scale), both
 * `nearest(y + zp)` (ties to even) and `trunc(y + copysign(½, y)) + zp` differ from quantizeToInt8's
 * rounding of x/scale only where x/scale lies within ~2^-44 of a half-integer (|x/scale| ≤ 512),
 * since every operation is that close to exact. The float32 values that close are few: for a given
 * scale and zero point they are enumerated and checked, and a rounding is used only if all agree.
 */
import { quantizeToInt8 } from '../../../isa/numerics.js';

/** How the fast kernel rounds: ties to even after adding zp (fewest operations), or half away from zero. */
export type FastRounding = 'even' | 'away';

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
