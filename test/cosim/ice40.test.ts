// SPDX-License-Identifier: MIT
/**
 * Open FPGA flow: yosys synthesizes the generated 4x4 design for iCE40, and nextpnr places and
 * routes a generated design on an iCE40-HX8K. Resource counts and Fmax are printed, not asserted
 * (bench/rtl.mjs collects them for several array sizes).
 */
import { describe, expect, test } from 'vitest';
import { synthesize, type SynthReport } from '../../src/backends/verilog/synth.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { compileGraph } from '../helpers/compile.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { haveTools } from './tools.js';

/** Synthesis configuration: small buffers and queues, so the design is logic, not storage. */
const small = (rows: number, cols: number): Partial<ArrayConfig> => ({ rows, cols, actDepth: 64, wgtDepth: 4 * rows, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 2 });
const program = (rows: number, cols: number) => compileGraph(randomMlp([16, 12, 6], 5), randomSamples(8, 16, 6), small(rows, cols));

const show = (what: string, r: SynthReport): void => {
  const fmax = r.fmaxMhz === null ? (r.note ?? 'not placed') : `Fmax ${r.fmaxMhz.toFixed(1)} MHz`;
  process.stdout.write(`${what}: ${r.luts} LUTs, ${r.ffs} FFs, ${r.brams} BRAMs, ${r.dsps} DSPs, ${fmax}\n`);
};

describe.skipIf(!haveTools('yosys', 'make'))('iCE40 flow', () => {
  test('yosys synth_ice40 maps the 4x4 design', async () => {
    const r = await synthesize(program(4, 4), { target: 'ice40', device: 'hx8k', noPnr: true });
    show('iCE40 4x4 (synthesis)', r);
    expect(r.luts).toBeGreaterThan(0);
    expect(r.ffs).toBeGreaterThan(0);
    expect(r.brams).toBeGreaterThan(0);
  }, 600_000);

  test.skipIf(!haveTools('nextpnr-ice40'))('nextpnr-ice40 places and routes the 2x2 design on an HX8K', async () => {
    const r = await synthesize(program(2, 2), { target: 'ice40', device: 'hx8k' });
    show('iCE40-HX8K 2x2 (placed and routed)', r);
    expect(r.placed).toBe(true);
    expect(r.fmaxMhz).toBeGreaterThan(0);
  }, 600_000);
});
