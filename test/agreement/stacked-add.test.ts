/**
 * Stacked residual adds (passes/stack-add.ts): an add whose two inputs fit the rows together
 * (2c ≤ R) is one matmul per column tile over both inputs stacked on the rows; its codes are the
 * two-matmul add's bit for bit (the same integer sum), on every back end. Where its maps are packed
 * instead (c ≤ R/2 and c ≤ C: pack-taps.ts) the add computes pixel groups (group-pixels.ts): the
 * machines that stack here have fewer columns than the maps have channels.
 */
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput } from '../../src/isa/program.js';
import { expectSimExact, expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { compileGraph } from '../helpers/compile.js';
import { randomSamples, rng } from '../helpers/random-graph.js';
import { accLoadsBeforeWindows, pointwiseAfterConv, residualCnn, RESIDUAL_INPUT } from '../helpers/residual-cnn.js';

const samples = (n: number, seed: number): Float32Array[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: RESIDUAL_INPUT.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};
const SAMPLES = samples(6, 3);

/** The graph compiled with every residual add an op of its own (by default each folds into the convolution before it: passes/weighted-op.ts foldedAdd). */
const plainAdds = (graph: Graph, config: Partial<ArrayConfig>): Program => compileGraph(graph, SAMPLES, config, 1, 'auto', false);

/** Per add layer: its term matmuls per threshold (the first one of each column tile starts from the bias entry). */
function termMatmulsPerThreshold(p: Program, layer: string): number {
  const li = p.layers.findIndex((l) => l.name === layer);
  const insns = p.instructions.filter((_, i) => p.insnLayer[i] === li);
  const terms = insns.filter((i) => i.op === 'matmul').length;
  return terms / insns.filter((i) => i.op === 'threshold').length;
}

const codes = (p: Program): number[][] => SAMPLES.map((x) => Array.from(interpret(p, quantizeInput(p, x))));

describe('residual adds stacked on the rows', () => {
  // c = 4: 2c fits 8 and 16 rows, not 4 (and 4 rows on 8 columns: not either); columns fewer than 4 keep the maps unpacked
  const machines = [
    { rows: 8, cols: 2, stacks: true },
    { rows: 16, cols: 3, stacks: true },
    { rows: 8, cols: 3, stacks: true },
    { rows: 4, cols: 4, stacks: false },
    { rows: 4, cols: 8, stacks: false },
  ];
  const reference = plainAdds(residualCnn(4), { rows: 4, cols: 4 });

  test.each(machines)('$rows x $cols: one matmul per add when 2c <= R ($stacks), the two-matmul codes bit for bit', ({ rows, cols, stacks }) => {
    const p = plainAdds(residualCnn(4), { rows, cols });
    // the identity block's add (the later input is the branch) and the downsampling one's (the shortcut)
    for (const add of ['b1add', 'b2add']) expect(termMatmulsPerThreshold(p, add), add).toBe(stacks ? 1 : 2);
    expect(codes(p)).toEqual(codes(reference));
    expectSimExact(p, quantizeInput(p, SAMPLES[1]!));
  });

  test('packed maps instead (8x8): the adds compute pixel pairs, two term matmuls of half the rows; the same codes', () => {
    const p = plainAdds(residualCnn(4), { rows: 8, cols: 8 });
    expect(termMatmulsPerThreshold(p, 'b1add')).toBe(2);
    const rows = p.instructions.reduce((a, i, n) => a + (i.op === 'threshold' && p.layers[p.insnLayer[n]!]!.name === 'b1add' ? i.rows : 0), 0);
    expect(rows).toBe(6 * 6 / 2);
    expect(codes(p)).toEqual(codes(reference));
  });

  test('ref = sim = WASM (SIMD, scalar) = certificate on every input class, stacked on 8x2 and at ideal DRAM', async () => {
    for (const cfg of [{ rows: 8, cols: 2 }, { rows: 8, cols: 2, dramBytesPerCycle: 4096, dramLatency: 0 }]) {
      const p = plainAdds(residualCnn(4), cfg);
      expect(termMatmulsPerThreshold(p, 'b1add')).toBe(1);
      await expectSoftwareBackendsAgree(p, inputClasses(p, SAMPLES[0]));
    }
  });

  test('two acc banks: a 1×1 convolution in two tiles loads its second tile\'s bias before its first tile\'s windows; ref = sim = WASM = certificate', async () => {
    // (lower-emit.ts: one matmul per column tile, four acc slots, the second tile's slot clear of the
    // previous op's last ones; before packed maps, the residual CNN's adds showed it)
    const graph = pointwiseAfterConv(11);
    const inputs = randomSamples(6, 11 * 11 * 3, 12, -1, 1);
    const machine = { rows: 4, cols: 4, accBanks: 2, dramBytesPerCycle: 16, dramLatency: 0, accDepth: 128, actDepth: 4096, wgtDepth: 512, outDepth: 512, qntDepth: 8 };
    const p = compileGraph(graph, inputs, machine);
    expect(accLoadsBeforeWindows(p, 'pw')).toBe(2);
    expect(accLoadsBeforeWindows(compileGraph(graph, inputs, { ...machine, accBanks: 1 }), 'pw')).toBe(1);
    expectSimExact(p, quantizeInput(p, inputs[4]!));
    await expectSoftwareBackendsAgree(p, inputClasses(p, inputs[5]));
  });

  test('an add whose later input has another reader is not stacked (its pixels are its own), the same codes', () => {
    const p = plainAdds(residualCnn(4, true), { rows: 8, cols: 2 });
    const q = plainAdds(residualCnn(4, true), { rows: 4, cols: 4 });
    expect(termMatmulsPerThreshold(p, 'b1add')).toBe(2);
    expect(termMatmulsPerThreshold(p, 'b2add')).toBe(1);
    expect(codes(p)).toEqual(codes(q));
  });

  test('channels that do not fit twice (2c > R) keep two matmuls', () => {
    const p = plainAdds(residualCnn(5), { rows: 8, cols: 8 });
    expect(termMatmulsPerThreshold(p, 'b1add')).toBe(2);
    expectSimExact(p, quantizeInput(p, SAMPLES[2]!));
  });
});
