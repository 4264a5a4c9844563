/**
 * The widened `pairs` GEMM (kernels/pairs.ts on acts from widen_acts and weights from
 * widen_weights) over random shapes: its blocks are 2 rows × 16 columns from 16 columns up, else
 * 4 × 8, then the 8-column group left, a 1-7 column tail, blocks of fewer rows for the last rows
 * and an odd last k, so random row counts, column counts and K cross every tile edge. Values lean
 * to the int8 extremes (−128, 127: the largest products and the int16 lane sums' limits). Against
 * plain integer sums for the kernel alone, and against the reference interpreter for compiled dense
 * layers at random batches (not multiples of the block).
 */
import fc from 'fast-check';
import wabtInit from 'wabt';
import { expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate, webAssembly, type WasmMemory } from '../../src/backends/wasm/instance.js';
import { simdKernels } from '../../src/backends/wasm/kernels/simd.js';
import { wideWeightBytes } from '../../src/backends/wasm/kernels/pairs-wide.js';
import { FuncTable, typeIndex } from '../../src/backends/wasm/kernels/shared.js';
import { packConstants } from '../../src/backends/wasm/plan/ops.js';
import { wideRowBytes } from '../../src/backends/wasm/plan/wide-acts.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/isa/interpret.js';
import { mulberry32 } from '../../src/util/prng.js';
import { assembleModule, type FuncType } from '../../src/wasm-encoding/binary.js';
import { compileGraph } from '../helpers/compile.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);

type Fn = (...args: number[]) => void;
interface Kernel {
  readonly memory: WasmMemory;
  readonly gemm: Fn;
  readonly widen: Fn;
  readonly weights: Fn;
}

/** How a matrix's int8 values are drawn: uniform, only the extremes, or mostly extremes. */
const VALUE_KINDS = ['uniform', 'min', 'max', 'extremes', 'mixed'] as const;
type ValueKind = (typeof VALUE_KINDS)[number];
function int8Of(kind: ValueKind, r: () => number): number {
  const uniform = Math.floor(r() * 256) - 128;
  if (kind === 'min') return -128;
  if (kind === 'max') return 127;
  if (kind === 'extremes') return r() < 0.5 ? -128 : 127;
  if (kind === 'mixed') return [-128, 127, -1, 0, uniform][Math.floor(r() * 5)]!;
  return uniform;
}

const modules = new Map<number, Promise<Kernel>>();
/** The widened kernels for C columns in a module of their own (validated by wabt once per C). */
function kernelFor(C: number): Promise<Kernel> {
  let m = modules.get(C);
  if (m === undefined) {
    m = (async () => {
      const table = new FuncTable();
      const k = simdKernels(table, 4, C, null).widened!;
      const types: FuncType[] = [];
      const funcs = table.funcs.map((f) => ({ type: typeIndex(types, f), locals: f.locals, body: f.code.bytes }));
      const exports = [
        { name: 'memory', kind: 'Memory' as const, index: 0 },
        { name: 'gemm', kind: 'Func' as const, index: k.gemm },
        { name: 'widen', kind: 'Func' as const, index: k.widen },
        { name: 'weights', kind: 'Func' as const, index: k.weights },
      ];
      const bytes = assembleModule({ types, funcs, memoryPages: 16, globals: [], data: [], exports });
      const wabt = await wabtInit();
      expect(() => wabt.readWasm(bytes, { simd: true, bulk_memory: true }).validate()).not.toThrow();
      return (await webAssembly().instantiate(bytes, {})).instance.exports as unknown as Kernel;
    })();
    modules.set(C, m);
  }
  return m;
}

test('the widened kernel alone = integer sums: random rows, columns and K across every block edge, extreme values', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        C: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(16, 32, 48)),
        rows: fc.integer({ min: 1, max: 19 }),
        K: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constantFrom(255, 256)),
        acts: fc.constantFrom(...VALUE_KINDS),
        weights: fc.constantFrom(...VALUE_KINDS),
        accumulate: fc.integer({ min: 0, max: 2 }),
      }),
      async ({ seed, C, rows, K, acts, weights, accumulate }) => {
        const k = await kernelFor(C);
        const r = mulberry32(seed);
        const mem = new DataView(k.memory.buffer);
        const u8 = new Uint8Array(k.memory.buffer);
        u8.fill(0);
        // acts: rows of K bytes, aStride = K + 3 apart; the packed weights; the widened areas; acc rows
        const aStride = K + 3;
        const [A, BIAS, W] = [64, 32768, 65536];
        const wideA = W + K * C + 64;
        const wideW = wideA + rows * wideRowBytes(K) + 64;
        const ACC = wideW + wideWeightBytes(C, K) + 64;
        expect(A + rows * aStride).toBeLessThanOrEqual(BIAS);
        expect(ACC + 4 * rows * C).toBeLessThanOrEqual(u8.length);
        const act = Array.from({ length: rows }, () => Array.from({ length: K }, () => int8Of(acts, r)));
        const w = Array.from({ length: K }, () => Array.from({ length: C }, () => int8Of(weights, r)));
        act.forEach((row, i) => row.forEach((v, j) => mem.setInt8(A + i * aStride + j, v)));
        const plain = new Uint8Array(K * C);
        w.forEach((row, j) => row.forEach((v, c) => (plain[j * C + c] = v & 255)));
        u8.set(packConstants(plain, [{ start: 0, rows: K - (K % 2), layout: 'pairs' }], C), W);
        // 0: from zero, 1: onto the acc rows, 2: onto the bias row (every row the same)
        const before = Array.from({ length: rows * C }, () => Math.floor(r() * 2 ** 32) | 0);
        before.forEach((v, i) => mem.setInt32(ACC + 4 * i, v, true));
        const bias = Array.from({ length: C }, () => Math.floor(r() * 2 ** 32) | 0);
        bias.forEach((v, c) => mem.setInt32(BIAS + 4 * c, v, true));
        k.widen(wideA, A, aStride, 0, rows, rows, K);
        k.weights(wideW, W, K);
        k.gemm(ACC, wideA, wideRowBytes(K), 0, rows, wideW, rows, K, accumulate, BIAS);
        const got = Array.from({ length: rows * C }, (_, i) => mem.getInt32(ACC + 4 * i, true));
        const want = Array.from({ length: rows * C }, (_, i) => {
          const [row, c] = [Math.floor(i / C), i % C];
          let s = accumulate === 1 ? before[i]! : accumulate === 2 ? bias[c]! : 0;
          for (let j = 0; j < K; j++) s = (s + act[row]![j]! * w[j]![c]!) | 0;
          return s;
        });
        expect(got).toEqual(want);
      },
    ),
    { numRuns: 250, seed: SEED },
  );
});

/** One dense layer k → n (seeded weights) compiled for `batch` samples on a 16×`cols` array. */
function denseLayer(seed: number, k: number, n: number, batch: number, cols: number) {
  const r = mulberry32(seed);
  const graph = {
    name: 'dense', inputs: [{ name: 'x', shape: [k] }], outputs: ['y'], notes: [],
    nodes: [{ name: 'fc', op: 'dense', inputs: ['x'], output: 'y', kernel: { shape: [k, n], data: Float32Array.from({ length: k * n }, () => r() * 2 - 1) }, bias: { shape: [n], data: Float32Array.from({ length: n }, () => r() - 0.5) }, activation: 'linear' }],
  } as unknown as Graph;
  const samples = Array.from({ length: 4 }, () => Float32Array.from({ length: k }, () => r() * 2 - 1));
  return compileGraph(graph, samples, { rows: 16, cols }, batch);
}

test('compiled dense layers at random batches (tile edges in rows and columns) = interpret, extreme inputs included', async () => {
  const wabt = await wabtInit();
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        k: fc.integer({ min: 2, max: 300 }),
        n: fc.integer({ min: 1, max: 70 }),
        batch: fc.integer({ min: 2, max: 70 }),
        cols: fc.constantFrom(8, 12, 16, 24, 32),
        inputs: fc.constantFrom(...VALUE_KINDS),
      }),
      async ({ seed, k, n, batch, cols, inputs }) => {
        const p = denseLayer(seed, k, n, batch, cols);
        const bytes = emitWasm(p, { simd: true });
        expect(() => wabt.readWasm(bytes, { simd: true, bulk_memory: true }).validate()).not.toThrow();
        const m = await instantiate(bytes);
        const r = mulberry32(seed + 1);
        // two runs of one instance: the second finds the widened weights made by the first
        for (let run = 0; run < 2; run++) {
          const codes = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => int8Of(inputs, r));
          expect(Array.from(m.runRaw(codes))).toEqual(Array.from(interpret(p, codes)));
        }
      },
    ),
    { numRuns: 25, seed: SEED },
  );
});
