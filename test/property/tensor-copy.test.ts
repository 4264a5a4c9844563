// SPDX-License-Identifier: MIT
/**
 * writeTensor/readTensor copy a tensor whose rows are back to back in one piece (rowsAreContiguous),
 * writeTensor one whose pixels are back to back within each line a line at a time, and byte by
 * byte otherwise: either way the bytes are pixelAddress's, as the byte loop places
 * them. Against that loop, on random layouts (contiguous or not, one or several lines and
 * samples, running past the end of DRAM), and random codes (too few included).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { pixelAddress, readTensor, rowsAreContiguous, writeTensor, type DramTensor } from '../../src/isa/program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

/** The byte loop: pixel r's bytes at pixelAddress (stores past the end of DRAM are dropped; missing codes are 0). */
function loopWrite(dram: Uint8Array, t: DramTensor, codes: Int8Array): void {
  for (let r = 0; r < t.rows; r++) for (let b = 0; b < t.rowBytes; b++) dram[pixelAddress(t, r) + b] = codes[r * t.rowBytes + b]!;
}
function loopRead(dram: Uint8Array, t: DramTensor): Int8Array {
  const out = new Int8Array(t.rows * t.rowBytes);
  for (let r = 0; r < t.rows; r++) for (let b = 0; b < t.rowBytes; b++) out[r * t.rowBytes + b] = dram[pixelAddress(t, r) + b]!;
  return out;
}

/** Layouts near the contiguous one: strides equal to or a little off rowBytes·width·sampleRows. */
const layout = fc
  .record({
    dram: fc.integer({ min: 0, max: 40 }),
    rowBytes: fc.integer({ min: 1, max: 5 }),
    width: fc.integer({ min: 1, max: 6 }),
    lines: fc.integer({ min: 1, max: 4 }),
    samples: fc.integer({ min: 1, max: 3 }),
    rowGap: fc.constantFrom(0, 0, 0, 1),
    lineGap: fc.constantFrom(0, 0, 1),
    sampleGap: fc.constantFrom(0, 0, 2),
    spelled: fc.boolean(),
    partialLine: fc.integer({ min: 0, max: 5 }),
  })
  .map((g): DramTensor => {
    const rowStride = g.rowBytes + g.rowGap;
    const sampleRows = Math.max(1, g.width * g.lines - Math.min(g.partialLine, g.width - 1));
    return {
      name: 'x',
      shape: [sampleRows * g.samples * g.rowBytes],
      dram: g.dram,
      rows: sampleRows * g.samples,
      rowBytes: g.rowBytes,
      rowStride,
      width: g.width,
      ...(g.spelled || g.lineGap > 0 ? { lineStride: g.width * rowStride + g.lineGap } : {}),
      ...(g.samples > 1 || g.spelled ? { sampleRows, sampleStride: g.lines * (g.width * rowStride + g.lineGap) + g.sampleGap } : {}),
      scale: 1,
      zp: 0,
    };
  });

test('writeTensor and readTensor place and take the bytes the per-row loop does', () => {
  fc.assert(
    fc.property(layout, fc.integer({ min: 0, max: 400 }), fc.integer({ min: -3, max: 0 }), fc.integer({ min: 0, max: 2 ** 31 }), (t, dramBytes, short, seed) => {
      const n = Math.max(0, t.rows * t.rowBytes + short);
      const codes = Int8Array.from({ length: n }, (_, i) => ((i * 37 + seed) % 256) - 128);
      const dram = Uint8Array.from({ length: dramBytes }, (_, i) => (i * 11 + seed) & 255);
      const expected = dram.slice();
      loopWrite(expected, t, codes);
      writeTensor(dram, t, codes);
      expect(dram).toEqual(expected);
      expect(readTensor(dram, t)).toEqual(loopRead(dram, t));
    }),
    { numRuns: 500, seed: SEED },
  );
});

test('rowsAreContiguous: only when every pixel r is at dram + r·rowBytes inside the memory, and always for a layout with no gaps', () => {
  fc.assert(
    fc.property(layout, fc.integer({ min: 0, max: 400 }), (t, dramBytes) => {
      const backToBack = Array.from({ length: t.rows }, (_, r) => pixelAddress(t, r)).every((a, r) => a === t.dram + r * t.rowBytes);
      const inside = t.dram + t.rows * t.rowBytes <= dramBytes;
      const fast = rowsAreContiguous(t, new Uint8Array(dramBytes));
      if (fast) expect(backToBack && inside).toBe(true);
      const per = t.sampleRows ?? t.rows;
      const width = t.width ?? t.rows;
      const noGaps = t.rowStride === t.rowBytes && (t.lineStride ?? width * t.rowStride) === width * t.rowBytes && (per === t.rows || t.sampleStride === per * t.rowBytes);
      if (noGaps && inside) expect(fast).toBe(true);
    }),
    { numRuns: 500, seed: SEED },
  );
});
