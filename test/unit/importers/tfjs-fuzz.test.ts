/**
 * The TF.js importers on mutated files: a real graph model (liveness) and a Layers model with the
 * newer layers (Conv1D, SeparableConv2D, UpSampling2D, Cropping2D, Permute, global max pooling, channels_first,
 * broadcasting merges, RepeatVector)
 * either load or fail with an NnchipError of a known code — never another exception.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CODES } from '../../../src/diagnostics/codes.js';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { mutate, mutationArb } from '../../fuzz/mutate.js';
import { buildBroadcastNet, buildChannelsFirstNet, buildConv1dNet, buildPermuteNet, buildUpsampleNet, quantizeSavedModel, saveTfjsModel } from '../../helpers/tfjs-models.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);
const KNOWN = new Set(Object.keys(CODES).filter((c) => c !== 'NN901'));

function expectCleanOutcome(json: string, weights: Uint8Array): void {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-fuzz-'));
  writeFileSync(join(dir, 'model.json'), json);
  writeFileSync(join(dir, 'weights.bin'), weights);
  try {
    loadModel(join(dir, 'model.json'));
  } catch (e) {
    if (!(e instanceof NnchipError) || !KNOWN.has(e.code)) expect.fail(`not a known NnchipError: ${String(e)}\n${(e as Error).stack ?? ''}`);
  }
}

describe('TF.js importers on mutated files', () => {
  test('graph model (liveness, float16 weights)', () => {
    const dir = join(import.meta.dirname, '../../fixtures/tfjs-graph-liveness');
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    const weights = readFileSync(join(dir, 'weights.bin'));
    fc.assert(fc.property(mutationArb, (m) => {
      const mutated = mutate(json, weights, m);
      expectCleanOutcome(mutated.json, mutated.weights);
    }), { numRuns: 150, seed: SEED });
  });

  test.each([['Conv1D net', buildConv1dNet], ['upsampling net', buildUpsampleNet], ['Permute net', buildPermuteNet], ['channels_first net', buildChannelsFirstNet], ['broadcasting merges and RepeatVector', buildBroadcastNet]] as const)('Layers model: %s, uint8 weights', async (_, build) => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-fuzz-base-'));
    await saveTfjsModel(build(), dir);
    quantizeSavedModel(dir, 'uint8');
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    const weights = readFileSync(join(dir, 'weights.bin'));
    fc.assert(fc.property(mutationArb, (m) => {
      const mutated = mutate(json, weights, m);
      expectCleanOutcome(mutated.json, mutated.weights);
    }), { numRuns: 150, seed: SEED + 1 });
  });
});
