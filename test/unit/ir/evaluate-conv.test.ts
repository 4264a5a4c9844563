// The float convolution (calibration's hot loop) equals a plain closure-per-tap float32
// convolution bit for bit, zero inputs, −0 biases, strides, dilations, padding and depthwise (the
// WebAssembly depthwise kernel) included.
import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { convModuleBytes } from '../../../src/ir/conv-wasm.js';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { evaluateGraph, visitSamples } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';

/** The reference: every (output pixel, tap, ci, co) term in nested-loop order, each product and sum rounded to float32. */
function plainConv(n: NodeOf<'conv2d'>, x: Float64Array, [h, w]: readonly number[], [oh, ow, oc]: readonly number[]): Float64Array {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const y = new Float64Array(oh! * ow! * oc!);
  for (let p = 0; p < oh! * ow!; p++) for (let c = 0; c < oc!; c++) y[p * oc! + c] = Math.fround(n.bias?.data[c] ?? 0);
  for (let oy = 0; oy < oh!; oy++)
    for (let ox = 0; ox < ow!; ox++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          const iy = oy * n.strides[0] + ky * (n.dilations?.[0] ?? 1) - n.pads[0];
          const ix = ox * n.strides[1] + kx * (n.dilations?.[1] ?? 1) - n.pads[1];
          if (iy < 0 || iy >= h! || ix < 0 || ix >= w!) continue;
          const [o, i, tap] = [oy * ow! + ox, iy * w! + ix, ky * kw + kx];
          for (let ci = 0; ci < cin; ci++) {
            const add = (at: number, weight: number): void => void (y[at] = Math.fround(y[at]! + Math.fround(Math.fround(x[i * cin + ci]!) * weight)));
            if (n.depthwise) add(o * oc! + ci, n.kernel.data[tap * cin + ci]!);
            else for (let co = 0; co < cout; co++) add(o * oc! + co, n.kernel.data[(tap * cin + ci) * cout + co]!);
          }
        }
  return y;
}

const value = fc.oneof(fc.constant(0), fc.constant(-0), fc.float({ min: -4, max: 4, noNaN: true }));

const wabt = await wabtInit();

describe('conv2d float evaluation', () => {
  it('builds a WebAssembly module that wabt and V8 validate', () => {
    const bytes = convModuleBytes(1);
    wabt.readWasm(bytes, { simd: true }).validate();
    expect((globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes)).toBe(true);
  });

  // channel counts around the kernel's groups of sixteen (tails, one group, several) and the
  // depthwise kernel's vectors of four (13: three and a tail) with few pixels
  it.each([[3, 17], [5, 40], [13, 9]])('matches the plain loop bit for bit (cin ≤ %i, cout ≤ %i)', (maxCin, maxCout) => {
    const shape = fc.record({ h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), cin: fc.integer({ min: 1, max: maxCin }), cout: fc.integer({ min: 1, max: maxCout }), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), dil: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 2 }), depthwise: fc.boolean(), bias: fc.boolean() });
    fc.assert(
      fc.property(shape, fc.array(value, { minLength: 300, maxLength: 300 }), (s, pool) => {
        const cout = s.depthwise ? s.cin : s.cout;
        const span = (s.k - 1) * s.dil + 1;
        fc.pre(s.h + 2 * s.pad >= span && s.w + 2 * s.pad >= span);
        const take = (n: number, at: number): Float32Array => Float32Array.from({ length: n }, (_, i) => pool[(at + i) % pool.length]!);
        const node: NodeOf<'conv2d'> = { name: 'c', op: 'conv2d', inputs: ['input'], output: 'c', kernel: { shape: [s.k, s.k, s.cin, s.depthwise ? 1 : cout], data: take(s.k * s.k * s.cin * (s.depthwise ? 1 : cout), 7) }, bias: s.bias ? { shape: [cout], data: take(cout, 101) } : null, strides: [s.stride, s.stride], pads: [s.pad, s.pad, s.pad, s.pad], dilations: [s.dil, s.dil], depthwise: s.depthwise, activation: 'linear' };
        const graph: Graph = { name: 'g', inputs: [{ name: 'input', shape: [s.h, s.w, s.cin] }], nodes: [node], outputs: ['c'], notes: [] };
        // thirds are not float32 values: both paths must round the input the same way
        const x = Float64Array.from(take(s.h * s.w * s.cin, 53), (v) => v / 3);
        const got = evaluateGraph(graph, x).get('c')!;
        const want = plainConv(node, x, [s.h, s.w], checkGraph(graph).get('c')!);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(Object.is(got[i], v), `element ${i}: ${got[i]} vs ${v}`).toBe(true));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps packed kernels valid across samples when a later convolution grows the WebAssembly memory', () => {
    const values = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(k * 13 + i) / 3);
    const conv = (name: string, input: string, cin: number, cout: number, k: number): NodeOf<'conv2d'> => ({ name, op: 'conv2d', inputs: [input], output: name, kernel: { shape: [3, 3, cin, cout], data: values(9 * cin * cout, k) }, bias: { shape: [cout], data: values(cout, k + 1) }, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' });
    // the second convolution's output alone (96·96·40 doubles) is past the memory the first one needs
    const graph: Graph = { name: 'g', inputs: [{ name: 'input', shape: [96, 96, 3] }], nodes: [conv('a', 'input', 3, 10, 1), conv('b', 'a', 10, 40, 3)], outputs: ['b'], notes: [] };
    const samples = [Float64Array.from(values(96 * 96 * 3, 5)), Float64Array.from(values(96 * 96 * 3, 6))];
    const visited: Float64Array[] = [];
    visitSamples(graph, samples, (name, v) => name === 'b' && visited.push(v.slice()));
    // evaluateGraph packs afresh on every call: the reference for each sample
    samples.forEach((x, i) => expect(Array.from(visited[i]!)).toEqual(Array.from(evaluateGraph(graph, x).get('b')!)));
    const a = graph.nodes[0] as NodeOf<'conv2d'>;
    const aOut = evaluateGraph(graph, samples[1]!).get('a')!;
    expect(Array.from(aOut.subarray(0, 3000))).toEqual(Array.from(plainConv(a, samples[1]!, [96, 96], [96, 96, 10]).subarray(0, 3000)));
  });
});
