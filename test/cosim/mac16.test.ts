// SPDX-License-Identifier: MIT
/**
 * The UP5K's DSP variant of the array (`peMultipliers: mac16`: two PEs' multipliers per SB_MAC16,
 * the PEs' registers as the block's input registers) co-simulated with yosys's own SB_MAC16 model:
 * the shipped digits MLP, bit- and cycle-exact against interpret() and scheduleTimes(), in Icarus on
 * 2x2, 3x3 (an odd column count leaves a block half used; row 0's first block takes its activations
 * unregistered) and 4x4 (all 8 of the UP5K's blocks), and in Verilator on 4x4. Where the part has
 * blocks to spare (2x2, 3x3) the threshold lane's 32x16 multiply is in two more (nnchip_mac16_lane.v).
 */
import { describe, expect, test } from 'vitest';
import { emitVerilog } from '../../src/backends/verilog/emit.js';
import { buildRtlSim, type Simulator } from '../../src/backends/verilog/simulate.js';
import { quantizeInput } from '../../src/isa/program.js';
import { calibrationSamples, compileDigitsMlp } from '../helpers/compile.js';
import { expectExact, haveTools } from './tools.js';

const CASES: readonly (readonly [Simulator, number, number, boolean])[] = [
  ['iverilog', 2, 2, true],
  ['iverilog', 3, 3, true], // a half-used block, and the threshold's two: all 8
  ['verilator', 4, 4, false], // every block of the UP5K's 4x4: the threshold lane in LUTs
];

describe.skipIf(!haveTools('iverilog', 'verilator', 'yosys'))('PE multipliers in SB_MAC16 blocks (yosys model)', () => {
  test.each(CASES)('%s %ix%i: the digits MLP bit- and cycle-exact (threshold in DSPs: %s)', async (simulator, rows, cols, thresholdMac16) => {
    const { program } = compileDigitsMlp({ rows, cols, thresholdPasses: 4 * cols });
    const top = emitVerilog(program, { target: 'generic', peMultipliers: 'mac16' }).get('rtl/nnchip_top.v');
    expect(top).toContain(`parameter THRESHOLD_MAC16 = ${thresholdMac16 ? 1 : 0},`);
    const inputs = calibrationSamples().slice(0, 3).map((x) => quantizeInput(program, x));
    const sim = await buildRtlSim(program, { simulator, inputs, peMultipliers: 'mac16' });
    try {
      expectExact(program, inputs, await sim.run(program, inputs), `${simulator} ${rows}x${cols} mac16`);
    } finally {
      sim.dispose();
    }
  }, 600_000);
});
