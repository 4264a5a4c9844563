/**
 * The four MLPerf Tiny examples (ResNet-8, DS-CNN, MobileNetV1 0.25 VWW, FC autoencoder), each lowered
 * for the default machine (8x8) and a 16x16 one: reference interpreter = simulator = WASM (SIMD and
 * scalar) bit for bit on every input class, with cycles equal to the certificate's and memory-address
 * traces that do not depend on the data (constant cost). And each example README's per-layer cycle
 * table is what `nnchip lower` reports now (examples/mlperf-cycle-tables.mjs --check).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const MODELS = [
  { name: 'resnet8 (PyTorch → ONNX)', model: ex('resnet8/model.onnx'), cal: ex('resnet8/calibration.json') },
  { name: 'ds-cnn (TF.js Layers)', model: ex('ds-cnn/model.json'), cal: ex('ds-cnn/calibration.json') },
  { name: 'mobilenet-vww (TF.js Layers)', model: ex('mobilenet-vww/model.json'), cal: ex('mobilenet-vww/calibration.json') },
  { name: 'autoencoder (PyTorch → ONNX)', model: ex('autoencoder/model.onnx'), cal: ex('autoencoder/calibration.json') },
];
const CASES = MODELS.flatMap((m) => [
  { ...m, machine: 'default 8x8', array: {} },
  { ...m, machine: '16x16', array: { rows: 16, cols: 16 } },
]);

describe.each(CASES)('$name on $machine', ({ model, cal, array }) => {
  test('ref = sim = wasm (SIMD, scalar) on every input class; cycles and traces do not depend on data', async () => {
    const samples = calibrationSamples(cal);
    const program = compileGraph(loadModel(model), samples, array);
    const inputs = inputClasses(program, samples[samples.length - 1]!);
    await expectSoftwareBackendsAgree(program, inputs);
  }, 300_000); // a few seconds of CPU each; generous for a loaded machine
});

test('each MLPerf Tiny example README holds the cycle table nnchip lower reports now', () => {
  const r = spawnSync(process.execPath, [ex('mlperf-cycle-tables.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 300_000);
