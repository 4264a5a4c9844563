// SPDX-License-Identifier: MIT
/**
 * Both boards' designs go through the generated Makefile's `bitstream` target: yosys, nextpnr-ice40
 * at the design clock (the Makefile does not allow a timing failure) and icepack. The HX8K's is the
 * cheapest honest design: the shipped tiny model with small buffers on a 2x2 array, at 24 MHz through
 * the PLL. The iCEBreaker's is the README's walk-through, `nnchip verilog examples/digits-mlp/model.json
 * --board icebreaker -o hw && make -C hw bitstream`: the iCEBreaker's placed machine (a 2x2, the PE
 * multipliers in the UP5K's SB_MAC16 blocks and the threshold lane's multiply in two more, queue depth
 * 1) with the 512-entry act buffer the digits MLP needs and its 18-bit DRAM addresses (about 5,150 of
 * the 5,280 logic cells since the bias register), at 12 MHz. The iCEBreaker's PLL (fed by the
 * oscillator's pad, at 16 MHz) is built by test/cosim/yowasp-ice40.test.ts, through the same Makefile
 * with the WebAssembly tools: each of these designs takes minutes of yosys and nextpnr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FPGA_DEVICES, mac16Blocks, thresholdMac16Blocks } from '../../src/backends/verilog/devices.js';
import { BOARDS, type Board } from '../../src/board/boards.js';
import { parsePnrLog } from '../../src/board/bitstream.js';
import { emitBoard } from '../../src/board/emit.js';
import { pllFor } from '../../src/board/pll.js';
import { boardDefaultConfig, PLACED_MACHINES } from '../../src/board/fit.js';
import type { Program } from '../../src/isa/program.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { requireTool, runTool } from '../../src/backends/verilog/tools.js';
import { loadModel } from '../../src/importers/index.js';
import { tempFolder, writeDirAtomic } from '../../src/util/atomic-write.js';
import { calibrationSamples, compileGraph, compilerOf } from '../helpers/compile.js';
import { haveTools } from './tools.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const DIGITS_MLP = new URL('../../examples/digits-mlp/model.json', import.meta.url).pathname;
const TINY_CALIBRATION = new URL('../../examples/tiny/calibration.json', import.meta.url).pathname;
// the machines src/board/fit.ts names as placing (PLACED_MACHINES: the fit check's first suggestion;
// the walk-through's grows its buffers from it). The UP5K: a 2x2 core with queue depth 1, its multipliers in two DSPs. With the program in an
// instruction RAM every instruction field is live in the queues (a ROM let yosys drop the fields one
// program never sets); it fits beside the board logic (about 4,400 of the 5,280 logic cells, with no
// step table to sequence: the shipped models' machine, whose deeper act buffer and DRAM addresses take
// about 600 more; queue depth 2 would not leave them room). The HX8K: a 2x2 core at 24 MHz through the PLL.
const tiny = (config: ArrayConfig) => (): Program => compileGraph(loadModel(TINY), calibrationSamples(TINY_CALIBRATION), config);
/** The README's walk-through: the shipped digits MLP with the machine `verilog --board icebreaker` picks when none is named. */
const digitsOnIcebreaker = (): Program => {
  const compileFor = compilerOf(loadModel(DIGITS_MLP), calibrationSamples());
  return compileFor(boardDefaultConfig(BOARDS.icebreaker, compileFor)!)!;
};
const CASES: readonly (readonly [string, Board, number, () => Program])[] = [
  ['HX8K breakout at 24 MHz (PLL, 2x2)', BOARDS['hx8k-breakout'], PLACED_MACHINES['hx8k-breakout'].clockMhz, tiny(makeConfig(PLACED_MACHINES['hx8k-breakout'].config))],
  ['the README\'s walk-through: the digits MLP on the iCEBreaker at 12 MHz, the machine --board picks', BOARDS.icebreaker, 12, digitsOnIcebreaker],
];

describe.skipIf(!haveTools('yosys', 'nextpnr-ice40', 'icepack', 'make'))('board designs place, route and meet their clock', () => {
  test.each(CASES)('%s', async (_, board, clockMhz, program) => {
    const p = program();
    const config = p.config;
    const temp = tempFolder('nnchip-board-pnr-');
    try {
      const dir = join(temp.path, 'hw');
      writeDirAtomic(dir, emitBoard(p, { board, clockMhz }));
      const designMhz = pllFor(board.oscMhz, clockMhz).mhz; // 16 → 16.125: the PLL's nearest
      expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toContain(`FREQ ?= ${designMhz}\n`);
      await runTool(requireTool('make'), ['bitstream'], dir, `make bitstream for the ${board.title}`);
      expect(existsSync(join(dir, 'build/board.bin'))).toBe(true);
      // nextpnr's own verdict, per clock: "Max frequency for clock 'clk': 40.1 MHz (PASS at 24.0 MHz)"
      const placed = parsePnrLog(readFileSync(join(dir, 'build/nextpnr.log'), 'utf8'));
      expect(placed.clocks.length).toBeGreaterThan(0);
      const dsps = placed.dsps?.used ?? 0;
      process.stdout.write(`${board.title}: ${placed.logicCells?.used} logic cells, ${placed.blockRams?.used} block RAMs, ${dsps} DSPs\n`);
      const mult = FPGA_DEVICES[board.device].peMultipliers;
      // the PEs' blocks, and the threshold lane's two where the part has them to spare
      expect(dsps, 'DSP blocks placed').toBe(mult === 'mac16' ? mac16Blocks(config.rows, config.cols) + thresholdMac16Blocks(config, mult) : 0);
      for (const { name, mhz, pass, requiredMhz } of placed.clocks) {
        process.stdout.write(`${board.title}: clock ${name} ${mhz} MHz\n`);
        expect(pass, `clock ${name}`).toBe(true);
        expect(requiredMhz, `clock ${name} asked of nextpnr`).toBeCloseTo(designMhz, 2);
      }
    } finally {
      temp.remove();
    }
  }, 900_000);
});
