// SPDX-License-Identifier: MIT
/**
 * Session 12's lowerings on random small machines (arrays 1x1..9x9, act/out/acc buffers small enough that a
 * map's lines overflow them and ops are read in chunks): a 3x3 conv, a 'same' 3x3 average pool (padding not
 * counted, as Keras and ONNX write it) on maps down to one pixel wide or high, a computed per-channel vector
 * broadcast over the map and added (ir/broadcast.ts), and an instance/group normalization (ir/normalize.ts).
 * The reference interpreter = the simulator = WASM (SIMD, scalar) on random, zero, min and max codes, cycles =
 * the certificate; the int8 output near the float graph. FC_SEED / FC_RUNS reproduce or widen a run.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { NnchipError } from '../../src/diagnostics/error.js';
import { broadcastNodes } from '../../src/ir/broadcast.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { normalizeNodes } from '../../src/ir/normalize.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 40);

function graphOf(o: { seed: number; h: number; w: number; cin: number; c: number; broadcast: boolean; norm: number }): Graph {
  const r = rng(o.seed);
  const t = (shape: number[], k: number) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * k) });
  const nodes: Node[] = [
    { name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: t([3, 3, o.cin, o.c], 1 / Math.sqrt(o.cin)), bias: t([o.c], 0.3), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' },
    { name: 'pool', op: 'pool2d', kind: 'avg', size: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], inputs: ['conv'], output: 'pool' },
  ];
  let y = 'pool';
  if (o.broadcast) {
    nodes.push({ name: 'gap', op: 'globalAvgPool', inputs: ['input'], output: 'gap' }, { name: 'v', op: 'dense', inputs: ['gap'], output: 'v', kernel: t([o.cin, o.c], 1), bias: t([o.c], 0.3), activation: 'linear' });
    const b = broadcastNodes('v', [o.c], [o.h, o.w, o.c], 'spread');
    nodes.push(...b.nodes, { name: 'sum', op: 'add', inputs: [y, b.output], output: 'sum' });
    y = 'sum';
  }
  if (o.norm > 0 && o.c % o.norm === 0 && o.h * o.w * (o.c / o.norm) >= 4) {
    nodes.push(...normalizeNodes('norm', y, 'normed', [o.h, o.w, o.c], { eps: 1e-3, groups: o.norm }));
    y = 'normed';
  }
  return { name: 'small', inputs: [{ name: 'input', shape: [o.h, o.w, o.cin] }], nodes, outputs: [y], notes: [] };
}

test('conv → same 3x3 average pool [→ + broadcast vector] [→ normalization] on random small machines: ref = sim = WASM = certificate; int8 ≈ float', async () => {
  let [checked, refused] = [0, 0];
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        h: fc.constantFrom(1, 2, 3, 5, 9), w: fc.constantFrom(1, 1, 2, 4, 9), cin: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 12 }),
        broadcast: fc.boolean(), norm: fc.constantFrom(0, 0, 1, 2, 3),
        rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }),
        actDepth: fc.constantFrom(8, 12, 24, 64, 4096), outDepth: fc.constantFrom(4, 8, 16, 1024), accBanks: fc.constantFrom(1, 2),
      }),
      async (o) => {
        const graph = graphOf(o);
        const samples = randomSamples(6, o.h * o.w * o.cin, o.seed + 1, -1, 1);
        let p;
        try {
          const config = makeConfig({ rows: o.rows, cols: o.cols, actDepth: o.actDepth, outDepth: o.outDepth, accBanks: o.accBanks });
          p = compile(graph, { config, calibration: { samples } }).program;
        } catch (e) {
          // a machine too small for a layer's single line is an honest refusal
          if (e instanceof NnchipError && e.code === 'NN403') return void refused++;
          throw e;
        }
        await expectSoftwareBackendsAgree(p, inputClasses(p, samples[0]));
        const want = samples.map((s) => evaluateOutput(graph, s));
        const all = want.flatMap((v) => Array.from(v));
        const spread = Math.max(...all) - Math.min(...all);
        samples.forEach((s, i) => {
          const got = dequantizeOutput(p, interpret(p, quantizeInput(p, s)));
          got.forEach((g, j) => expect(Math.abs(g - want[i]![j]!), JSON.stringify(o)).toBeLessThanOrEqual(0.1 * spread + 4 * p.outputs[0]!.scale));
        });
        checked++;
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  expect(checked).toBeGreaterThan(RUNS / 2);
  console.log(`small-machines: ${checked} checked, ${refused} refused NN403`);
}, 300_000);
