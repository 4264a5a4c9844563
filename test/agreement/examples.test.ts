/**
 * One table: every shipped example × every input class, on every software back end —
 * reference interpreter = simulator (fast and, on a small array, step) = WASM (SIMD and scalar),
 * bit for bit, with identical cycle counts and memory-address traces across inputs (constant cost).
 * The RTL joins the same table in test/cosim.
 */
import { describe, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const EXAMPLES = [
  { name: 'digits-mlp', model: ex('digits-mlp/model.json'), cal: ex('digits-mlp/calibration.json'), array: { rows: 8, cols: 8 } },
  { name: 'digits-cnn', model: ex('digits-cnn/model.json'), cal: ex('digits-cnn/calibration.json'), array: { rows: 8, cols: 8 } },
  { name: 'digits-onnx', model: ex('digits-onnx/model.onnx'), cal: ex('digits-onnx/calibration.json'), array: { rows: 4, cols: 8 } },
  { name: 'digits-activations', model: ex('digits-activations/model.json'), cal: ex('digits-activations/calibration.json'), array: { rows: 4, cols: 4 } },
  { name: 'digits-activations-onnx', model: ex('digits-activations-onnx/model.onnx'), cal: ex('digits-activations-onnx/calibration.json'), array: { rows: 4, cols: 8 } },
  { name: 'digits-se-onnx', model: ex('digits-se-onnx/model.onnx'), cal: ex('digits-se-onnx/calibration.json'), array: { rows: 4, cols: 8 } },
  { name: 'tiny', model: ex('tiny/tiny.nnchip.json'), cal: null, array: { rows: 2, cols: 3 } },
];

describe.each(EXAMPLES)('$name', ({ model, cal, array }) => {
  const samples = cal === null ? null : calibrationSamples(cal);
  const program = compileGraph(loadModel(model), samples ?? [new Float32Array(4).fill(0.5), new Float32Array(4).fill(-0.5)], array);
  const inputs = inputClasses(program, samples?.[0]);

  test('ref = sim = wasm (SIMD, scalar) on every input class; cycles and traces do not depend on data', async () => {
    await expectSoftwareBackendsAgree(program, inputs);
  });
});
