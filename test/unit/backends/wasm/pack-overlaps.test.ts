// SPDX-License-Identifier: MIT
/**
 * Which weight matrices the WebAssembly back end packs (backends/wasm/plan/pack.ts): those whose packed rows overlap no
 * tensor, copy or tap-read weights, and no matrix of another (w, k). The same choice as the overlap test of every GEMM
 * against every other, which was quadratic (ResNet-50's `nnchip wasm` on 8x8 ran for minutes in it): by binary search.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { GemmOp, KernelOp } from '../../../../src/backends/wasm/plan/kernel-ops.js';
import { packWeights, PACK_ROWS } from '../../../../src/backends/wasm/plan/pack.js';
import type { Range } from '../../../../src/backends/wasm/plan/memory.js';
import type { Program } from '../../../../src/isa/program.js';
import { pixelAddress, storedLayout } from '../../../../src/isa/program.js';
import { compileDigitsMlp } from '../../../helpers/compile.js';

const C = 8;
const base = compileDigitsMlp().program;
/** Past the digits MLP's input and output tensors: the synthetic matrices overlap neither. */
const FREE = Math.max(...[storedLayout(base.input), base.outputs[0]!].map((t) => pixelAddress(t, t.rows - 1) + t.rowBytes));

const gemm = (w: number, k: number, rows: number, taps = false): KernelOp => ({ kind: 'gemm', acc: 0, a: 0, aStride: 0, aOuter: 0, inner: 1, w, rows, k, accumulate: false, fromDram: true, packed: false, ...(taps ? { taps: [{ w, a: 0 }] } : {}) }) as unknown as KernelOp;
const program = (bytes: number): Program => ({ ...base, config: { ...base.config, cols: C }, constants: new Uint8Array(bytes) });

/** The choice as the quadratic test made it: packed where rows > 0, inside the constants, overlapping no other range and no other matrix. */
function naive(ops: readonly KernelOp[], p: Program, copies: readonly Range[]): (string | false)[] {
  const overlap = (a: Range, b: Range): boolean => a.start < b.end && b.start < a.end;
  const gemms = ops.filter((o): o is GemmOp => o.kind === 'gemm' && o.fromDram && (o as { taps?: unknown }).taps === undefined);
  const taps = ops.flatMap((o) => ((o as { taps?: { w: number }[] }).taps ?? []).map((t) => ({ start: t.w, end: t.w + (o as GemmOp).k * C })));
  const layout = new Map<number, 'quad' | 'pairs'>();
  for (const g of gemms) if (g.rows < 2 || layout.get(g.w) === 'quad') layout.set(g.w, 'quad');
  for (const g of gemms) if (!layout.has(g.w)) layout.set(g.w, 'pairs');
  const spans = [{ start: FREE, end: FREE }, ...copies, ...taps];
  return ops.map((o) => {
    if (o.kind !== 'gemm' || (o as { taps?: unknown }).taps !== undefined) return false;
    const rows = o.k - (o.k % PACK_ROWS[layout.get(o.w)!]);
    const r = { start: o.w, end: o.w + rows * C };
    if (rows === 0 || r.end > p.constants.length || spans.some((s) => overlap(s, r))) return false;
    return gemms.every((h) => (h.w === o.w && h.k === o.k) || !overlap({ start: h.w, end: h.w + h.k * C }, r)) ? layout.get(o.w)! : false;
  });
}

describe('packed weight matrices', () => {
  test('fast-check: random matrices (shared, nested, overlapping, tap-read, past the constants) and copies: the quadratic choice', () => {
    const matrix = fc.record({ at: fc.integer({ min: 0, max: 60 }), k: fc.integer({ min: 0, max: 9 }), rows: fc.integer({ min: 1, max: 3 }), taps: fc.boolean() });
    fc.assert(
      fc.property(fc.array(matrix, { maxLength: 14 }), fc.array(fc.record({ at: fc.integer({ min: 0, max: 60 }), len: fc.integer({ min: 0, max: 20 }) }), { maxLength: 3 }), fc.integer({ min: 0, max: 70 }), (ms, cs, size) => {
        const ops = ms.map((m) => gemm(FREE + m.at * 4, m.k, m.rows, m.taps && m.k > 0));
        const copies = cs.map((c) => ({ start: FREE + c.at * 4, end: FREE + c.at * 4 + c.len }));
        const p = program(FREE + size * 8);
        const got = packWeights(ops, p, copies).ops.map((o) => (o.kind === 'gemm' ? o.packed : false));
        expect(got).toEqual(naive(ops, p, copies));
      }),
      { numRuns: 400, seed: 20261206 },
    );
  });

  test('40,000 GEMMs of 20,000 matrices (two each): each pair packed (the quadratic choice took seconds)', () => {
    const k = 16;
    const ops = Array.from({ length: 40_000 }, (_, i) => gemm(FREE + (i >> 1) * k * C, k, 2));
    const { ops: out, packed } = packWeights(ops, program(FREE + 20_000 * k * C), []);
    expect(packed).toHaveLength(20_000);
    expect(out.every((o) => o.kind === 'gemm' && o.packed === 'pairs')).toBe(true);
  });
});
