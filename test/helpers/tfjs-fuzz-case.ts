// SPDX-License-Identifier: MIT
/** One differential fuzz case of a TF.js Layers model against tfjs predict (test/fuzz's TF.js properties). */
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { Program } from '../../src/isa/program.js';
import { expectClose } from './close.js';
import { compileCase, int8Agreement, type CaseMachine, type FuzzTally } from './fuzz-case.js';
import { saveTfjsModel, tfjsPredict } from './tfjs-models.js';

/**
 * `model` saved in a fresh folder under `dir`, predicted by tfjs on `samples` (then disposed) and compiled for `o`'s
 * machine (compileCase: null when that machine refuses it); its float graph is held to tfjs (1e-4), and its int8
 * program runs the same on the reference interpreter, the simulator and WASM (int8Agreement): the worst error of
 * that against tfjs, and the spread of tfjs's outputs, for the caller's bound.
 */
export async function tfjsCase(model: tf.LayersModel, dir: string, o: CaseMachine, samples: Float32Array[], tally: FuzzTally): Promise<{ worst: number; spread: number; p: Program } | null> {
  const d = mkdtempSync(join(dir, 'm-'));
  await saveTfjsModel(model, d);
  const want = tfjsPredict(model, samples);
  model.dispose();
  const compiled = compileCase(join(d, 'model.json'), o, samples, tally);
  if (compiled === null) return null;
  const { graph, p } = compiled;
  samples.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!));
  return { ...(await int8Agreement(p, samples, want, JSON.stringify(o))), p };
}
