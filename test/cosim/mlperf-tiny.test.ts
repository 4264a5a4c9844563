// SPDX-License-Identifier: MIT
/**
 * Three MLPerf Tiny examples on RTL: the generated Verilog for ResNet-8 and the FC autoencoder
 * (PyTorch → ONNX) and DS-CNN (TF.js Layers), built with Verilator on a 4x4 array, computes exactly
 * what interpret() computes (and so what sim and WASM compute, test/agreement/mlperf-tiny) in
 * exactly scheduleTimes() cycles, on two held-out digits each. MobileNet VWW is left out: about half
 * a million cycles per inference even on 8x8.
 */
import { afterAll, describe, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { autoencoderInput, dsCnnInput, resnet8Input } from '../../examples/mlperf-inputs.mjs';
import { buildRtlSim, type RtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { expectExact, haveTools } from './tools.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;

describe.skipIf(!haveTools('verilator'))('MLPerf Tiny examples in Verilator (4x4)', () => {
  const sims: RtlSim[] = [];
  afterAll(() => sims.forEach((s) => s.dispose()));
  const held = loadDigits('test', 2);
  test.each([
    ['resnet8 (PyTorch → ONNX)', 'resnet8/model.onnx', resnet8Input],
    ['ds-cnn (TF.js Layers)', 'ds-cnn/model.json', dsCnnInput],
    ['autoencoder (PyTorch → ONNX)', 'autoencoder/model.onnx', autoencoderInput],
  ])('%s: bit- and cycle-exact on two digits', async (_name, model, toInput) => {
    const program = compileGraph(loadModel(ex(model)), calibrationSamples(ex(model.replace(/[^/]+$/, 'calibration.json'))), { rows: 4, cols: 4 });
    const inputs = held.inputs.map((d) => quantizeInput(program, toInput(d)));
    const sim = await buildRtlSim(program, { simulator: 'verilator', inputs });
    sims.push(sim);
    expectExact(program, inputs, await sim.run(program, inputs), 'verilator');
  }, 600_000); // about a minute of CPU (Verilator build + run); generous for a loaded machine
});
