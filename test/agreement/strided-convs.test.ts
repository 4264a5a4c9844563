/**
 * Convolutions with a stride at random: kernel smaller or larger than the stride, asymmetric
 * padding, the packed network input (x phases, tap packing) or an inner tensor (a 1×1 shortcut's
 * strided taps), buffers that force line chunks. Each lowers (no internal error) and the simulator
 * (fast and step) equals the reference interpreter bit for bit, its cycles the certificate's; the
 * outputs equal a one-row array's, which lowers every tap as its own matmul.
 */
import { expect, test } from 'vitest';
import type { Graph, Pads } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { mulberry32 } from '../../src/util/prng.js';
import { expectSimExact } from '../helpers/agreement.js';
import { builder } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';

const CONFIGS = [{ rows: 8, cols: 8 }, { rows: 4, cols: 4, actDepth: 128, accDepth: 24, outDepth: 24 }, { rows: 16, cols: 8 }, { rows: 32, cols: 4 }, { rows: 8, cols: 8, accBanks: 2 }, { rows: 4, cols: 4, actDepth: 128, accDepth: 24, outDepth: 24, accBanks: 2 }];

test('random strided convolutions: lowered, sim = interpret = certificate, outputs = the one-row lowering', () => {
  const rnd = mulberry32(Number(process.env['FUZZ_SEED'] ?? 8));
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  let cases = 0;
  for (let i = 0; i < 48; i++) {
    const [sy, sx] = [int(1, 4), int(2, 4)];
    const [kh, kw] = [int(1, 5), int(1, 5)];
    const pads: Pads = [int(0, kh - 1), int(0, kw - 1), int(0, kh - 1), int(0, kw - 1)];
    const [h, w, c] = [int(kh, 13), int(kw, 13), int(1, 6)];
    const inner = i % 2 === 1;
    const b = builder(i);
    const cin = inner ? 5 : c;
    const x = inner ? b.add({ name: 'c0', op: 'conv2d', inputs: ['input'], output: 'c0', kernel: b.tensor([1, 1, c, 5], 0.6), bias: b.tensor([5], 0.2), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' }) : 'input';
    const conv = b.add({ name: 'conv', op: 'conv2d', inputs: [x], output: 'conv', kernel: b.tensor([kh, kw, cin, 6], 0.6), bias: b.tensor([6], 0.2), strides: [sy, sx], pads, depthwise: false, activation: 'relu' });
    const g: Graph = { name: 'strided', inputs: [{ name: 'input', shape: [h, w, c] }], nodes: b.nodes, outputs: [conv], notes: [] };
    const calibration = { samples: randomSamples(3, h * w * c, i, -1, 1) };
    const p = compile(g, { config: makeConfig(CONFIGS[i % CONFIGS.length]!), calibration, verify: true }).program;
    const ref = compile(g, { config: makeConfig({ rows: 1, cols: 8 }), calibration }).program;
    const sample = randomSamples(1, h * w * c, 100 + i, -1.5, 1.5)[0]!;
    expect(Array.from(interpret(p, quantizeInput(p, sample)))).toEqual(Array.from(interpret(ref, quantizeInput(ref, sample))));
    expectSimExact(p, quantizeInput(p, sample));
    cases++;
  }
  expect(cases).toBe(48);
}, 120_000);
