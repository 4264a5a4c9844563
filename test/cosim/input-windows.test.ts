// SPDX-License-Identifier: MIT
/**
 * A program whose input is stored as its first convolution's windows (passes/window-input.ts) on
 * RTL: the test bench places the stored windows (isa/program.ts storedCodes / storedLayout) and
 * the design computes exactly what interpret() computes in exactly scheduleTimes() cycles — the
 * MNIST CNN on a 4x4 array in Icarus, on a real digit.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { buildRtlSim, type RtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { expectExact, haveTools } from './tools.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;

describe.skipIf(!haveTools('iverilog', 'vvp'))('a windowed input in Icarus (4x4)', () => {
  let sim: RtlSim | undefined;
  afterAll(() => sim?.dispose());
  test('digits-cnn: its input stored as conv_1\'s 3x3 windows, bit- and cycle-exact', async () => {
    const samples = calibrationSamples(ex('digits-cnn/calibration.json'));
    const program = compileGraph(loadModel(ex('digits-cnn/model.json')), samples, { rows: 4, cols: 4 }, 1, 'always');
    expect(program.input.windows?.kernel).toEqual([3, 3]);
    sim = await buildRtlSim(program, { simulator: 'iverilog' });
    const inputs = [quantizeInput(program, samples[samples.length - 1]!)];
    expectExact(program, inputs, await sim.run(program, inputs), 'icarus');
  }, 600_000);
});
