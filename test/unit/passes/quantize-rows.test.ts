// Weight codes (gemm.ts quantizeRows) are clamp(Math.round(w / scale)) to ±127, byte for byte: the
// fast form (Math.floor(q + 0.5), one value taken out by name) is checked here on the quotients
// where the two roundings could part — halves, their neighbours a few ulps away, 0.5 − 2⁻⁵⁴, the
// clamp bounds, NaN and ±∞ — and on random weights and scales.
import { expect, test } from 'vitest';
import { quantizeRows } from '../../../src/passes/weight-codes.js';
import { mulberry32 } from '../../../src/util/prng.js';

const reference = (w: Float32Array, scales: Float64Array): Int8Array => Int8Array.from(w, (x, i) => Math.max(-127, Math.min(127, Math.round(x / scales[i % scales.length]!))));

/** The double next to x towards +∞ (steps > 0) or −∞ (steps < 0), |steps| times. */
function nudge(x: number, steps: number): number {
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  for (let s = 0; s < Math.abs(steps); s++) {
    if (f[0] === 0) f[0] = steps > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
    else b[0]! += (f[0]! > 0) === steps > 0 ? 1n : -1n;
  }
  return f[0]!;
}

test('the quotients next to every half, 0.5 − 2⁻⁵⁴ and the clamp bounds round as Math.round does', () => {
  const targets = [0.49999999999999994, 0.5, -0.5, 0, -0, 126.5, 127, 127.5, 128, -127.5, 2 ** 52 + 1, 1e300, NaN, Infinity, -Infinity];
  for (let h = -130; h <= 130; h++) targets.push(h + 0.5);
  const ws = Float32Array.from([1, 0.75, 3, -1, 1e-3, 0.1, 5e-8]);
  const w: number[] = [];
  const scales: number[] = [];
  let hit = 0;
  for (const t of targets)
    for (const x of ws)
      for (let d = -3; d <= 3; d++) {
        const s = nudge(x / t, d);
        w.push(x);
        scales.push(s);
        if (x / s === 0.49999999999999994) hit++;
      }
  // one column per quotient: a row of all of them
  const wa = Float32Array.from(w);
  const sa = Float64Array.from(scales);
  const got = new Int8Array(wa.length);
  quantizeRows(wa, sa, got);
  expect(Array.from(got)).toEqual(Array.from(reference(wa, sa)));
  expect(hit, 'some quotient is exactly 0.5 − 2⁻⁵⁴').toBeGreaterThan(0);
});

test('random weights and per-column scales, several rows: the same codes as Math.round', () => {
  const rnd = mulberry32(29);
  for (let k = 0; k < 200; k++) {
    const n = 1 + Math.floor(rnd() * 40);
    const rows = 1 + Math.floor(rnd() * 20);
    const w = Float32Array.from({ length: rows * n }, () => (rnd() * 2 - 1) * 10 ** (rnd() * 6 - 4));
    const scales = Float64Array.from({ length: n }, () => 10 ** (rnd() * 6 - 6));
    const got = new Int8Array(w.length);
    quantizeRows(w, scales, got);
    expect(Array.from(got)).toEqual(Array.from(reference(w, scales)));
  }
});
