// SPDX-License-Identifier: MIT
/** 16-bit float bit patterns → their values, exact in float32: IEEE half (ONNX FLOAT16, tfjs float16 weights) and bfloat16. */

/** IEEE half-precision bits → its value (subnormals, ±Infinity and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits → its value (the top half of a float32). */
export const bf16ToFloat = (h: number): number => new Float32Array(new Uint32Array([(h & 0xffff) << 16]).buffer)[0]!;
