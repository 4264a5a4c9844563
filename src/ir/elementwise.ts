// SPDX-License-Identifier: MIT
/**
 * The float evaluation's element-wise loops over whole arrays (ir/evaluate.ts for graph ops,
 * ir/expression.ts for an expression's steps), each a function of its own: a typed array's map()
 * with a closure per element cost a third of a MobileNet's calibration, and a loop inside a large
 * function is deoptimized with it (evalNode meets a new op kind now and then).
 */

/** y[i] = Math.min(hi, Math.max(lo, x[i])): a clip, ReLU6 (0, 6), ReLU (0, ∞); NaN stays NaN. y may be x. */
export function clampInto(y: Float64Array, x: Float64Array, lo: number, hi: number): Float64Array {
  for (let i = 0; i < y.length; i++) y[i] = Math.min(hi, Math.max(lo, x[i]!));
  return y;
}

/** y[i] = a[i] + b[i]. */
export function addInto(y: Float64Array, a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < y.length; i++) y[i] = a[i]! + b[i]!;
  return y;
}

/** y[i] = a[i] · b[i]. */
export function mulInto(y: Float64Array, a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < y.length; i++) y[i] = a[i]! * b[i]!;
  return y;
}
