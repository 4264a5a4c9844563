// The float transposed convolution (calibration runs it on every sample) equals the per-element float32 loop bit for bit
// (strides, kernels wider than the stride, padding, −0 and zero terms), and a full-size decoder's layer takes seconds,
// not the hour per sample the per-element loop took on a 256×256 U-Net (its kernel read a cout stride apart).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { evaluateGraph } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';

/** The reference: each output element sums its bias, then its in-bounds (ky, kx, ci) terms in that order, each product and sum rounded to float32. */
function plainTransposed(n: NodeOf<'convTranspose'>, x: Float64Array, [h, w, cin]: readonly number[], [oh, ow, cout]: readonly number[]): Float64Array {
  const [kh, kw] = n.kernel.shape as [number, number];
  const y = new Float64Array(oh! * ow! * cout!);
  for (let oy = 0; oy < oh!; oy++)
    for (let ox = 0; ox < ow!; ox++)
      for (let co = 0; co < cout!; co++) {
        let acc = Math.fround(n.bias?.data[co] ?? 0);
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const [iy, ix] = [(oy + n.pads[0] - ky) / n.strides[0], (ox + n.pads[1] - kx) / n.strides[1]];
            if (!Number.isInteger(iy) || !Number.isInteger(ix) || iy < 0 || ix < 0 || iy >= h! || ix >= w!) continue;
            for (let ci = 0; ci < cin!; ci++) acc = Math.fround(acc + Math.fround(Math.fround(x[(iy * w! + ix) * cin! + ci]!) * n.kernel.data[((ky * kw + kx) * cin! + ci) * cout! + co]!));
          }
        y[(oy * ow! + ox) * cout! + co] = acc;
      }
  return y;
}

const value = fc.oneof(fc.constant(0), fc.constant(-0), fc.float({ min: -4, max: 4, noNaN: true }));

function layer(s: { h: number; w: number; cin: number; cout: number; k: number; stride: number; pad: number; bias: boolean }, take: (n: number, at: number) => Float32Array): Graph {
  const node: NodeOf<'convTranspose'> = { name: 't', op: 'convTranspose', inputs: ['input'], output: 't', kernel: { shape: [s.k, s.k, s.cin, s.cout], data: take(s.k * s.k * s.cin * s.cout, 7) }, bias: s.bias ? { shape: [s.cout], data: take(s.cout, 101) } : null, strides: [s.stride, s.stride], pads: [s.pad, s.pad, s.pad, s.pad], outputPadding: [0, 0], activation: 'linear' };
  return { name: 'g', inputs: [{ name: 'input', shape: [s.h, s.w, s.cin] }], nodes: [node], outputs: ['t'], notes: [] };
}

describe('convTranspose float evaluation', () => {
  it('matches the per-element loop bit for bit', () => {
    const shape = fc.record({ h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), cin: fc.integer({ min: 1, max: 6 }), cout: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 3 }), pad: fc.integer({ min: 0, max: 1 }), bias: fc.boolean() });
    fc.assert(
      fc.property(shape, fc.array(value, { minLength: 300, maxLength: 300 }), (s, pool) => {
        fc.pre((s.h - 1) * s.stride + s.k - 2 * s.pad >= 1 && (s.w - 1) * s.stride + s.k - 2 * s.pad >= 1);
        const take = (n: number, at: number): Float32Array => Float32Array.from({ length: n }, (_, i) => pool[(at + i) % pool.length]!);
        const graph = layer(s, take);
        const x = Float64Array.from(take(s.h * s.w * s.cin, 53), (v) => v / 3);
        const got = evaluateGraph(graph, x).get('t')!;
        const want = plainTransposed(graph.nodes[0] as NodeOf<'convTranspose'>, x, [s.h, s.w, s.cin], checkGraph(graph).get('t')!);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(Object.is(got[i], v), `element ${i}: ${got[i]} vs ${v}`).toBe(true));
      }),
      { numRuns: 150 },
    );
  });

  it("a U-Net decoder's first 2×2 stride-2 layer (1024 → 512 channels, 16×16 → 32×32: 537 M terms) on two samples: spot sums as the reference computes them (the per-element loop took 5 s: bench figures in docs/performance.md)", () => {
    let seed = 1;
    const take = (n: number): Float32Array => Float32Array.from({ length: n }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
    const graph = layer({ h: 16, w: 16, cin: 1024, cout: 512, k: 2, stride: 2, pad: 0, bias: true }, take);
    const samples = [Float64Array.from(take(16 * 16 * 1024)), Float64Array.from(take(16 * 16 * 1024))];
    const ys = samples.map((x) => evaluateGraph(graph, x).get('t')!);
    // spots checked against the reference's sums (the whole reference is the slow loop this replaced)
    const n = graph.nodes[0] as NodeOf<'convTranspose'>;
    for (const [oy, ox, co] of [[7, 4, 5], [0, 31, 511], [31, 0, 0]] as const) {
      const [iy, ix, ky, kx] = [oy >> 1, ox >> 1, oy & 1, ox & 1];
      let acc = Math.fround(n.bias!.data[co]!);
      for (let ci = 0; ci < 1024; ci++) acc = Math.fround(acc + Math.fround(Math.fround(samples[1]![(iy * 16 + ix) * 1024 + ci]!) * n.kernel.data[((ky * 2 + kx) * 1024 + ci) * 512 + co]!));
      expect(ys[1]![(oy * 32 + ox) * 512 + co]).toBe(acc);
    }
  });
});
