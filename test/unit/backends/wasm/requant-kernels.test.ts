/**
 * The SIMD requantization (kernels/requant.ts: threshold_ordered's five f64x2 operations, no
 * floor) on its own, against numerics.ts `threshold`, where rounding can go wrong: every u8 shift
 * (0 included: z is an integer there), multipliers 1 and powers of two (exact ties x·mult +
 * 2^(shift−1) ≡ 0 mod 2^shift, and one off either side), random u16 multipliers, int32 extremes,
 * clamps. It fails with ε = 2^−(shift+1) (a tie at shift 0) or ε = 0 (ties to even) planted.
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

describe('threshold_ordered = numerics.threshold', () => {
  test.each([1, 4, 5, 8, 13, 16, 19])('%i columns: every row, 60 draws of parameters', async (C) => {
    const x = await kernels(C);
    const r = mulberry32(17 * C);
    const rows = 24;
    for (let trial = 0; trial < 60; trial++) {
      const mem = new DataView(x.memory.buffer);
      const q = qntRow(r, C);
      q.forEach((l, c) => (mem.setUint16(QNT + 4 * c, l.mult, true), mem.setUint8(QNT + 4 * c + 2, l.shift)));
      const acc = Array.from({ length: rows * C }, (_, i) => accValue(r, q[i % C]!));
      acc.forEach((v, i) => mem.setInt32(ACC + 4 * i, v, true));
      const zp = Math.floor(r() * 256) - 128;
      const lo = r() < 0.5 ? -128 : Math.floor(r() * 256) - 128;
      const hi = r() < 0.5 ? 127 : lo + Math.floor(r() * (128 - lo));
      x.threshold(ACC, OUT, QNT, rows, zp, lo, hi);
      const got = Array.from({ length: rows * C }, (_, i) => mem.getInt8(OUT + i));
      const want = acc.map((v, i) => (threshold(v, q[i % C]!.mult, q[i % C]!.shift, zp, lo, hi) << 24) >> 24);
      expect(got, `trial ${trial}`).toEqual(want);
    }
  });
});
