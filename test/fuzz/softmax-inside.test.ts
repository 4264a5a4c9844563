// SPDX-License-Identifier: MIT
/**
 * Differential fuzzing of a softmax inside a network (ir/softmax.ts) against @tensorflow/tfjs predict: random small
 * models with a Softmax over each pixel's channels read by a 1×1 convolution, or before a Flatten, or a Dense of
 * softmax read by a Dense, of logits at several spreads (gain 0.25 to 4: probabilities from even to nearly one-hot; past
 * that the logits' own int8 step, not the softmax, decides which of two close logits wins),
 * 1 to 6 channels. The float graph = tfjs predict (1e-4); on a random small machine (arrays 1x1..9x9, sometimes small
 * act/out buffers) the int8 program runs the same on the reference interpreter, the simulator and WASM (SIMD and
 * scalar) and stays near tfjs. FC_SEED / FC_RUNS reproduce or widen a run.
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

const SEED = Number(process.env['FC_SEED'] ?? 20261207);
const RUNS = Number(process.env['FC_RUNS'] ?? 30);

const dir = mkdtempSync(join(tmpdir(), 'nnchip-softmax-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const L = tfjs.layers;
type T = tf.SymbolicTensor;
const on = (l: tf.layers.Layer, x: T): T => l.apply(x) as T;
const init = (seed: number, gain = 1) => ({ kernelInitializer: tfjs.initializers.randomUniform({ minval: -gain, maxval: gain, seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3 * gain, maxval: 0.3 * gain, seed: seed + 1 }) });

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 20 }),
  body: fc.constantFrom('pixels', 'flatten', 'vector'),
  h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 3 }), f: fc.integer({ min: 1, max: 6 }),
  gain: fc.constantFrom(0.25, 1, 4),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), small: fc.boolean(),
});
type Spec = typeof spec extends fc.Arbitrary<infer U> ? U : never;

function build(o: Spec): tf.LayersModel {
  const x = tfjs.input({ shape: [o.h, o.w, o.c] });
  if (o.body === 'vector') {
    const p = on(L.dense({ units: o.f, activation: 'softmax', ...init(o.seed, o.gain) }), on(L.flatten({}), x));
    return tfjs.model({ inputs: x, outputs: on(L.dense({ units: 3, ...init(o.seed + 2) }), p) });
  }
  const p = on(L.softmax({ axis: -1 }), on(L.conv2d({ filters: o.f, kernelSize: 1, ...init(o.seed, o.gain) }), x));
  const y = o.body === 'pixels' ? on(L.conv2d({ filters: 2, kernelSize: 1, ...init(o.seed + 2) }), p) : on(L.dense({ units: 3, ...init(o.seed + 2) }), on(L.flatten({}), p));
  return tfjs.model({ inputs: x, outputs: y });
}

const tally = newTally();
afterAll(() => console.log(tallyLine('softmax-inside', tally)));

test('random TF.js models with a softmax inside: float = tfjs; int8 ref = sim = WASM ≈ tfjs', async () => {
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      // the calibration's own samples: what is measured is the decomposition's rounding, not the calibration's coverage
      const r = await tfjsCase(build(o), dir, o, randomSamples(24, o.h * o.w * o.c, o.seed + 1, -2, 2), tally);
      if (r === null) return;
      const { worst, spread, p } = r;
      expect(worst, `int8 vs tfjs on ${JSON.stringify(o)}`).toBeLessThanOrEqual(0.1 * spread + 6 * p.outputs[0]!.scale);
      tally.checked++;
      tally.bodies.set(o.body, (tally.bodies.get(o.body) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(tally.checked).toBeGreaterThan(RUNS / 2);
}, 300_000);
