/**
 * Concatenation along H / W of maps (Keras Concatenate axis 1/2, TF ConcatV2) is one `concat` node with
 * its axis, lowered as one requantizing copy per input into its block of the output. It was each input
 * zero-padded to the whole output and the pads added in a chain: quadratic (1,000 inputs of 4×4×2 took
 * 31.7 CPU s, 672 MB and 133,777,609 cycles; now 0.6 s and 208,101 cycles).
 */
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph, Node } from '../../../src/ir/graph.js';
import { spatialConcatNode } from '../../../src/ir/concat-spatial.js';
import { certify } from '../../../src/isa/cost.js';
import { compileGraph } from '../../helpers/compile.js';
import { expectSoftwareBackendsAgree, inputClasses } from '../../helpers/agreement.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';

const H = 3;
const W = 4;
const C = 2;
const sample = Float32Array.from({ length: H * W * C }, (_, i) => ((i * 7) % 11) / 10 - 0.3);
/** x and 3x − 1 (another range, so each copy requantizes), then `nodes` on them. */
const graph = (nodes: Node[], output: string): Graph => ({
  name: 'cat',
  inputs: [{ name: 'x', shape: [H, W, C] }],
  nodes: [{ name: 'b', op: 'batchNorm', inputs: ['x'], output: 'b', scale: new Float32Array(C).fill(3), offset: new Float32Array(C).fill(-1) }, ...nodes],
  outputs: [output],
  notes: [],
});
const at = (v: Float64Array, [h, w, c]: readonly [number, number, number], y: number, x: number, ch: number): number => (y < h && x < w && ch < c ? v[(y * w + x) * c + ch]! : NaN);

describe('concat along H / W', () => {
  test.each([
    ['h', 0],
    ['w', 1],
  ] as const)('along %s: the float value is the maps side by side; ref = sim = WASM; int8 near the float', async (axis, a) => {
    const g = graph([spatialConcatNode(['x', 'b', 'x'], a, 'y')], 'y');
    const y = evaluateOutput(g, sample);
    const out: [number, number, number] = a === 0 ? [3 * H, W, C] : [H, 3 * W, C];
    const x = Float64Array.from(sample);
    const b = x.map((v) => 3 * v - 1);
    for (let yy = 0; yy < out[0]; yy++) {
      for (let xx = 0; xx < out[1]; xx++) {
        const part = Math.floor((a === 0 ? yy / H : xx / W));
        const [py, px] = a === 0 ? [yy - part * H, xx] : [yy, xx - part * W];
        for (let c = 0; c < C; c++) expect(at(y, out, yy, xx, c)).toBe(at(part === 1 ? b : x, [H, W, C], py, px, c));
      }
    }
    const program = compileGraph(g, [sample, sample.map((v) => -v)], { rows: 4, cols: 4 });
    await expectSoftwareBackendsAgree(program, inputClasses(program, sample));
    expectInt8NearFloat(program, [sample], [Array.from(y)], 0.01, 1);
    // one copy per input, not a pad per input and an add per pair
    expect(program.layers.map((l) => l.name)).toEqual(['b', 'y']);
  });

  test('inputs of another width (H) or height (W) are NN203', () => {
    const g: Graph = { ...graph([{ name: 'p', op: 'pad', inputs: ['x'], output: 'p', pads: [0, 1, 0, 0] }, spatialConcatNode(['x', 'p'], 0, 'y')], 'y') };
    expect(() => compileGraph(g, [sample])).toThrow(/NN203|are not \[H, W, C\] maps that differ only in H/);
  });

  test('cycles grow linearly in the inputs (they grew with their square)', () => {
    const cycles = (n: number): number => certify(compileGraph(graph([spatialConcatNode(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'x' : 'b')), 0, 'y')], 'y'), [sample])).cycles;
    const [c10, c100] = [cycles(10), cycles(100)];
    expect(c100 / c10).toBeLessThan(12);
    expect(c100).toBeLessThan(50_000);
  });
});
