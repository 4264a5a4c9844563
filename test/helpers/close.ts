// SPDX-License-Identifier: MIT
/** Float comparison for agreement tests against TF.js / ONNX Runtime. */
import { expect } from 'vitest';

/** |got − want| ≤ tol · max(1, |want|) elementwise (relative, with an absolute floor near zero). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let j = 0; j < want.length; j++) {
    const err = Math.abs(got[j]! - want[j]!);
    if (!(err <= tol * Math.max(1, Math.abs(want[j]!)))) expect.fail(`element ${j}: got ${got[j]}, want ${want[j]} (error ${err})`);
  }
}
