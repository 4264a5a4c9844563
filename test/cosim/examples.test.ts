// SPDX-License-Identifier: MIT
/**
 * The CNN examples on RTL: the generated Verilog, built with Verilator on a 4x4 array, computes
 * exactly what interpret() computes (and so what sim and WASM compute, test/agreement) in exactly
 * scheduleTimes() cycles, on a real held-out digit. The table-activation examples (threshold table
 * mode): the ONNX CNN with the CNNs in Verilator, the TF.js MLP in Icarus, both on 4x4.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { buildRtlSim, type RtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { expectExact, haveTools, sharedRtlSims } from './tools.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const CAPACITY = { progDepth: 16384, dramBytes: 1 << 18, tokenBits: 16, inputBytes: 4096, outputBytes: 4096, inputRows: 1024, outputRows: 256, pooling: true, tables: true, shifts: true };

describe.skipIf(!haveTools('verilator'))('CNN examples in Verilator (4x4)', () => {
  // one machine and one capacity: the three programs differ only in the memory images, so they
  // run on one Verilator build (sharedRtlSims compares the emitted rtl/ and tb/ to decide)
  const sims = sharedRtlSims(CAPACITY);
  afterAll(() => {
    process.stdout.write(`CNN examples: ${sims.builds()} Verilator build(s)\n`);
    sims.dispose();
  });
  test.each([
    ['digits-cnn (TF.js)', 'digits-cnn/model.json', 'digits-cnn/calibration.json'],
    ['digits-onnx (PyTorch)', 'digits-onnx/model.onnx', 'digits-onnx/calibration.json'],
    ['digits-activations-onnx (PyTorch: LeakyRelu, PRelu, HardSwish, Tanh, Sigmoid as step tables)', 'digits-activations-onnx/model.onnx', 'digits-activations-onnx/calibration.json'],
  ])('%s: bit- and cycle-exact', async (_name, model, cal) => {
    const samples = calibrationSamples(ex(cal));
    const program = compileGraph(loadModel(ex(model)), samples, { rows: 4, cols: 4 });
    const sim = await sims.build(program, 'verilator');
    const inputs = [quantizeInput(program, samples[samples.length - 1]!)];
    expectExact(program, inputs, await sim.run(program, inputs), 'verilator');
  });
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('the table-activation example in Icarus (4x4)', () => {
  let sim: RtlSim | undefined;
  afterAll(() => sim?.dispose());
  test('digits-activations (TF.js MLP: tanh, LeakyReLU, PReLU, hard_swish, sigmoid): bit- and cycle-exact on two digits', async () => {
    const samples = calibrationSamples(ex('digits-activations/calibration.json'));
    const program = compileGraph(loadModel(ex('digits-activations/model.json')), samples, { rows: 4, cols: 4 });
    expect(program.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length).toBeGreaterThanOrEqual(5);
    sim = await buildRtlSim(program, { simulator: 'iverilog', capacity: CAPACITY });
    const inputs = [samples[0]!, samples[samples.length - 1]!].map((x) => quantizeInput(program, x));
    expectExact(program, inputs, await sim.run(program, inputs), 'icarus');
  }, 300_000);
});
