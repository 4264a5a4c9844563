// SPDX-License-Identifier: MIT
/**
 * The npm-only flow: with yosys, nextpnr-ice40 and icepack hidden from PATH (only make and the
 * shell utilities its recipes use stay), synthesize() falls back to @yowasp/yosys and
 * @yowasp/nextpnr-ice40 and goes from Verilog to a placed design and an iCE40 bitstream; and
 * `nnchip board bitstream` (buildBoardBitstream) does the same for a board design, the one that
 * runs a model (about 75 CPU seconds of yosys and nextpnr in WebAssembly for the iCEBreaker's): the
 * iCEBreaker at 16 MHz through its PLL fed by the oscillator's pad (pin 35), the case board-pnr's
 * system flow does not build again (it builds the HX8K's PLL and the iCEBreaker's walk-through).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findYowaspIce40, resolveIce40Tools } from '../../src/backends/verilog/nextpnr.js';
import { synthesize } from '../../src/backends/verilog/synth.js';
import { findTool } from '../../src/backends/verilog/tools.js';
import { BOARDS } from '../../src/board/boards.js';
import { buildBoardBitstream } from '../../src/board/bitstream.js';
import { emitBoard } from '../../src/board/emit.js';
import { PLACED_MACHINES } from '../../src/board/fit.js';
import { pllFor } from '../../src/board/pll.js';
import { loadModel } from '../../src/importers/index.js';
import { writeDirAtomic } from '../../src/util/atomic-write.js';
import { IN_CI } from '../helpers/ci.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { haveTools, haveYowasp, synthProgram } from './tools.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const TINY_CALIBRATION = new URL('../../examples/tiny/calibration.json', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'nnchip-npm-only-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A PATH holding only make and what its recipes call, so no system EDA tool can be found. */
function barePath(): string {
  const bin = join(work, 'bin');
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  for (const tool of ['make', 'sh', 'mkdir', 'cat', 'grep', 'tail', 'rm']) {
    const found = findTool(tool);
    if (found !== null) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

function haveYowaspIce40(): boolean {
  if (findYowaspIce40() !== null || IN_CI) return true;
  process.stderr.write('cosim: skipping the npm-only flow test (@yowasp/nextpnr-ice40 is not installed; npm ci installs it as an optional dependency)\n');
  return false;
}

describe.skipIf(!haveTools('make') || !haveYowasp() || !haveYowaspIce40())('npm-only iCE40 flow', () => {
  test('without system EDA tools, the @yowasp packages synthesize, place and route and pack a 1x1 design', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = barePath();
    try {
      for (const tool of ['yosys', 'nextpnr-ice40', 'icepack']) expect(findTool(tool), `${tool} hidden`).toBeNull();
      expect(resolveIce40Tools()?.kind).toBe('yowasp');
      const dir = join(work, 'design');
      // the smallest array: the flow is under test here (the board design below is a 2x2 that runs a model)
      const r = await synthesize(synthProgram(1), { target: 'ice40', device: 'hx8k', dir, bitstream: true });
      process.stdout.write(`npm-only iCE40-HX8K 1x1: ${r.luts} LUTs, ${r.brams} BRAMs, Fmax ${r.fmaxMhz?.toFixed(1) ?? '—'} MHz, bitstream ${r.bitstream}\n`);
      expect(r.yosys.kind).toBe('yowasp');
      expect(r.pnr?.kind).toBe('yowasp');
      expect(r.placed, r.note ?? '').toBe(true);
      expect(r.bitstream).toBe(join(dir, 'ice40', 'build', 'nnchip.bin'));
      // an iCE40 bitstream opens with the 0x7EAA997E synchronization word (after a comment block)
      const bin = readFileSync(r.bitstream!);
      expect(bin.includes(Buffer.from([0x7e, 0xaa, 0x99, 0x7e]))).toBe(true);
    } finally {
      process.env['PATH'] = saved;
    }
  }, 1_200_000);

  test('without system EDA tools, nnchip board bitstream makes the iCEBreaker board design\'s bitstream at 16 MHz through the PLL from pin 35, meeting it', async () => {
    // the machine that places on the iCEBreaker (PLACED_MACHINES: a 2x2, its multipliers in DSPs, queue
    // depth 1), running the tiny example, at 16 MHz: the PLL from the oscillator's pad (an SB_PLL40_CORE
    // there could not be placed) makes 16.125
    const { config } = PLACED_MACHINES.icebreaker;
    const clockMhz = 16;
    const designMhz = pllFor(BOARDS.icebreaker.oscMhz, clockMhz).mhz;
    const p = compileGraph(loadModel(TINY), calibrationSamples(TINY_CALIBRATION), config);
    const dir = join(work, 'board');
    writeDirAtomic(dir, emitBoard(p, { board: BOARDS.icebreaker, clockMhz }));
    const saved = process.env['PATH'];
    const savedYosys = process.env['NNCHIP_YOSYS'];
    process.env['PATH'] = barePath();
    delete process.env['NNCHIP_YOSYS'];
    const steps: string[] = [];
    try {
      for (const tool of ['yosys', 'nextpnr-ice40', 'icepack']) expect(findTool(tool), `${tool} hidden`).toBeNull();
      const r = await buildBoardBitstream(dir, BOARDS.icebreaker, clockMhz, { onStep: (s) => steps.push(s) });
      process.stdout.write(`npm-only iCEBreaker board: ${r.logicCells?.used} logic cells, ${r.blockRams?.used} block RAMs, ${r.dsps?.used} DSPs; ${r.clocks.map((c) => `${c.name} ${c.mhz} MHz`).join(', ')}\n`);
      expect(r.yosys.kind).toBe('yowasp');
      expect(r.pnr.kind).toBe('yowasp');
      expect(steps).toHaveLength(3);
      expect(r.dsps?.used).toBe(4);
      expect(r.clocks.length).toBeGreaterThanOrEqual(2); // the board clock and the core's
      for (const c of r.clocks) {
        expect(c.pass, c.name).toBe(true);
        expect(c.requiredMhz, `${c.name} asked of nextpnr`).toBeCloseTo(designMhz, 2);
      }
      expect(r.bitstream).toBe(join(dir, 'build', 'board.bin'));
      expect(readFileSync(r.bitstream).includes(Buffer.from([0x7e, 0xaa, 0x99, 0x7e]))).toBe(true);
    } finally {
      process.env['PATH'] = saved;
      if (savedYosys !== undefined) process.env['NNCHIP_YOSYS'] = savedYosys;
    }
  }, 1_800_000);
});
