/**
 * The widened `pairs` GEMM kernel on its own (kernels/pairs.ts with acts from widen_acts and
 * weights from widen_weights, kernels/pairs-wide.ts), against plain integer sums: every block
 * shape (4, 2, 1 rows), 8-column groups and 1-7 column tails, odd K (the plain last row), K = 1,
 * from zero, onto the acc rows or onto a bias row (accumulate 2). Compiled programs pad K to the array's rows, so odd K is tested here.
 */
import wabtInit from 'wabt';
import { describe, expect, test } from 'vitest';
import { webAssembly, type WasmMemory } from '../../../../src/backends/wasm/instance.js';
import { simdKernels } from '../../../../src/backends/wasm/kernels/simd.js';
import { wideWeightBytes } from '../../../../src/backends/wasm/kernels/pairs-wide.js';
import { FuncTable, typeIndex } from '../../../../src/backends/wasm/kernels/shared.js';
import { packConstants } from '../../../../src/backends/wasm/plan/ops.js';
import { wideRowBytes } from '../../../../src/backends/wasm/plan/wide-acts.js';
import { assembleModule, type FuncType } from '../../../../src/wasm-encoding/binary.js';
import { mulberry32 } from '../../../../src/util/prng.js';

type Fn = (...args: number[]) => void;

function widenedModule(C: number): Uint8Array {
  const table = new FuncTable();
  const k = simdKernels(table, 4, C, null).widened!;
  const types: FuncType[] = [];
  const funcs = table.funcs.map((f) => ({ type: typeIndex(types, f), locals: f.locals, body: f.code.bytes }));
  return assembleModule({
    types, funcs, memoryPages: 4, globals: [], data: [],
    exports: [
      { name: 'memory', kind: 'Memory', index: 0 },
      { name: 'gemm', kind: 'Func', index: k.gemm },
      { name: 'widen', kind: 'Func', index: k.widen },
      { name: 'weights', kind: 'Func', index: k.weights },
    ],
  });
}

describe('widened pairs GEMM = integer sums', () => {
  test.each([5, 8, 13, 16, 20, 31])('%i columns: rows 1-9, K 1-33 odd and even, from zero, the acc rows or a bias row', async (C) => {
    const bytes = widenedModule(C);
    const wabt = await wabtInit();
    expect(() => wabt.readWasm(bytes, { simd: true, bulk_memory: true }).validate()).not.toThrow();
    const exports = (await webAssembly().instantiate(bytes, {})).instance.exports as unknown as { memory: WasmMemory; gemm: Fn; widen: Fn; weights: Fn };
    const r = mulberry32(C);
    for (const rows of [1, 2, 3, 4, 5, 9])
      for (const K of [1, 2, 3, 8, 17, 30, 33]) {
        const mem = new DataView(exports.memory.buffer);
        const u8 = new Uint8Array(exports.memory.buffer);
        u8.fill(0);
        // acts: rows of K bytes, aStride = K + 3 apart; weights K × C at W; then the widened areas
        const [A, W, wideA, wideW, ACC] = [64, 8192, 16384, 65536, 131072];
        const aStride = K + 3;
        const act = Array.from({ length: rows }, () => Array.from({ length: K }, () => Math.floor(r() * 256) - 128));
        const w = Array.from({ length: K }, () => Array.from({ length: C }, () => Math.floor(r() * 256) - 128));
        act.forEach((row, i) => row.forEach((v, j) => mem.setInt8(A + i * aStride + j, v)));
        const plain = new Uint8Array(K * C);
        w.forEach((row, j) => row.forEach((v, c) => (plain[j * C + c] = v & 255)));
        u8.set(packConstants(plain, [{ start: 0, rows: K - (K % 2), layout: 'pairs' }], C), W);
        // 0: from zero, 1: onto the acc rows, 2: onto the bias row (at BIAS, every row the same)
        const accumulate = (rows + K + Math.floor(K / 2)) % 3;
        const before = Array.from({ length: rows * C }, () => Math.floor(r() * 2 ** 32) | 0);
        before.forEach((v, i) => mem.setInt32(ACC + 4 * i, v, true));
        const BIAS = 4096;
        const bias = Array.from({ length: C }, () => Math.floor(r() * 2 ** 32) | 0);
        bias.forEach((v, c) => mem.setInt32(BIAS + 4 * c, v, true));
        exports.widen(wideA, A, aStride, 0, rows, rows, K);
        exports.weights(wideW, W, K);
        expect(wideW + wideWeightBytes(C, K)).toBeLessThanOrEqual(ACC);
        expect(wideA + rows * wideRowBytes(K)).toBeLessThanOrEqual(wideW);
        expect(A + rows * aStride).toBeLessThanOrEqual(BIAS);
        exports.gemm(ACC, wideA, wideRowBytes(K), 0, rows, wideW, rows, K, accumulate, BIAS);
        const got = Array.from({ length: rows * C }, (_, i) => mem.getInt32(ACC + 4 * i, true));
        const want = Array.from({ length: rows * C }, (_, i) => {
          const [row, c] = [Math.floor(i / C), i % C];
          let s = accumulate === 1 ? before[i]! : accumulate === 2 ? bias[c]! : 0;
          for (let j = 0; j < K; j++) s = (s + act[row]![j]! * w[j]![c]!) | 0;
          return s;
        });
        expect(got, `rows ${rows}, K ${K}`).toEqual(want);
      }
  });
});
