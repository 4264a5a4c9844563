// SPDX-License-Identifier: MIT
/**
 * Differential fuzzing of the unrolled recurrent layers (ir/recurrent.ts) against @tensorflow/tfjs predict:
 * random LSTM / GRU / SimpleRNN / Bidirectional models (1–6 steps, 1–5 features, 1–6 units, weights
 * of gain ¼ to 2, return_sequences, go_backwards, use_bias, the gates' hard_sigmoid or sigmoid, the
 * activation tanh, relu or softsign), sometimes stacked two deep or followed by a Dense. The float
 * graph = tfjs predict (1e-4); on a random small machine (arrays 1x1..9x9, sometimes small act/out
 * buffers) the int8 program runs the same on the reference interpreter, the simulator and WASM (SIMD
 * and scalar) and stays near tfjs. FC_SEED / FC_RUNS reproduce or widen a run.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { newTally, tallyLine } from '../helpers/fuzz-case.js';
import { randomSamples } from '../helpers/random-graph.js';
import { tfjsCase } from '../helpers/tfjs-fuzz-case.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'nnchip-rnn-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const L = tfjs.layers;
type T = tf.SymbolicTensor;

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 20 }),
  cell: fc.constantFrom('lstm', 'gru', 'rnn'), bidirectional: fc.boolean(), merge: fc.constantFrom('concat', 'sum', 'ave'),
  t: fc.integer({ min: 1, max: 6 }), f: fc.integer({ min: 1, max: 5 }), u: fc.integer({ min: 1, max: 6 }),
  gain: fc.constantFrom(0.25, 1, 2), sequences: fc.boolean(), backwards: fc.boolean(), bias: fc.boolean(),
  gates: fc.constantFrom('hardSigmoid', 'sigmoid'), activation: fc.constantFrom('tanh', 'tanh', 'relu', 'softsign'),
  stacked: fc.boolean(), dense: fc.boolean(),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), small: fc.boolean(),
});
type Spec = typeof spec extends fc.Arbitrary<infer U> ? U : never;

function layer(o: Spec, seed: number, sequences: boolean): tf.layers.Layer {
  const u = (lo: number, s: number) => tfjs.initializers.randomUniform({ minval: lo * o.gain, maxval: -lo * o.gain, seed: s });
  const common = {
    units: o.u, returnSequences: sequences, useBias: o.bias, activation: o.activation as 'tanh',
    kernelInitializer: u(-1, seed), recurrentInitializer: u(-1, seed + 1), biasInitializer: u(-0.3, seed + 2),
  };
  const gated = { ...common, recurrentActivation: o.gates as 'sigmoid' };
  const inner = o.cell === 'lstm' ? L.lstm(gated) : o.cell === 'gru' ? L.gru(gated) : L.simpleRNN(common);
  if (o.bidirectional) return L.bidirectional({ layer: inner as never, mergeMode: o.merge as 'concat' });
  return o.cell === 'lstm' ? L.lstm({ ...gated, goBackwards: o.backwards }) : o.cell === 'gru' ? L.gru({ ...gated, goBackwards: o.backwards }) : L.simpleRNN({ ...common, goBackwards: o.backwards });
}

function build(o: Spec): tf.LayersModel {
  const x = tfjs.input({ shape: [o.t, o.f] });
  let y = (o.stacked ? layer(o, o.seed + 10, true).apply(x) : x) as T;
  y = layer(o, o.seed, o.sequences).apply(y) as T;
  if (o.dense) y = L.dense({ units: 3, kernelInitializer: tfjs.initializers.glorotUniform({ seed: o.seed + 20 }) }).apply(o.sequences ? L.flatten().apply(y) : y) as T;
  return tfjs.model({ inputs: x, outputs: y });
}

const tally = newTally();
afterAll(() => console.log(tallyLine('recurrent', tally)));

test('random LSTM / GRU / SimpleRNN / Bidirectional TF.js models: float = tfjs; int8 ref = sim = WASM ≈ tfjs', async () => {
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      const r = await tfjsCase(build(o), dir, o, randomSamples(6, o.t * o.f, o.seed + 1, -2, 2), tally);
      if (r === null) return;
      const { worst, spread, p } = r;
      expect(worst, `int8 vs tfjs on ${JSON.stringify(o)}`).toBeLessThanOrEqual(0.1 * spread + 6 * p.outputs[0]!.scale);
      tally.checked++;
      const body = `${o.bidirectional ? 'bi-' : ''}${o.cell}`;
      tally.bodies.set(body, (tally.bodies.get(body) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(tally.checked).toBeGreaterThan(RUNS / 2);
}, 600_000);
