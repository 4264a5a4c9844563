// SPDX-License-Identifier: MIT
/**
 * Diagonal terms (depthwise taps, pools, adds, copies …) are stored as their diagonal, never as the k × n
 * matrix they stand for (passes/weight-matrix.ts). Every read of one must give what the dense matrix gives:
 * here random diagonals (k not a multiple of R, offsets either way, zeros on the diagonal, R and C that do
 * not divide each other) against the dense matrix built entry by entry — column codes and sums, non-zero tile
 * counts, cut tiles, the placed DRAM constants of an op, step tables — and a depthwise kernel's codes,
 * quantized as its diagonal, against the same kernel quantized as dense cin × cin matrices; a reshape's copies (one
 * diagonal run of ones per input pixel) move every element to its place in the flat order.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import type { GemmOp, GemmProgram, PhysicalTensor } from '../../../src/passes/gemm-types.js';
import { toGemmOps } from '../../../src/passes/gemm.js';
import { placeConstants } from '../../../src/passes/lower-constants.js';
import { reshapeCopies } from '../../../src/passes/reshape-copies.js';
import { Dram } from '../../../src/passes/lower-dram.js';
import { opTables, reachable } from '../../../src/passes/table.js';
import { kernelCodes } from '../../../src/passes/weight-codes.js';
import { channelTileRange, columnCodes, columnSums, cutTile, denseMatrix, densify, diagonalMatrix, nonZeroTiles, uniformDiagonal, writeRows, type WeightMatrix } from '../../../src/passes/weight-matrix.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261206);

/** A k × n diagonal (offset) with some zeros on it, and its dense codes entry by entry. */
const diagonalCase = fc
  .record({ k: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), shift: fc.integer({ min: -45, max: 45 }), R: fc.integer({ min: 1, max: 9 }), C: fc.integer({ min: 1, max: 9 }), seed: fc.integer() })
  .map(({ k, n, shift, R, C, seed }) => {
    let s = seed | 0;
    const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 8) % 255;
    // about one value in four is 0 (a tile whose only diagonal weights are 0 holds none)
    const values = Int8Array.from({ length: k }, () => (next() % 4 === 0 ? 0 : (next() % 255) - 127));
    const diag = diagonalMatrix(values, n, shift);
    const codes = new Int8Array(k * n);
    for (let i = 0; i < k; i++) if (i + shift >= 0 && i + shift < n) codes[i * n + i + shift] = values[i]!;
    return { diag, dense: denseMatrix(codes, n), R, C };
  });

/** Every tile of column tile nt that holds a weight, as [ct, bytes], cut from the tiles channelTileRange names. */
function cutColumn(m: WeightMatrix, nt: number, R: number, C: number): [number, number[]][] {
  const [lo, hi] = channelTileRange(m, nt, R, C);
  const out: [number, number[]][] = [];
  for (let ct = lo; ct < hi; ct++) {
    const bytes = new Int8Array(R * C);
    if (cutTile(m, ct, nt, R, C, bytes, 0)) out.push([ct, [...bytes]]);
    else expect(bytes.every((b) => b === 0)).toBe(true);
  }
  return out;
}

describe('a diagonal weight matrix reads as its dense matrix', () => {
  test('codes, column sums and ranges, tile counts and tiles', () => {
    fc.assert(
      fc.property(diagonalCase, ({ diag, dense, R, C }) => {
        expect(densify(diag)).toEqual(dense.codes);
        expect(columnSums([diag, diag], diag.n)).toEqual(columnSums([dense, dense], dense.n));
        for (let col = 0; col < diag.n; col++) {
          const [d, m] = [[...columnCodes(diag, col)], [...columnCodes(dense, col)]];
          expect(d.filter((v) => v !== 0)).toEqual(m.filter((v) => v !== 0));
          expect(reachable(7, d)).toEqual(reachable(7, m));
        }
        expect(nonZeroTiles(diag, R, C)).toBe(nonZeroTiles(dense, R, C));
        for (let nt = 0; nt * C < diag.n; nt++) expect(cutColumn(diag, nt, R, C)).toEqual(cutColumn(dense, nt, R, C));
        // the first `rows` rows, as tap packing and stacked adds copy them
        const rows = Math.max(1, diag.k - 3);
        const [a, b] = [new Int8Array(rows * diag.n + 5), new Int8Array(rows * diag.n + 5)];
        writeRows(diag, a, 5, rows);
        writeRows(dense, b, 5, rows);
        expect(a).toEqual(b);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("an op's placed constants (tile addresses, DRAM image) and step tables", () => {
    fc.assert(
      fc.property(diagonalCase, diagonalCase, ({ diag, dense, R, C }, other) => {
        // two terms of one op: the second as many rows and columns as the first
        const second = uniformDiagonal(diag.k, (other.diag.values[0] ?? 0) | 1, diag.n, other.diag.offset % Math.max(1, diag.n));
        const x: PhysicalTensor = { name: 'x', h: 2, w: 3, c: diag.k, params: { scale: 0.1, zp: 3 }, pads: [0, 0, 0, 0], fill: null };
        const out: PhysicalTensor = { ...x, name: 'y', c: diag.n + 2 };
        const op = (a: WeightMatrix, b: WeightMatrix): GemmOp => ({
          layer: 'l', label: 'concat-copy', out: 'y', oh: 2, ow: 3, n: diag.n, channelOffset: 2, bias: Int32Array.from({ length: diag.n }, (_, i) => i * 37 - 50),
          terms: [{ src: 'x', dy: 0, dx: 0, sy: 1, sx: 1, matrix: a }, { src: 'x', dy: 0, dx: 1, sy: 1, sx: 1, matrix: b }],
          mult: new Uint16Array(diag.n).fill(1 << 14), shift: new Uint8Array(diag.n).fill(20), zp: 0, lo: -128, hi: 127, macs: 0, weights: 0,
        });
        const gp: GemmProgram = { input: x, outputs: [out], tensors: new Map([['x', x], ['y', out]]), ops: [] };
        const place = (o: GemmOp): [unknown, Uint8Array] => {
          const dram = new Dram();
          dram.constant('before', new Uint8Array([1, 2, 3]));
          return [placeConstants(gp, o, dram, R, C), dram.image()];
        };
        const [opDiag, opDense] = [op(diag, second), op(dense, denseMatrix(densify(second), diag.n))];
        expect(place(opDiag)).toEqual(place(opDense));
        const tables = (o: GemmOp): unknown => opTables(o, { fn: 'sigmoid' }, new Float64Array(diag.n).fill(0.01), { scale: 1 / 255, zp: -128 });
        expect(tables(opDiag)).toEqual(tables(opDense));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('a depthwise kernel quantized as its diagonals', () => {
  test('the same scales, codes and column sums as its dense cin × cin taps, floors and odd values included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 9 }), fc.integer(), fc.boolean(), (cin, taps, seed, withFloor) => {
        let s = seed | 0;
        const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 8) / 2 ** 24;
        const odd = [0, -0, 1e-40, -3e-39, 1e30, NaN, Infinity];
        const data = Float32Array.from({ length: taps * cin }, () => (next() < 0.1 ? odd[Math.floor(next() * odd.length)]! : (next() - 0.5) * 4));
        const floor = withFloor ? Float64Array.from({ length: cin }, () => (next() < 0.5 ? next() * 0.05 : 0)) : undefined;
        const diagonalTaps = Array.from({ length: taps }, (_, t) => ({ weights: data.subarray(t * cin, (t + 1) * cin) }));
        const denseTaps = Array.from({ length: taps }, (_, t) => {
          const w = new Float32Array(cin * cin);
          for (let c = 0; c < cin; c++) w[c * cin + c] = data[t * cin + c]!;
          return { weights: w };
        });
        // separate caches and kernels: nothing is shared between the two quantizations
        const a = kernelCodes(new WeakMap(), { kernel: { data } }, diagonalTaps, cin, cin, 'd', floor, true);
        const b = kernelCodes(new WeakMap(), { kernel: { data: data.slice() } }, denseTaps, cin, cin, 'd', floor);
        expect([...a.scales].map(String)).toEqual([...b.scales].map(String));
        expect(a.sums).toEqual(b.sums);
        a.matrices.forEach((m, t) => {
          expect(m.form).toBe('diagonal');
          expect(densify(m)).toEqual(densify(b.matrices[t]!));
        });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

test("a depthwise layer's terms hold its diagonals (cin bytes a tap), and so do the copies after it", () => {
  const cin = 1152;
  const data = Float32Array.from({ length: 25 * cin }, (_, i) => Math.sin(i));
  const g: Graph = {
    name: 'dw',
    inputs: [{ name: 'x', shape: [6, 6, cin] }],
    nodes: [
      { name: 'dw', op: 'conv2d', inputs: ['x'], output: 'dw', kernel: { shape: [5, 5, cin, 1], data }, bias: null, strides: [1, 1], pads: [2, 2, 2, 2], depthwise: true, activation: 'linear' },
      { name: 'act', op: 'activation', fn: 'relu', inputs: ['dw'], output: 'act' },
    ],
    outputs: ['act'],
    notes: [],
  };
  const params = new Map(['x', 'dw', 'act'].map((t) => [t, { scale: 0.05, zp: 0 }]));
  const gp = toGemmOps(g, params);
  const terms = gp.ops.flatMap((op) => op.terms);
  expect(terms).toHaveLength(26);
  for (const t of terms) {
    expect(t.matrix.form).toBe('diagonal');
    expect(t.matrix.k * t.matrix.n).toBe(cin * cin);
    if (t.matrix.form === 'diagonal') expect(t.matrix.values).toHaveLength(cin);
  }
  // tap 7's codes: its weights over the column scales (max |w| over the 25 taps / 127)
  const tap = gp.ops[0]!.terms[7]!.matrix;
  const scale = (c: number): number => Math.max(...Array.from({ length: 25 }, (_, t) => Math.abs(data[t * cin + c]!))) / 127;
  for (const c of [0, 1, 500, cin - 1]) expect([...columnCodes(tap, c)]).toEqual([Math.round(data[7 * cin + c]! / scale(c)) + 0]);
});

test("a reshape's copies (their diagonal runs of ones) move every element to its place in the flat order, once", () => {
  const divisors = (v: number): number[] => Array.from({ length: v }, (_, i) => i + 1).filter((d) => v % d === 0);
  const gcd = (p: number, q: number): number => (q === 0 ? p : gcd(q, p % q));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.nat(), (c, k, times, wx, wo) => {
      const elements = ((c * k) / gcd(c, k)) * times;
      const tensor = (name: string, pixels: number, ch: number, pick: number): PhysicalTensor => {
        const ds = divisors(pixels);
        const w = ds[pick % ds.length]!;
        return { name, h: pixels / w, w, c: ch, params: { scale: 1, zp: 0 }, pads: [0, 0, 0, 0], fill: null };
      };
      const [x, out] = [tensor('x', elements / c, c, wx), tensor('y', elements / k, k, wo)];
      const stub = (_layer: string, _label: string, o: PhysicalTensor, terms: GemmOp['terms']): GemmOp => ({ layer: 'r', label: 'reshape-copy', out: 'y', oh: o.h, ow: o.w, n: o.c, channelOffset: 0, terms, bias: new Int32Array(o.c), mult: new Uint16Array(o.c), shift: new Uint8Array(o.c), zp: 0, lo: -128, hi: 127, macs: 0, weights: 0 });
      const written = new Int32Array(elements).fill(-1);
      for (const op of reshapeCopies('r', x, out, { diagonalOp: stub })) {
        const dense = op.terms.map((t) => densify(t.matrix));
        for (let oy = 0; oy < op.oh; oy++)
          for (let ox = 0; ox < op.ow; ox++) {
            const q = ((op.at?.[0] ?? 0) + oy * (op.step?.[0] ?? 1)) * out.w + (op.at?.[1] ?? 0) + ox * (op.step?.[1] ?? 1);
            for (let col = 0; col < op.n; col++) {
              // each input element's value is its flat index
              let sum = 0;
              op.terms.forEach((t, ti) => {
                const p = (t.dy + oy * t.sy) * x.w + t.dx + ox * t.sx;
                for (let row = 0; row < x.c; row++) sum += (p * x.c + row) * dense[ti]![row * op.n + col]!;
              });
              expect(written[q * k + col]).toBe(-1);
              written[q * k + col] = sum;
            }
          }
      }
      expect([...written]).toEqual(Array.from({ length: elements }, (_, i) => i));
    }),
    { seed: SEED, numRuns: 200 },
  );
});

test('densify refuses a matrix over its limit (a debug dump of a large diagonal term)', () => {
  expect(() => densify(uniformDiagonal(5000, 1), 1 << 24)).toThrow(/over 16777216 entries/);
  expect(densify(uniformDiagonal(3, 2, 4, 1))).toEqual(Int8Array.from([0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2]));
});
