import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { quantizeMultiplier, requantize, SHIFT_MAX, threshold } from '../../../src/isa/numerics.js';

describe('requantize: round half up, exactly', () => {
  test('ties go toward +infinity', () => {
    // x·mult/2^shift = 2.5 → 3 and −2.5 → −2 (floor(x + 1/2))
    expect(requantize(5, 1, 1)).toBe(3);
    expect(requantize(-5, 1, 1)).toBe(-2);
    expect(requantize(-3, 1, 1)).toBe(-1); // −1.5 → −1
  });

  test('matches exact BigInt arithmetic over the whole int32 × u16 × shift range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: SHIFT_MAX }), (x, m, s) => {
        const big = (BigInt(x) * BigInt(m) + (1n << BigInt(s - 1))) >> BigInt(s); // BigInt >> is floor
        expect(requantize(x, m, s)).toBe(Number(big));
      }),
      { numRuns: 5000 },
    );
  });

  test('every u8 shift (the table path) gives floor((x·mult + 2^shift/2) / 2^shift) as plain double arithmetic does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 }), (x, m, s) => {
        expect(requantize(x, m, s)).toBe(Math.floor((x * m + 2 ** s / 2) / 2 ** s));
      }),
      { numRuns: 5000 },
    );
    expect(requantize(7, 3, 256)).toBe(Math.floor((21 + 2 ** 255) / 2 ** 256)); // outside the table
  });

  test('threshold clamps after adding the zero point', () => {
    expect(threshold(1 << 20, 1 << 14, 15, -128, -128, 127)).toBe(127);
    expect(threshold(-1000, 1 << 14, 15, -128, -128, 127)).toBe(-128); // ReLU: lo = zp
  });
});

describe('quantizeMultiplier', () => {
  test('represents real factors to 15 significant bits', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1000, noNaN: true }), (r) => {
        const q = quantizeMultiplier(r)!;
        expect(q.mult).toBeGreaterThanOrEqual(2 ** 14);
        expect(q.mult).toBeLessThan(2 ** 15);
        expect(Math.abs(q.mult / 2 ** q.shift - r) / r).toBeLessThanOrEqual(2 ** -15);
      }),
    );
  });

  test('refuses factors that need a shift below 1', () => {
    expect(quantizeMultiplier(2 ** 15)).toBeNull();
  });
});
