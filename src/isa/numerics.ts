// SPDX-License-Identifier: MIT
/**
 * Exact integer arithmetic of the datapath (docs/numerics.md is the prose version): the MAC,
 * int32 wrap-around, requantization with its one rounding rule, and the threshold clamp.
 * Plain JS numbers stay exact here because every intermediate is below 2^53 (see requantize).
 */

export const INT8_MIN = -128;
export const INT8_MAX = 127;
/** Requantization multipliers are unsigned 16-bit, normalized into [2^14, 2^15) by quantizeMultiplier. */
export const MULT_BITS = 15;
/** Valid shifts: 1..SHIFT_MAX (shift 0 would need a rounding constant of 1/2). */
export const SHIFT_MAX = 47;

/** Wrap to int32 (two's complement), as the accumulator adders do. */
export function wrap32(x: number): number {
  return x | 0;
}

/** One multiply-accumulate: acc + a·w, wrapped to int32. a and w are int8. */
export function mac(acc: number, a: number, w: number): number {
  return (acc + a * w) | 0;
}

/**
 * 2^(shift-1) and 2^-shift for every shift a qnt lane can hold (u8): Math.pow per element was a
 * quarter of `--prove`. Exported for loops that hoist a lane's terms (ops/threshold.ts): for a u8
 * shift, requantize(x, mult, shift) = Math.floor((x·mult + HALF_POW2[shift]) · INVERSE_POW2[shift]).
 */
export const HALF_POW2: Readonly<Float64Array> = Float64Array.from({ length: 256 }, (_, shift) => 2 ** shift / 2);
export const INVERSE_POW2: Readonly<Float64Array> = Float64Array.from({ length: 256 }, (_, shift) => 2 ** -shift);

/**
 * requantize(x, mult, shift) = floor((x·mult + 2^(shift-1)) / 2^shift)
 * i.e. x·mult/2^shift rounded to nearest, ties toward +∞ (an adder and an arithmetic shift).
 * |x| ≤ 2^31 and mult < 2^16 keep |x·mult| < 2^47, so the double arithmetic is exact.
 */
export function requantize(x: number, mult: number, shift: number): number {
  const inverse = INVERSE_POW2[shift];
  if (inverse === undefined) {
    const scale = 2 ** shift;
    return Math.floor((x * mult + scale / 2) / scale);
  }
  // the same value: dividing by 2^shift is multiplying by 2^-shift, both exact for these doubles
  return requantizeWith(x, mult, HALF_POW2[shift]!, inverse);
}

/** requantize with its shift's HALF_POW2 and INVERSE_POW2 looked up by the caller (a lane's, once per instruction). */
export function requantizeWith(x: number, mult: number, half: number, inverse: number): number {
  return Math.floor((x * mult + half) * inverse);
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The threshold unit on one lane: requantize, add the zero point, clamp to [lo, hi]. */
export function threshold(acc: number, mult: number, shift: number, zp: number, lo: number, hi: number): number {
  return clamp(requantize(acc, mult, shift) + zp, lo, hi);
}

/**
 * Represent a positive real rescale factor as mult·2^-shift with mult in [2^14, 2^15).
 * Returns null when the factor is too large to represent (shift would be < 1).
 * Factors below 2^-(SHIFT_MAX-14) lose precision gracefully (mult shrinks toward 0).
 */
export function quantizeMultiplier(real: number): { mult: number; shift: number } | null {
  if (!(real > 0) || !Number.isFinite(real)) return real === 0 ? { mult: 0, shift: 1 } : null;
  // real = f·2^e with f in [0.5, 1)
  let e = Math.floor(Math.log2(real)) + 1;
  let f = real / 2 ** e;
  if (f >= 1) {
    f /= 2;
    e += 1;
  } else if (f < 0.5) {
    f *= 2;
    e -= 1;
  }
  let mult = Math.round(f * 2 ** MULT_BITS);
  if (mult === 2 ** MULT_BITS) {
    mult /= 2;
    e += 1;
  }
  let shift = MULT_BITS - e;
  if (shift < 1) return null;
  while (shift > SHIFT_MAX) {
    mult = Math.round(mult / 2);
    shift -= 1;
  }
  return { mult, shift };
}

/** Round half away from zero, then clamp to int8 — how float values become int8 codes. */
export function quantizeToInt8(x: number, scale: number, zp: number): number {
  const q = Math.round(Math.abs(x / scale)) * Math.sign(x / scale) + zp;
  return clamp(q === 0 ? 0 : q, INT8_MIN, INT8_MAX);
}

export function dequantize(q: number, scale: number, zp: number): number {
  return (q - zp) * scale;
}

/**
 * The threshold unit's table mode on one lane: walk `steps` (threshold, code) pairs starting at
 * flat index `at` of the acc buffer (pairs are 2·lanes apart); the code of every threshold ≤ x
 * replaces the result (0 before the first), and its low 8 bits are the int8 output.
 */
export function tableStep(x: number, acc: Int32Array, at: number, lanes: number, steps: number): number {
  let y = 0;
  for (let i = 0; i < steps; i++) if (x >= acc[at + 2 * i * lanes]!) y = acc[at + (2 * i + 1) * lanes]!;
  return (y << 24) >> 24;
}
