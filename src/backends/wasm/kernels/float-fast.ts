// SPDX-License-Identifier: MIT
/**
 * When float32 inputs may be quantized without a division: y = x·(1/scale) rounded by
 * trunc(y + copysign(½, y)) (quantize_vec_f32_fast) differs from quantizeToInt8's x/scale rounded
 * half away from zero only where x/scale lies within a few 2^-53 (relative) of a half-integer, since
 * both are that close to the exact quotient. The float32 values that close are few: they are enumerated.
 */
import { quantizeToInt8 } from '../../../isa/numerics.js';

/** Relative half-width of the windows checked around each decision point m·scale (≥ 32× the error bound). */
const WINDOW = 2 ** -46;
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
export function fastCode(x: number, inv: number, zp: number): number {
  const y = x * inv;
  const q = Math.trunc(y + (y < 0 || Object.is(y, -0) ? -0.5 : 0.5)) + zp;
  return Number.isNaN(q) ? 0 : Math.max(-128, Math.min(127, q));
}

/**
 * 1/scale if the fast kernel gives quantizeToInt8's code for every float32 input with this scale
 * and zero point; null if that cannot be proven (the division kernel is used then).
 */
export function fastReciprocal(scale: number, zp: number): number | null {
  const inv = 1 / scale;
  // a normal inv is within 2^-53 of 1/scale (relative); x·inv and y ± ½ add as little each
  if (!(scale > 0) || !Number.isFinite(inv) || inv < 2 ** -1022 || scale < 2 ** -1000) return null;
  for (let k = -K_MAX; k < K_MAX; k++) {
    const center = (k + 0.5) * scale;
    const lo = Math.min(center * (1 - WINDOW), center * (1 + WINDOW));
    const hi = Math.max(center * (1 - WINDOW), center * (1 + WINDOW));
    if (Math.abs(lo) > 3.4e38) continue; // no finite float32 near this decision point
    // from the float32 below fround(lo) (fround may round up) to the last one ≤ hi
    for (let x = -nextUp(-Math.fround(lo)), seen = 0; x <= hi; x = nextUp(x)) {
      if (++seen > MAX_PER_WINDOW) return null;
      if (fastCode(x, inv, zp) !== (quantizeToInt8(x, scale, zp) | 0)) return null;
    }
  }
  return inv;
}

