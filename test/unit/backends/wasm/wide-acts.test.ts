/**
 * Widened acts shared between GEMMs (plan/wide-acts.ts, widen_acts and the widened pairs kernel):
 * which GEMMs share (a write into the act rows in between must stop the sharing), and bit-exact
 * results on dense layers whose column tiles share their act rows, odd K and odd row counts included.
 */
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../../src/backends/wasm/instance.js';
import type { CopyOp, GemmOp, KernelOp } from '../../../../src/backends/wasm/plan/kernel-ops.js';
import { kernelOps } from '../../../../src/backends/wasm/plan/ops.js';
import { planMemory } from '../../../../src/backends/wasm/plan/memory.js';
import { shareWidenedActs, WIDE_MAX_K, wideRowBytes } from '../../../../src/backends/wasm/plan/wide-acts.js';
import type { Graph } from '../../../../src/ir/graph.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { mulberry32 } from '../../../../src/util/prng.js';
import { compileGraph } from '../../../helpers/compile.js';

const C = 16;
const gemm = (over: Partial<GemmOp> = {}): GemmOp => ({ kind: 'gemm', acc: 50_000, a: 1000, aStride: 256, aOuter: 0, inner: 8, w: 0, rows: 8, k: 256, accumulate: true, fromDram: true, packed: 'pairs', ...over });
const copy = (dst: number): CopyOp => ({ kind: 'copy', dst, dstStride: 16, src: 90_000, srcStride: 16, bytes: 16, rows: 1, wgtLoad: false });
const marks = (ops: readonly KernelOp[], cols = C): (string | undefined)[] => shareWidenedActs(ops, cols, 1 << 24).ops.map((o) => (o.kind === 'gemm' ? (o.wide ?? '-') : undefined));

describe('which GEMMs share widened acts', () => {
  test('column tiles of one act matrix: the first widens, the others reuse; the area fits the rows', () => {
    const ops = [gemm(), copy(60_000), gemm({ w: 4096, acc: 54_096 }), gemm({ w: 8192 })];
    expect(marks(ops)).toEqual(['fill', undefined, 'reuse', 'reuse']);
    expect(shareWidenedActs(ops, C, 1 << 24).bytes).toBe(8 * wideRowBytes(256));
  });

  test('a write into the act rows in between ends the sharing', () => {
    // the act rows span [1000, 1000 + 7·256 + 256)
    expect(marks([gemm(), copy(1000 + 7 * 256 + 255), gemm({ w: 4096 })])).toEqual(['-', undefined, '-']);
    expect(marks([gemm(), copy(1000 + 8 * 256), gemm({ w: 4096 })])).toEqual(['fill', undefined, 'reuse']);
  });

  test('other act rows, one-row GEMMs, unpacked weights, K beyond the int16 sums and too little room are left alone', () => {
    expect(marks([gemm(), gemm({ aStride: 128 }), gemm({ aStride: 128 })])).toEqual(['-', 'fill', 'reuse']);
    expect(marks([gemm({ rows: 1, inner: 1 }), gemm({ rows: 1, inner: 1 })])).toEqual(['-', '-']);
    expect(marks([gemm({ packed: false }), gemm({ packed: false })])).toEqual(['-', '-']);
    expect(marks([gemm({ k: WIDE_MAX_K + 2 }), gemm({ k: WIDE_MAX_K + 2 })])).toEqual(['-', '-']);
    expect(shareWidenedActs([gemm(), gemm()], C, 8 * wideRowBytes(256) - 1).bytes).toBe(0);
  });
});

/** One dense layer k → n (seeded weights) compiled for `batch` samples on a 16×`cols` array. */
function denseLayer(k: number, n: number, batch: number, cols = 16) {
  const r = mulberry32(k * 1000 + n);
  const graph: Graph = {
    name: 'dense', inputs: [{ name: 'x', shape: [k] }], outputs: ['y'], notes: [],
    nodes: [{ name: 'fc', op: 'dense', inputs: ['x'], output: 'y', kernel: { shape: [k, n], data: Float32Array.from({ length: k * n }, () => r() * 2 - 1) }, bias: { shape: [n], data: Float32Array.from({ length: n }, () => r() - 0.5) }, activation: 'linear' }],
  } as unknown as Graph;
  const samples = Array.from({ length: 8 }, () => Float32Array.from({ length: k }, () => r() * 2 - 1));
  return compileGraph(graph, samples, { rows: 16, cols }, batch);
}

describe('bit-exact with shared widened acts', () => {
  // the widened kernel's blocks are 2 rows × 16 columns (4 × 8 under 16 columns), then fewer rows,
  // then an 8-column group and a 1-7 column tail (5 to 31 columns, row counts 2-16); the compiler
  // pads K to the array's rows, so odd K is pairs-widened.test.ts's (and test/property/wasm-widened-gemm.test.ts's)
  const cases = [[256, 64, 9, 16], [255, 48, 5, 16], [33, 32, 2, 16], [300, 40, 16, 16], [77, 60, 11, 20], [41, 62, 7, 31], [18, 51, 3, 17], [250, 48, 6, 24], [13, 9, 4, 5], [45, 20, 5, 8]];
  test.each(cases)('dense %d → %d, batch %d, 16×%i array', async (k, n, batch, cols) => {
    const p = denseLayer(k, n, batch, cols);
    const planned = kernelOps(p, planMemory(p), { rewrite: true, pack: true });
    expect(marks(planned.ops, cols), 'the tiles share their acts').toContain('reuse');
    const m = await instantiate(emitWasm(p, { simd: true }));
    const r = mulberry32(k + n + batch);
    for (let run = 0; run < 3; run++) {
      const codes = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, (_, i) => (run === 2 ? (i % 2 ? 127 : -128) : Math.floor(r() * 256) - 128));
      expect(Array.from(m.runRaw(codes))).toEqual(Array.from(interpret(p, codes)));
    }
  });
});
