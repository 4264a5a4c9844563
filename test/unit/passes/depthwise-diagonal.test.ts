// SPDX-License-Identifier: MIT
/**
 * A depthwise convolution's taps become cin × cin weight matrices with the tap's weights on the diagonal
 * (passes/gemm.ts diagonal): built by a loop over the diagonal, where a closure per entry (Float32Array.from)
 * took about a quarter of EfficientNet-B0's `lower` (87 → 62 CPU s, the same program), its 1,152-channel 5×5 layers
 * 1.3 M entries per tap, in each GemmOps build.
 */
import { describe, expect, test } from 'vitest';
import { diagonal } from '../../../src/passes/gemm.js';

describe('depthwise taps', () => {
  test('the diagonal matrix of each tap: its weights where row = column, zero elsewhere', () => {
    const cin = 5;
    const data = Float32Array.from({ length: 3 * cin }, (_, i) => i + 1);
    for (let tap = 0; tap < 3; tap++) {
      const m = diagonal(data, tap, cin);
      expect(m).toHaveLength(cin * cin);
      for (let r = 0; r < cin; r++) for (let c = 0; c < cin; c++) expect(m[r * cin + c]).toBe(r === c ? data[tap * cin + r] : 0);
    }
  });

  test("the 25 taps of EfficientNet-B0's 1,152-channel 5×5 layer (33 M entries): each tap's diagonal", () => {
    const cin = 1152;
    const data = Float32Array.from({ length: 25 * cin }, (_, i) => Math.sin(i));
    let sum = 0;
    for (let tap = 0; tap < 25; tap++) sum += diagonal(data, tap, cin)[cin + 1]!;
    expect(sum).toBeCloseTo(Array.from({ length: 25 }, (_, tap) => data[tap * cin + 1]!).reduce((a, b) => a + b, 0), 5);
  });
});
