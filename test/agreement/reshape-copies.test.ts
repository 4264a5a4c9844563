// SPDX-License-Identifier: MIT
/**
 * A reshape that moves data (passes/reshape-copies.ts): a conv's map [h, w, c] read as another [h', w', k] of the same
 * elements, at random (a detection head's anchors [1, N, k], pixels merged into channels, other lines). The copies are
 * exact: the reshaped program's codes are the conv-only program's codes, in the same flat order. Sim (fast and step)
 * = the reference interpreter = WASM, cycles = the certificate's, on machines whose buffers force chunks; a batch of 3
 * gives each sample the codes it has alone.
 */
import { expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeBatches, quantizeInput, splitOutputs } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { mulberry32 } from '../../src/util/prng.js';
import { expectSimExact, expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { builder } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';

const CONFIGS = [{ rows: 8, cols: 8 }, { rows: 4, cols: 4, actDepth: 128, accDepth: 24, outDepth: 24 }, { rows: 16, cols: 8 }, { rows: 2, cols: 2 }];

const divisors = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);

test('random reshapes of a map: the conv-only codes reordered; sim = interpret = WASM = certificate; a batch as each sample alone', async () => {
  const rnd = mulberry32(Number(process.env['FUZZ_SEED'] ?? 14));
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(v: readonly T[]): T => v[Math.floor(rnd() * v.length)]!;
  const seen = new Set<string>();
  for (let i = 0; i < 16; i++) {
    const [h, w, c] = [int(1, 7), int(1, 9), pick([1, 2, 3, 4, 6, 12, 16])];
    const total = h * w * c;
    // k: a divisor of the elements; then h' · w' = total / k
    const k = pick(divisors(total).filter((d) => d <= 48));
    const h2 = pick(divisors(total / k));
    const shape = i === 0 ? [1, total / 2, 2] : [h2, total / k / h2, k];
    if (i === 0 && total % 2 !== 0) continue;
    const b = builder(i);
    const conv = b.add({ name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: b.tensor([3, 3, 2, c], 0.6), bias: b.tensor([c], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' });
    const flat: Graph = { name: 'conv', inputs: [{ name: 'input', shape: [h, w, 2] }], nodes: b.nodes, outputs: [conv], notes: [] };
    const reshaped: Graph = { ...flat, name: 'reshaped', nodes: [...b.nodes, { name: 'anchors', op: 'reshape', inputs: [conv], output: 'anchors', shape }], outputs: ['anchors'] };
    const calibration = { samples: randomSamples(3, h * w * 2, i, -1, 1) };
    const config = makeConfig(CONFIGS[i % CONFIGS.length]!);
    const p = compile(reshaped, { config, calibration, verify: true }).program;
    const ref = compile(flat, { config, calibration }).program;
    expect(p.instructions.length).toBeGreaterThan(ref.instructions.length);
    const samples = randomSamples(3, h * w * 2, 100 + i, -1.5, 1.5);
    const want = samples.map((x) => Array.from(interpret(ref, quantizeInput(ref, x))));
    expect(samples.map((x) => Array.from(interpret(p, quantizeInput(p, x))))).toEqual(want);
    expectSimExact(p, quantizeInput(p, samples[0]!));
    await expectSoftwareBackendsAgree(p, inputClasses(p, samples[0]));
    const batched = compile(reshaped, { config, calibration, batch: 3 }).program;
    expect(splitOutputs(batched, quantizeBatches(batched, samples).map((codes) => interpret(batched, codes)), 3).map((o) => Array.from(o))).toEqual(want);
    seen.add(`${[h, w, c].join('x')}→${shape.join('x')}`);
  }
  expect(seen.size).toBeGreaterThanOrEqual(14);
}, 180_000);

test('a reshape taking over 16,384 copies (a map read as a column, one pixel per line) is refused in one line before any is emitted', () => {
  const b = builder(1);
  const conv = b.add({ name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: b.tensor([1, 1, 1, 1], 0.6), bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  const g: Graph = { name: 'column', inputs: [{ name: 'input', shape: [100, 200, 1] }], nodes: [...b.nodes, { name: 'column', op: 'reshape', inputs: [conv], output: 'column', shape: [20000, 1, 1] }], outputs: ['column'], notes: [] };
  expect(() => compile(g, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: randomSamples(2, 20000, 3, -1, 1) } })).toThrow(/reshape \[100, 200, 1\] → \[20000, 1, 1\] takes over 16,384 copies \(one per run of pixels within a line\)/);
});
