/**
 * Pool geometries at random (windows up to three times the map, any padding the IR accepts,
 * strides, dilations, max and average with or without counted padding): trim-pool's graph
 * evaluates to the original's floats bit for bit, and a geometry the IR refuses is NN203, never
 * another error. FUZZ_SEED reproduces a run.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { Graph, NodeOf, Pads } from '../../src/ir/graph.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { checkGraph } from '../../src/ir/verify.js';
import { trimPool } from '../../src/passes/trim-pool.js';
import { mulberry32 } from '../../src/util/prng.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261204);

const geometry = fc
  .record({
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    c: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 21 }),
    kw: fc.integer({ min: 1, max: 21 }),
    sy: fc.integer({ min: 1, max: 4 }),
    sx: fc.integer({ min: 1, max: 4 }),
    dil: fc.constantFrom<[number, number]>([1, 1], [1, 1], [2, 1], [1, 3]),
    pads: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.nat(20)),
    avg: fc.boolean(),
    counted: fc.option(fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.nat(20)), { nil: undefined }),
    seed: fc.nat(),
  });

test('trim-pool keeps every pool\'s floats, over random geometries', () => {
  let trimmed = 0;
  let refused = 0;
  fc.assert(
    fc.property(geometry, (r) => {
      // mostly padding that lets the windows fit (each side less than the window); one in ten as drawn
      const ext = [r.dil[0] * (r.kh - 1) + 1, r.dil[1] * (r.kw - 1) + 1];
      const fit = (i: number): number => (i < 2 ? r.pads[i]! % ext[i]! : Math.max(r.pads[i]! % ext[i - 2]!, ext[i - 2]! - [r.h, r.w][i - 2]! - r.pads[i - 2]! % ext[i - 2]!));
      const pads = (r.seed % 10 === 0 ? r.pads : [0, 1, 2, 3].map(fit)) as unknown as Pads;
      // counted padding is at most the padding (the IR's rule)
      const countPads = r.avg && r.counted !== undefined ? (r.counted.map((v, i) => Math.min(v, pads[i]!)) as unknown as Pads) : undefined;
      const node: NodeOf<'pool2d'> = { name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: r.avg ? 'avg' : 'max', size: [r.kh, r.kw], strides: [r.sy, r.sx], pads, dilations: r.dil, ...(countPads === undefined ? {} : { countPads }) };
      const g: Graph = { name: 'g', inputs: [{ name: 'x', shape: [r.h, r.w, r.c] }], nodes: [node], outputs: ['p'], notes: [] };
      try {
        checkGraph(g);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('NN203');
        refused++;
        return;
      }
      const t = trimPool(g);
      expect(checkGraph(t).get('p')).toEqual(checkGraph(g).get('p'));
      if (t !== g) trimmed++;
      const rnd = mulberry32(r.seed);
      const x = Float64Array.from({ length: r.h * r.w * r.c }, () => rnd() * 4 - 2);
      expect(Array.from(evaluateOutput(t, x))).toEqual(Array.from(evaluateOutput(g, x)));
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // the property says something: many geometries trimmed, some refused, most accepted
  expect(trimmed).toBeGreaterThan(100);
  expect(refused).toBeGreaterThan(10);
});
