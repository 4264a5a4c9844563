// The float pooling (ir/evaluate.ts pool) gives the doubles of the plain definition: per output,
// -Infinity (max) or 0 (sum) combined with each in-bounds tap in (ky, kx) order, the sum then
// divided by its counted taps; over random shapes, strides, pads and dilations, NaN and -0 included.
import { expect, test } from 'vitest';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { evaluateOutput, poolDivisors } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { mulberry32 } from '../../../src/util/prng.js';

function plainPool(n: NodeOf<'pool2d'>, x: Float64Array, [h, w, c]: number[], [oh, ow]: number[]): Float64Array {
  const y = new Float64Array(oh! * ow! * c!);
  const [rows, cols] = poolDivisors(n, [h!, w!, c!], [oh!, ow!, c!]);
  for (let oy = 0; oy < oh!; oy++)
    for (let ox = 0; ox < ow!; ox++)
      for (let ch = 0; ch < c!; ch++) {
        let acc = n.kind === 'max' ? -Infinity : 0;
        for (let ky = 0; ky < n.size[0]; ky++)
          for (let kx = 0; kx < n.size[1]; kx++) {
            const iy = oy * n.strides[0] + ky * (n.dilations?.[0] ?? 1) - n.pads[0];
            const ix = ox * n.strides[1] + kx * (n.dilations?.[1] ?? 1) - n.pads[1];
            if (iy < 0 || iy >= h! || ix < 0 || ix >= w!) continue;
            const v = x[(iy * w! + ix) * c! + ch]!;
            acc = n.kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        y[(oy * ow! + ox) * c! + ch] = n.kind === 'max' ? acc : acc / (rows[oy]! * cols[ox]!);
      }
  return y;
}

test('pool2d = the plain per-output loop, bit for bit', () => {
  const rnd = mulberry32(5);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  for (let k = 0; k < 200; k++) {
    const [kh, kw] = [int(1, 3), int(1, 3)];
    const dil: [number, number] = [int(1, 2), int(1, 2)];
    const pads: [number, number, number, number] = [int(0, kh - 1), int(0, kw - 1), int(0, kh - 1), int(0, kw - 1)];
    const shape = [int(kh * dil[0], 7), int(kw * dil[1], 7), int(1, 5)];
    const node: NodeOf<'pool2d'> = { name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: rnd() < 0.5 ? 'max' : 'avg', size: [kh, kw], strides: [int(1, 3), int(1, 3)], pads, dilations: dil, ...(rnd() < 0.5 ? { countPads: pads } : {}) };
    const g: Graph = { name: 'g', inputs: [{ name: 'x', shape }], nodes: [node], outputs: ['p'], notes: [] };
    const x = Float64Array.from({ length: shape[0]! * shape[1]! * shape[2]! }, () => (rnd() < 0.05 ? NaN : rnd() < 0.1 ? -0 : rnd() * 2 - 1));
    const got = evaluateOutput(g, x);
    const want = plainPool(node, x, shape, checkGraph(g).get('p') as number[]);
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Object.is(v, want[i]), `case ${k} element ${i}: ${v} vs ${want[i]}`).toBe(true));
  }
});
