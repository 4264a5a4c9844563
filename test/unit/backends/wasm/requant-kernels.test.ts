/**
 * The SIMD requantization (kernels/requant.ts: threshold_ordered's five f64x2 operations, no
 * floor) on its own, against numerics.ts `threshold`, where rounding can go wrong: every u8 shift
 * (0 included: z is an integer there), multipliers 1 and powers of two (exact ties x·mult +
 * 2^(shift−1) ≡ 0 mod 2^shift, and one off either side), random u16 multipliers, int32 extremes,
 * clamps. It fails with ε = 2^−(shift+1) (a tie at shift 0) or ε = 0 (ties to even) planted.
 * Values one step of 2^−shift below a tie (belowTie) are drawn too. The path for 8 columns whose
 * mult·2^−shift are all ≤ ½ (δ instead of ε, the clamp in int8 lanes) gets columns of its own, ½
 * exactly included, unclamped values one step below a tie with mult > 2^15, and groups with one
 * column above ½ (the general path); it fails with δ = 0 (ties to even), δ = 2^−15 (θ past
 * 2^−shift) or every group let in (M above 1 wraps the low word).
 */
import wabtInit from 'wabt';
import { describe, expect, test } from 'vitest';
import { webAssembly, type WasmMemory } from '../../../../src/backends/wasm/instance.js';
import { simdKernels } from '../../../../src/backends/wasm/kernels/simd.js';
import { FuncTable, typeIndex } from '../../../../src/backends/wasm/kernels/shared.js';
import { threshold } from '../../../../src/isa/numerics.js';
import { assembleModule, type FuncType } from '../../../../src/wasm-encoding/binary.js';
import { mulberry32 } from '../../../../src/util/prng.js';

type Fn = (...args: number[]) => void;
interface Exports {
  memory: WasmMemory;
  threshold: Fn;
}

async function kernels(C: number): Promise<Exports> {
  const table = new FuncTable();
  const k = simdKernels(table, 4, C, null);
  const types: FuncType[] = [];
  const funcs = table.funcs.map((f) => ({ type: typeIndex(types, f), locals: f.locals, body: f.code.bytes }));
  const bytes = assembleModule({
    types, funcs, memoryPages: 2, globals: [], data: [],
    exports: [
      { name: 'memory', kind: 'Memory', index: 0 },
      { name: 'threshold', kind: 'Func', index: k.thresholdOrdered! },
    ],
  });
  const wabt = await wabtInit();
  expect(() => wabt.readWasm(bytes, { simd: true, bulk_memory: true }).validate()).not.toThrow();
  return (await webAssembly().instantiate(bytes, {})).instance.exports as unknown as Exports;
}

/** Per column: {mult, shift}; multipliers that make exact ties reachable half the time. */
function qntRow(r: () => number, C: number): { mult: number; shift: number }[] {
  const shifts = [0, 1, 2, 15, 31, 46, 47, 48, 255];
  return Array.from({ length: C }, () => {
    const shift = r() < 0.5 ? shifts[Math.floor(r() * shifts.length)]! : Math.floor(r() * 256);
    const mult = r() < 0.25 ? 1 : r() < 0.5 ? 2 ** Math.floor(r() * 16) : Math.floor(r() * 65536);
    return { mult, shift };
  });
}

/** An int32 acc value for column {mult, shift}: near a tie, an extreme, or anything. */
function accValue(r: () => number, q: { mult: number; shift: number }): number {
  const pick = r();
  if (pick < 0.4 && q.mult > 0) {
    // x·mult + 2^(shift−1) = j·2^shift exactly when mult divides it (shift 0: x·mult = j); then one off either side
    const j = Math.floor(r() * 300) - 150;
    const x = Math.round((j * 2 ** q.shift - (q.shift > 0 ? 2 ** (q.shift - 1) : 0)) / q.mult) + Math.floor(r() * 3) - 1;
    if (x >= -(2 ** 31) && x < 2 ** 31) return x;
  }
  if (pick < 0.6) return r() < 0.5 ? 2 ** 31 - 1 - Math.floor(r() * 4) : -(2 ** 31) + Math.floor(r() * 4);
  return pick < 0.8 ? Math.floor(r() * 2 ** 20) - 2 ** 19 : Math.floor(r() * 2 ** 32) - 2 ** 31;
}

const [QNT, ACC, OUT] = [0, 8192, 40960];

/** Writes the columns' (mult, shift) and the acc rows, runs threshold_ordered with `zp` and drawn [lo, hi], and compares every byte with numerics.threshold. */
function expectThreshold(x: Exports, r: () => number, q: readonly { mult: number; shift: number }[], acc: readonly number[], rows: number, zp: number, what: string): void {
  const C = q.length;
  const mem = new DataView(x.memory.buffer);
  q.forEach((l, c) => (mem.setUint16(QNT + 4 * c, l.mult, true), mem.setUint8(QNT + 4 * c + 2, l.shift)));
  acc.forEach((v, i) => mem.setInt32(ACC + 4 * i, v, true));
  const lo = r() < 0.5 ? -128 : Math.floor(r() * 256) - 128;
  const hi = r() < 0.5 ? 127 : lo + Math.floor(r() * (128 - lo));
  x.threshold(ACC, OUT, QNT, rows, zp, lo, hi);
  const got = Array.from({ length: rows * C }, (_, i) => mem.getInt8(OUT + i));
  const want = acc.map((v, i) => (threshold(v, q[i % C]!.mult, q[i % C]!.shift, zp, lo, hi) << 24) >> 24);
  expect(got, what).toEqual(want);
}

describe('threshold_ordered = numerics.threshold', () => {
  test.each([1, 4, 5, 8, 13, 16, 19])('%i columns: every row, 60 draws of parameters', async (C) => {
    const x = await kernels(C);
    const r = mulberry32(17 * C);
    const rows = 24;
    for (let trial = 0; trial < 60; trial++) {
      const q = qntRow(r, C);
      const acc = Array.from({ length: rows * C }, (_, i) => (r() < 0.3 ? belowTie(r, q[i % C]!) : null) ?? accValue(r, q[i % C]!));
      expectThreshold(x, r, q, acc, rows, Math.floor(r() * 256) - 128, `trial ${trial}`);
    }
  });
});

/** Per column, M = mult·2^−shift ≤ ½: shift ≥ 17 (any u16 mult), or mult ≤ 2^(shift−1), ½ itself included. */
function halfOrLessRow(r: () => number, C: number): { mult: number; shift: number }[] {
  return Array.from({ length: C }, () => {
    const pick = r();
    if (pick < 0.2) {
      const shift = 1 + Math.floor(r() * 16);
      return { mult: 2 ** (shift - 1), shift }; // M = ½
    }
    if (pick < 0.5) {
      const shift = 1 + Math.floor(r() * 16);
      return { mult: Math.floor(r() * (2 ** (shift - 1) + 1)), shift };
    }
    return { mult: r() < 0.3 ? 2 ** Math.floor(r() * 16) : Math.floor(r() * 65536), shift: 17 + Math.floor(r() * 40) };
  });
}

describe('threshold_ordered, columns with mult·2^−shift ≤ ½ (int8 clamp) = numerics.threshold', () => {
  test.each([8, 9, 13, 16, 24])('%i columns: every row, 80 draws, one group in four with a column above ½', async (C) => {
    const x = await kernels(C);
    const r = mulberry32(31 * C);
    const rows = 24;
    for (let trial = 0; trial < 80; trial++) {
      const q = halfOrLessRow(r, C);
      // one column just above ½ (mult = 2^(shift−1) + 1) in some groups: those take the general path
      if (trial % 4 === 3) q[Math.floor(r() * C)] = { mult: 2 ** 14 + 1, shift: 15 };
      const acc = Array.from({ length: rows * C }, (_, i) => (r() < 0.3 ? belowTie(r, q[i % C]!) : null) ?? accValue(r, q[i % C]!));
      // in some columns, row 0 one step below a tie with a small result and mult > 2^15 (so that an
      // offset δ·M of 2^−15·M would carry it over), unclamped
      for (let c = 0; c < C && trial % 4 !== 3; c++) {
        const t = r() < 0.4 ? smallBelowTie(r) : null;
        if (t !== null) (q[c] = { mult: t.mult, shift: 17 }), (acc[c] = t.x);
      }
      expectThreshold(x, r, q, acc, rows, Math.floor(r() * 256) - 128, `trial ${trial}`);
    }
  });
});

/**
 * An int32 x one step of 2^−shift below a tie: x·mult + 2^(shift−1) ≡ −1 (mod 2^shift), solvable for an
 * odd mult (invertible mod 2^shift) and 1 ≤ shift ≤ 31; null otherwise. A rounding offset of 2^−shift
 * or more (δ too large) carries it over the tie.
 */
function belowTie(r: () => number, q: { mult: number; shift: number }): number | null {
  if (q.mult % 2 === 0 || q.shift < 1 || q.shift > 31) return null;
  const m = 1n << BigInt(q.shift);
  let inv = 1n; // mult⁻¹ mod 2^shift by Newton's iteration (each step doubles the correct bits)
  for (let i = 0; i < 6; i++) inv = (inv * (2n - BigInt(q.mult) * inv)) % m;
  const x0 = Number((((((m >> 1n) - 1n) * inv) % m) + m) % m);
  const x = x0 - Math.floor(r() * 2 ** (32 - q.shift)) * 2 ** q.shift;
  return x >= -(2 ** 31) ? x : x0;
}

/** An odd x in ±400 and an odd mult in (2^15, 2^16) with x·mult + 2^16 ≡ −1 (mod 2^17): at shift 17, one step below a tie, |result| < 200. */
function smallBelowTie(r: () => number): { x: number; mult: number } | null {
  for (let tries = 0; tries < 20; tries++) {
    const x = 2 * Math.floor(r() * 400) - 399;
    const m = 1n << 17n;
    let inv = 1n;
    for (let i = 0; i < 6; i++) inv = (inv * (2n - BigInt(x) * inv)) % m;
    const mult = Number((((((m >> 1n) - 1n) * inv) % m) + m) % m);
    if (mult > 2 ** 15 && mult < 2 ** 16) return { x, mult };
  }
  return null;
}

/**
 * A mult whose odd part is above 512 (the ½-or-less path drops δ for groups of these: a tie
 * x·mult = odd·2^(shift−1) needs the odd part to divide that odd number, so |z| > 256 and the
 * result saturates either way), or in `low` an odd part in [257, 511], whose ties can be
 * unsaturated (z = odd part / 2 < 256): such a group must keep δ.
 */
function tieFreeMult(r: () => number, low: boolean): number {
  const odd = low ? 257 + 2 * Math.floor(r() * 128) : 513 + 2 * Math.floor(r() * 32511);
  let v = Math.floor(r() * 8);
  while (odd * 2 ** v >= 65536) v--;
  return odd * 2 ** v;
}

/** x at a tie of {mult, shift} (x·mult = j·odd·2^(shift−1), j odd and small) or one off it; null if none fits int32. */
function atTie(r: () => number, q: { mult: number; shift: number }): number | null {
  let v = 0;
  while ((q.mult >> v) % 2 === 0) v++;
  if (q.shift - 1 - v < 0) return null;
  const j = (2 * Math.floor(r() * 4) + 1) * (r() < 0.5 ? 1 : -1);
  const x = j * 2 ** (q.shift - 1 - v) + (r() < 0.5 ? 0 : r() < 0.5 ? 1 : -1);
  return x >= -(2 ** 31) && x < 2 ** 31 ? x : null;
}

describe('threshold_ordered, ½-or-less columns without δ (odd parts of mult above 512) = numerics.threshold', () => {
  test.each([8, 16, 24, 32, 40])('%i columns: every row, 80 draws, ties and one off them; one group in three with an odd part in [257, 511]', async (C) => {
    const x = await kernels(C);
    const r = mulberry32(47 * C);
    const rows = 24;
    for (let trial = 0; trial < 80; trial++) {
      // shift 17–30: every u16 mult is ≤ ½ there, and ties are int32 values
      const q = Array.from({ length: C }, () => ({ mult: tieFreeMult(r, false), shift: 17 + Math.floor(r() * 14) }));
      if (trial % 3 === 2) q[Math.floor(r() * C)]!.mult = tieFreeMult(r, true);
      const acc = Array.from({ length: rows * C }, (_, i) => (r() < 0.6 ? atTie(r, q[i % C]!) : null) ?? accValue(r, q[i % C]!));
      // zp = −128 half the time: an unsaturated tie of an odd part below 512 (z < 256) shows its rounding
      expectThreshold(x, r, q, acc, rows, r() < 0.5 ? -128 : Math.floor(r() * 256) - 128, `trial ${trial}`);
    }
  });
});
