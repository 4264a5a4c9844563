// SPDX-License-Identifier: MIT
/**
 * Open FPGA flow: yosys synthesizes the generated 4x4 design for iCE40 and nextpnr places and
 * routes it on an iCE40-HX8K (7,680 logic cells, no DSPs). The machine is the small-FPGA one: one
 * threshold lane taking mult in 4-bit digits (thresholdPasses = 4·C), small buffers and queues.
 * On an UP5K the same 4x4 puts its PE multipliers in the part's 8 DSP blocks. Resource counts and
 * Fmax are printed, not asserted beyond fitting the part (bench/rtl.mjs collects them for several
 * array sizes).
 */
import { describe, expect, test } from 'vitest';
import { bramBlocks, FPGA_DEVICES, mac16Blocks } from '../../src/backends/verilog/devices.js';
import { designSizing } from '../../src/backends/verilog/emit.js';
import { bramTotal, bufferBrams } from '../../src/backends/verilog/fit.js';
import { synthesize, type SynthReport } from '../../src/backends/verilog/synth.js';
import { INSN_BITS } from '../../src/isa/spec.js';
import { haveTools, synthProgram } from './tools.js';

const HX8K_LOGIC_CELLS = FPGA_DEVICES.hx8k.logicCells;

const show = (what: string, r: SynthReport): void => {
  const fmax = r.fmaxMhz === null ? (r.note ?? 'not placed') : `Fmax ${r.fmaxMhz.toFixed(1)} MHz`;
  process.stdout.write(`${what}: ${r.luts} LUTs, ${r.ffs} FFs, ${r.brams} BRAMs, ${r.dsps} DSPs, ${fmax}\n`);
};

describe.skipIf(!haveTools('yosys', 'make'))('iCE40 flow', () => {
  test.skipIf(!haveTools('nextpnr-ice40'))('yosys maps the 4x4 design and nextpnr-ice40 places and routes it on an HX8K', async () => {
    const p = synthProgram(4);
    const r = await synthesize(p, { target: 'ice40', device: 'hx8k' });
    show('iCE40-HX8K 4x4 (placed and routed)', r);
    // the block-RAM model the fit suggestions use: the buffers exactly, the ROM at most its full width
    const buffers = bramTotal(bufferBrams(p.config, FPGA_DEVICES.hx8k));
    expect(r.brams).toBeGreaterThanOrEqual(buffers);
    expect(r.brams).toBeLessThanOrEqual(buffers + bramBlocks(INSN_BITS, designSizing(p, 1).progDepth, FPGA_DEVICES.hx8k));
    expect(r.over).toEqual([]);
    expect(r.note).toBeNull();
    expect(r.placed).toBe(true);
    expect(r.fmaxMhz).toBeGreaterThan(0);
    expect(r.luts).toBeLessThanOrEqual(HX8K_LOGIC_CELLS);
    expect(r.brams).toBeGreaterThan(0);
  }, 600_000);

  test.skipIf(!haveTools('nextpnr-ice40'))('on an UP5K the 4x4 design puts its 16 PE multipliers in the 8 SB_MAC16 blocks and places', async () => {
    const r = await synthesize(synthProgram(4), { target: 'ice40', device: 'up5k' });
    show('iCE40-UP5K 4x4 (placed and routed)', r);
    expect(r.device).toBe('up5k');
    expect(r.dsps).toBe(mac16Blocks(4, 4));
    expect(r.over).toEqual([]);
    expect(r.placed).toBe(true);
    // the mark: with the multipliers registered in the blocks the clock is not the 18 MHz of the
    // inferred DSPs (docs/hardware.md: 21-23 MHz, the threshold lane's last stage the critical path)
    expect(r.fmaxMhz).toBeGreaterThan(18);
  }, 600_000);
});
