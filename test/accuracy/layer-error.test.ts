/**
 * The per-layer error tool (test/helpers/layer-error.ts) reads every layer's int8 output back and
 * compares it with the float graph: on the digits CNN (real calibration digits) the first layer is
 * within one step of float (its input is the only rounding before it) and no layer drifts by more
 * than a few steps. docs/numerics.md ("Deep networks: error accumulates") uses the same tool on a
 * 100-layer segmentation model.
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { calibrationSamples } from '../helpers/compile.js';
import { layerErrors } from '../helpers/layer-error.js';

const CNN = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
const CAL = new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname;

describe('per-layer int8 error', () => {
  test('digits CNN: every stored layer is read back, the first within 1 step of float, none beyond 1 (0.20–0.29 steps)', () => {
    const samples = calibrationSamples(CAL);
    const c = compile(loadModel(CNN), { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples } });
    const errors = layerErrors(c, samples[0]!);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]!.meanSteps).toBeLessThan(1);

    for (const e of errors) expect(e.meanSteps, e.name).toBeLessThan(1);
    // a layer fed by another read-back layer gets its own (local) error, within its rounding
    const local = errors.filter((e) => e.local !== undefined);
    expect(local.length).toBeGreaterThanOrEqual(1);
    for (const e of local) expect(e.local!, e.name).toBeLessThan(0.6);
  });
});
