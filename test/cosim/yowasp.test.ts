// SPDX-License-Identifier: MIT
/**
 * The WebAssembly yosys fallback: with `yosys: 'yowasp'` forced, the @yowasp/yosys package (run by
 * node through bin/yowasp-yosys.mjs) synthesizes the small 2x2 design through the same iCE40
 * Makefile, and nextpnr-ice40, when installed, places and routes its netlist.
 */
import { describe, expect, test } from 'vitest';
import { synthesize } from '../../src/backends/verilog/synth.js';
import { findTool } from '../../src/backends/verilog/tools.js';
import { haveTools, haveYowasp, synthProgram } from './tools.js';


describe.skipIf(!haveTools('make') || !haveYowasp())('iCE40 flow with @yowasp/yosys', () => {
  test('the WebAssembly yosys maps the 2x2 design (and nextpnr places it when installed)', async () => {
    const pnr = findTool('nextpnr-ice40') !== null;
    const started = Date.now();
    const r = await synthesize(synthProgram(2), { target: 'ice40', device: 'hx8k', yosys: 'yowasp', noPnr: !pnr });
    const fmax = r.fmaxMhz === null ? (r.note ?? 'not placed') : `Fmax ${r.fmaxMhz.toFixed(1)} MHz`;
    process.stdout.write(
      `iCE40-HX8K 2x2 with yowasp yosys ${r.yosys.version ?? '?'}: ${r.luts} LUTs, ${r.ffs} FFs, ${r.brams} BRAMs, ${fmax} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    expect(r.yosys.kind).toBe('yowasp');
    expect(r.yosys.command).toMatch(/yowasp-yosys\.mjs$/);
    expect(r.yosys.version).toMatch(/^0\.\d+/);
    expect(r.luts).toBeGreaterThan(0);
    expect(r.ffs).toBeGreaterThan(0);
    expect(r.brams).toBeGreaterThan(0);
    if (pnr) {
      // newer yosys's $scopeinfo bookkeeping cells must not reach nextpnr (it has no BEL for them)
      expect(r.placed, r.note ?? '').toBe(true);
      expect(r.fmaxMhz).toBeGreaterThan(0);
    }
  }, 300_000);
});
