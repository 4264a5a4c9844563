// SPDX-License-Identifier: MIT
/**
 * Differential fuzzing of ONNX LSTM, GRU and RNN (onnx-ops-recurrent.ts → ir/recurrent.ts) against
 * onnxruntime-node: one node at random sizes (1–6 steps, 1–5 features, 1–6 units), weights of gain ¼ to
 * 2, direction forward / reverse / bidirectional, GRU linear_before_reset 0 or 1, RNN Tanh / Relu /
 * Softsign, constant initial states or none, the model's output Y, Y_h or Y_c. The float graph =
 * ONNX Runtime (1e-4); on a random small machine the int8 program runs the same on the reference
 * interpreter, the simulator and WASM (SIMD and scalar) and stays near ONNX Runtime.
 * FC_SEED / FC_RUNS reproduce or widen a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { compileCase, int8Agreement, newTally, tallyLine } from '../helpers/fuzz-case.js';
import { ortRun, writeOnnx } from '../helpers/onnx-models.js';
import { recurrentModel } from '../helpers/onnx-recurrent.js';
import { randomSamples } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-rnn-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 20 }),
  op: fc.constantFrom('LSTM', 'GRU', 'RNN'), direction: fc.constantFrom('forward', 'reverse', 'bidirectional'),
  t: fc.integer({ min: 1, max: 6 }), f: fc.integer({ min: 1, max: 5 }), u: fc.integer({ min: 1, max: 6 }),
  gain: fc.constantFrom(0.25, 1, 2), lbr: fc.constantFrom(0, 1), act: fc.constantFrom('Tanh', 'Relu', 'Softsign'),
  initialH: fc.boolean(), initialC: fc.boolean(), which: fc.constantFrom(0, 1, 2),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), small: fc.boolean(),
});

const tally = newTally();
afterAll(() => console.log(tallyLine('onnx-recurrent', tally)));

test('random ONNX LSTM / GRU / RNN nodes: float = onnxruntime; int8 ref = sim = WASM ≈ onnxruntime', async () => {
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      const dirs = o.direction === 'bidirectional' ? 2 : 1;
      const which = o.op === 'LSTM' ? o.which : Math.min(o.which, 1);
      const attrs = { direction: { s: o.direction }, ...(o.op === 'GRU' ? { linear_before_reset: { i: o.lbr } } : {}), ...(o.op === 'RNN' ? { activations: { strings: Array<string>(dirs).fill(o.act) } } : {}) };
      const bytes = recurrentModel(o.op as 'LSTM', [o.t, o.f, o.u], attrs, { dirs, which, seed: o.seed, gain: o.gain, initialH: o.initialH, initialC: o.initialC && o.op === 'LSTM' });
      const path = writeOnnx(mkdtempSync(join(dir, 'm-')), bytes);
      const samples = randomSamples(6, o.t * o.f, o.seed + 1, -2, 2);
      const want = await ortRun(bytes, [o.t, 1, o.f], samples);
      const compiled = compileCase(path, o, samples, tally);
      if (compiled === null) return;
      const { graph, p } = compiled;
      samples.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!));
      const { worst, spread } = await int8Agreement(p, samples, want, JSON.stringify(o));
      expect(worst, `int8 vs onnxruntime on ${JSON.stringify(o)}`).toBeLessThanOrEqual(0.1 * spread + 6 * p.outputs[0]!.scale);
      tally.checked++;
      const body = `${o.op} ${o.direction}`;
      tally.bodies.set(body, (tally.bodies.get(body) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(tally.checked).toBeGreaterThan(RUNS / 2);
}, 600_000);
