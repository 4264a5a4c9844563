// Calibration's range scan (quantize.ts extend) is the plain in-order scan, bit for bit: the same
// bounds, NaNs skipped, and the sign of a zero bound that of the first zero the scan meets.
import { expect, test } from 'vitest';
import { extend } from '../../../src/passes/quantize.js';
import { mulberry32 } from '../../../src/util/prng.js';

function plainScan(v: Float64Array, lo: number, hi: number): [number, number] {
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

const specials = [0, -0, NaN, Infinity, -Infinity, 1e-300, -1e-300];

test('extend = the plain scan over random arrays with zeros of both signs, NaN and infinities', () => {
  const rnd = mulberry32(17);
  const starts: [number, number][] = [[Infinity, -Infinity], [0, 0], [-0, -0], [-0, 0], [0, -0], [-1, 1], [NaN, NaN]];
  for (let k = 0; k < 3000; k++) {
    const length = Math.floor(rnd() * 12);
    const mix = rnd();
    const v = Float64Array.from({ length }, () => (rnd() < mix ? specials[Math.floor(rnd() * specials.length)]! : rnd() * 4 - (rnd() < 0.5 ? 0 : 4)));
    const [lo, hi] = starts[k % starts.length]!;
    const got = extend(v, lo, hi);
    const want = plainScan(v, lo, hi);
    // Object.is tells -0 from 0 and matches NaN with NaN
    expect([Object.is(got[0], want[0]), Object.is(got[1], want[1])], `${Array.from(v)} from [${lo}, ${hi}]: ${got} vs ${want}`).toEqual([true, true]);
  }
});

test('a ReLU output: zero low bound keeps the first zero, the high bound is the max', () => {
  const v = Float64Array.from([3, 0, -0, 2, 0.5]);
  const [lo, hi] = extend(v, Infinity, -Infinity);
  expect(Object.is(lo, 0)).toBe(true);
  expect(hi).toBe(3);
  expect(Object.is(extend(Float64Array.from([-0, 0]), Infinity, -Infinity)[0], -0)).toBe(true);
});
