// SPDX-License-Identifier: MIT
/**
 * The flows besides iCE40 (ice40.test.ts). ASIC (targets/asic): yosys maps the logic to its
 * internal gate library with abc and reports the cell count and a CMOS transistor estimate;
 * buffers and the program ROM are memory bits (SRAM macros in a real flow). ECP5 (targets/ecp5):
 * synth_ecp5 maps the PE multipliers to the MULT18X18D DSPs; nextpnr-ecp5 is not in Debian, so
 * the report says why there is no Fmax.
 */
import { describe, expect, test } from 'vitest';
import { synthesize } from '../../src/backends/verilog/synth.js';
import { haveTools, synthProgram } from './tools.js';

describe.skipIf(!haveTools('yosys', 'make'))('ASIC and ECP5 flows', () => {
  test('ASIC, a 2x2 design: gate count, transistor estimate, memory bits', async () => {
    const r = await synthesize(synthProgram(2), { target: 'asic' });
    process.stdout.write(`asic 2x2: ${r.cells} cells, ${r.transistors ?? '?'} transistors (logic), ${r.memoryBits} memory bits\n`);
    expect(r.cells).toBeGreaterThan(1000);
    expect(r.transistors).toBeGreaterThan(r.cells);
    expect(r.memoryBits).toBeGreaterThan(0);
    expect(r.placed).toBe(false);
    expect(r.note).toMatch(/no place and route/);
  }, 300_000);

  test('ECP5, the same design: LUTs, flip-flops, block RAM and the multipliers in DSPs', async () => {
    const r = await synthesize(synthProgram(2), { target: 'ecp5' });
    process.stdout.write(`ecp5 2x2: ${r.luts} LUTs, ${r.ffs} FFs, ${r.brams} BRAMs, ${r.dsps} DSPs (${r.note ?? 'placed'})\n`);
    expect(r.luts).toBeGreaterThan(0);
    expect(r.ffs).toBeGreaterThan(0);
    expect(r.brams).toBeGreaterThan(0);
    expect(r.dsps).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
