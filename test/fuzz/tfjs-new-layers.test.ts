// SPDX-License-Identifier: MIT
/**
 * Differential fuzzing of session 12's TF.js Layers paths against @tensorflow/tfjs predict: random small
 * functional models holding Concatenate along H (axis 1) or W (axis 2) of branches with different ranges and
 * extents, Add/Average/Maximum/Minimum (tfjs has no Subtract layer) of a map and a computed [C] or [1, 1, C] vector (either
 * order), LayerNormalization of a vector, and channels_first models (Conv2D, Max/AveragePooling2D valid or
 * same, Flatten channel-major, Dense); session 13: Multiply of two or three maps (one of them maybe a one-channel
 * spatial gate) and LayerNormalization of a map (per pixel). The float graph = tfjs predict (1e-4); on a random small machine
 * (arrays 1x1..9x9, sometimes small act/out buffers) the int8 program runs the same on the reference
 * interpreter, the simulator and WASM (SIMD and scalar) and stays near tfjs. FC_SEED / FC_RUNS reproduce
 * or widen a run. (Keras 3 GroupNormalization has no tfjs layer to compare with: test/unit/importers/
 * keras-group-norm.test.ts checks it against Keras's formula; this session's ONNX fuzz covers the lowering.)
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { newTally, tallyLine } from '../helpers/fuzz-case.js';
import { randomSamples } from '../helpers/random-graph.js';
import { tfjsCase } from '../helpers/tfjs-fuzz-case.js';
import { saveTfjsModel, tfjsPredict } from '../helpers/tfjs-models.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-new-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const L = tfjs.layers;
type T = tf.SymbolicTensor;
const on = (l: tf.layers.Layer, ...xs: T[]): T => l.apply(xs.length === 1 ? xs[0]! : xs) as T;
const init = (seed: number, gain = 1) => ({ kernelInitializer: tfjs.initializers.randomUniform({ minval: -gain, maxval: gain, seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3 * gain, maxval: 0.3 * gain, seed: seed + 1 }) });

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 20 }),
  body: fc.constantFrom('concat', 'concat', 'broadcast', 'broadcast', 'layernorm', 'channels-first', 'multiply', 'multiply', 'pixelnorm'),
  h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 4 }), f: fc.integer({ min: 1, max: 5 }),
  axis: fc.constantFrom(1, 2), squash: fc.boolean(), gain: fc.constantFrom(0.25, 1, 4),
  merge: fc.constantFrom('add', 'average', 'maximum', 'minimum'), vector: fc.constantFrom('c', '11c'), vectorFirst: fc.boolean(),
  pool: fc.constantFrom('max', 'average', 'none'), poolSame: fc.boolean(), k: fc.constantFrom(1, 3), tail: fc.constantFrom('map', 'dense'),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), small: fc.boolean(),
});
type Spec = typeof spec extends fc.Arbitrary<infer U> ? U : never;

/** The model of a spec, or null when its shapes do not fit. */
function build(o: Spec): tf.LayersModel | null {
  const { h, w, c, f } = o;
  if (o.body === 'channels-first') {
    const cf = { dataFormat: 'channelsFirst' as const };
    const x = tfjs.input({ shape: [c, h, w] });
    let y = on(L.conv2d({ filters: f, kernelSize: o.k, padding: 'same', ...init(o.seed), ...cf }), x);
    if (o.pool !== 'none') {
      const p = { poolSize: 2, strides: o.poolSame ? 1 : 2, padding: o.poolSame ? ('same' as const) : ('valid' as const), ...cf };
      if (!o.poolSame && (h < 2 || w < 2)) return null;
      y = on(o.pool === 'max' ? L.maxPooling2d(p) : L.averagePooling2d(p), y);
    }
    const flat = on(L.flatten({}), y);
    return tfjs.model({ inputs: x, outputs: o.tail === 'dense' ? on(L.dense({ units: 3, ...init(o.seed + 2) }), flat) : flat });
  }
  const x = tfjs.input({ shape: [h, w, c] });
  const a = on(L.conv2d({ filters: f, kernelSize: o.k, padding: 'same', ...init(o.seed) }), x);
  let y: T;
  if (o.body === 'concat') {
    // the other branch: another range (gain), and along the concatenated axis maybe half the extent (a 2x1 or 1x2 max pool)
    let b = on(L.conv2d({ filters: f, kernelSize: 1, ...init(o.seed + 5, o.gain) }), x);
    const extent = o.axis === 1 ? h : w;
    if (o.squash && extent >= 2) b = on(L.maxPooling2d({ poolSize: o.axis === 1 ? [2, 1] : [1, 2] }), b);
    y = on(L.concatenate({ axis: o.axis }), ...(o.vectorFirst ? [b, a] : [a, b]));
  } else if (o.body === 'broadcast') {
    let v = on(L.dense({ units: f, ...init(o.seed + 7, o.gain) }), on(L.globalAveragePooling2d({}), x));
    if (o.vector === '11c') v = on(L.reshape({ targetShape: [1, 1, f] }), v);
    const layer = { add: L.add, average: L.average, maximum: L.maximum, minimum: L.minimum }[o.merge]({});
    y = on(layer, ...(o.vectorFirst ? [v, a] : [a, v]));
  } else if (o.body === 'multiply') {
    // (session 13) a map times a map of another range (gain): of f channels or one (a spatial gate), linear or a sigmoid;
    // with 'add' a third map of the first's shape (a chain of two products); either order
    const b = on(L.conv2d({ filters: o.squash ? 1 : f, kernelSize: 1, ...(o.axis === 1 ? { activation: 'sigmoid' as const } : {}), ...init(o.seed + 5, o.gain) }), x);
    const third = o.merge === 'add' ? [on(L.conv2d({ filters: f, kernelSize: 1, ...init(o.seed + 11) }), x)] : [];
    y = on(L.multiply({}), ...(o.vectorFirst ? [b, a] : [a, b]), ...third);
  } else if (o.body === 'pixelnorm') {
    // (session 13) LayerNormalization of a map: each pixel over its own channels (ConvNeXt's)
    y = on(L.layerNormalization({ gammaInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: o.seed + 9 }), betaInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: o.seed + 10 }) }), a);
  } else {
    const v = on(L.dense({ units: f + 1, ...init(o.seed + 7, o.gain) }), on(L.globalAveragePooling2d({}), a));
    y = on(L.layerNormalization({ gammaInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: o.seed + 9 }), betaInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: o.seed + 10 }) }), v);
  }
  if (o.tail === 'dense') y = on(L.dense({ units: 3, ...init(o.seed + 2) }), o.body === 'layernorm' ? y : on(L.flatten({}), y));
  return tfjs.model({ inputs: x, outputs: y });
}

const tally = newTally();
afterAll(() => console.log(tallyLine('tfjs-new-layers', tally)));

test('random concat-H/W / broadcasting-merge / LayerNormalization / channels_first TF.js models: float = tfjs; int8 ref = sim = WASM ≈ tfjs', async () => {
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      const model = build(o);
      if (model === null) return;
      const size = model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
      const r = await tfjsCase(model, dir, o, randomSamples(6, size, o.seed + 1, -2, 2), tally);
      if (r === null) return;
      const { worst, spread, p } = r;
      // (a LayerNormalization of a vector or pixel of 2 or 3 values, as an instance norm of few values, is not held to a bound)
      if ((o.body !== 'layernorm' && o.body !== 'pixelnorm') || o.f >= 3) expect(worst, `int8 vs tfjs on ${JSON.stringify(o)}`).toBeLessThanOrEqual(0.1 * spread + 6 * p.outputs[0]!.scale);
      tally.checked++;
      tally.bodies.set(o.body, (tally.bodies.get(o.body) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(tally.checked).toBeGreaterThan(RUNS / 2);
}, 300_000);

test('Add/Maximum of a 1×1 map and a computed [C] vector (Keras: [B, 1, 1, C]): = tfjs (it was NN203: the merge got shapes [1, 1, C] and [C])', async () => {
  for (const layer of [L.add({}), L.maximum({})]) {
    const x = tfjs.input({ shape: [1, 1, 3] });
    const a = on(L.conv2d({ filters: 2, kernelSize: 1, ...init(3) }), x);
    const v = on(L.dense({ units: 2, ...init(5) }), on(L.flatten({}), x));
    const model = tfjs.model({ inputs: x, outputs: on(layer, a, v) });
    const d = mkdtempSync(join(dir, 'one-'));
    await saveTfjsModel(model, d);
    const samples = randomSamples(4, 3, 9, -2, 2);
    const want = tfjsPredict(model, samples);
    const graph = loadModel(join(d, 'model.json'));
    samples.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!));
  }
});
