// SPDX-License-Identifier: MIT
/**
 * The board fit estimate (src/board/fit.ts) against what nextpnr placed: the designs bench/board.mjs
 * built (yosys 0.23, nextpnr-ice40; the tiny example) are within a few percent of their logic cells
 * and exactly their block RAMs and DSPs; the machines that place are accepted, those that did not
 * are refused, and the default 8x8 machine is refused with a config the estimate says fits.
 */
import { describe, expect, test } from 'vitest';
import { FPGA_DEVICES, overuse } from '../../../src/backends/verilog/devices.js';
import { BOARDS, BOARD_NAMES, type BoardName } from '../../../src/board/boards.js';
import { boardDefaultConfig, checkBoardFits, estimateBoardUse, PLACED_MACHINES } from '../../../src/board/fit.js';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import type { Program } from '../../../src/isa/program.js';
import { calibrationSamples, compilerOf } from '../../helpers/compile.js';

const TINY = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const graph = loadModel(TINY);
const samples = calibrationSamples(new URL('../../../examples/tiny/calibration.json', import.meta.url).pathname);
const compileFor = compilerOf(graph, samples);
const tiny = (config: Partial<ArrayConfig>): Program => compileFor(makeConfig(config))!;

const SMALL = PLACED_MACHINES['hx8k-breakout'].config;
/**
 * bench/board.mjs: nextpnr's ICESTORM_LC, ICESTORM_RAM, ICESTORM_DSP for each machine (placed or over
 * the part), with the threshold's table sequencer left out (the tiny example has no step table) and,
 * on the UP5K's 2x2 arrays, the threshold lane's multiply in two SB_MAC16 blocks.
 */
const MEASURED: readonly (readonly [BoardName, Partial<ArrayConfig>, number, number, number])[] = [
  ['icebreaker', PLACED_MACHINES.icebreaker.config, 4583, 23, 4],
  ['hx8k-breakout', SMALL, 5804, 23, 0],
  ['icebreaker', SMALL, 4855, 23, 4],
  ['icebreaker', { ...SMALL, rows: 4, cols: 4, wgtDepth: 16, thresholdPasses: 16, queueDepth: 1 }, 6396, 37, 8],
  ['icebreaker', { ...SMALL, queueDepth: 1, dramBytesPerCycle: 8, dramLatency: 20 }, 4659, 28, 4],
  ['hx8k-breakout', { ...SMALL, queueDepth: 1 }, 5509, 23, 0],
  ['hx8k-breakout', { ...SMALL, rows: 4, cols: 4, wgtDepth: 16, thresholdPasses: 16 }, 9311, 37, 0],
  // deeper buffers (the default DRAM beat and latency): what the first search suggested, placed: over (the per-address-bit term)
  ['icebreaker', { rows: 2, cols: 2, actDepth: 256, wgtDepth: 512, accDepth: 256, outDepth: 512, queueDepth: 1, thresholdPasses: 8 }, 5814, 30, 4],
  ['hx8k-breakout', { rows: 2, cols: 2, actDepth: 512, wgtDepth: 512, accDepth: 256, outDepth: 512, queueDepth: 4, thresholdPasses: 8 }, 7678, 31, 0],
];

describe('board fit estimate', () => {
  // nextpnr's packing moves a few tens of cells from run to run and between similar designs
  test.each(MEASURED)('%s %o: within 1.5%% of the placed logic cells, block RAMs and DSPs exact', (board, config, cells, brams, dsps) => {
    const use = estimateBoardUse(tiny(config), BOARDS[board]);
    expect(Math.abs(use.luts - cells) / cells).toBeLessThan(0.015);
    expect([use.brams, use.dsps]).toEqual([brams, dsps]);
    // a design nextpnr placed is accepted; one over the part refused (where the placed figure is
    // further from the part's size than the estimate's 1.5%: the HX8K's deep-buffer design placed in
    // 7,678 of 7,680 cells, which no estimate of this precision can call either way)
    const capacity = FPGA_DEVICES[BOARDS[board].device].logicCells;
    if (Math.abs(cells - capacity) / capacity > 0.015) expect(overuse(use, FPGA_DEVICES[BOARDS[board].device]).length === 0).toBe(cells <= capacity);
  });

  test.each(BOARD_NAMES)('%s: the placed machine passes the check', (board) => {
    expect(() => checkBoardFits(tiny(PLACED_MACHINES[board].config), BOARDS[board], {}, compileFor)).not.toThrow();
  });

  test.each(BOARD_NAMES)('%s: the default machine is refused (NN405, exit 4) with a config whose design the estimate says fits', (board) => {
    let err: unknown;
    try {
      checkBoardFits(tiny({}), BOARDS[board], {}, compileFor);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NnchipError);
    const e = err as NnchipError;
    expect(e.exitCode).toBe(4);
    expect(e.format()).not.toContain('\n');
    const suggested = JSON.parse(/a machine config that fits: (\{[^}]*\})/.exec(e.detail)![1]!) as Partial<ArrayConfig>;
    const fitted = tiny(suggested);
    expect(overuse(estimateBoardUse(fitted, BOARDS[board]), FPGA_DEVICES[BOARDS[board].device])).toEqual([]);
  });

  describe('the shipped digits MLP (19,207 instructions at 2x2, streamed from flash; DRAM addresses 16 bits wide)', () => {
    const digits = loadModel(new URL('../../../examples/digits-mlp/model.json', import.meta.url).pathname);
    const digitsSamples = calibrationSamples();
    const digitsFor = compilerOf(digits, digitsSamples);
    const withAct = (board: BoardName): ArrayConfig => makeConfig({ ...PLACED_MACHINES[board].config, actDepth: 512 });

    // placed by `make bitstream` of `nnchip verilog examples/digits-mlp/model.json --board …` (yosys 0.23,
    // nextpnr-ice40 0.4; BENCH_BOARD=digits node bench/board.mjs): both place at 12 MHz
    test.each([['icebreaker', 5129, 25, 4], ['hx8k-breakout', 6468, 25, 0]] as const)('%s, the placed machine with a 512-entry act buffer: within 1.5%% of %i placed cells, %i block RAMs, %i DSPs', (board, cells, brams, dsps) => {
      const use = estimateBoardUse(digitsFor(withAct(board))!, BOARDS[board]);
      expect(Math.abs(use.luts - cells) / cells).toBeLessThan(0.015);
      expect([use.brams, use.dsps]).toEqual([brams, dsps]);
    });

    test.each(BOARD_NAMES)('%s: with no machine named, verilog --board builds the placed machine with that act buffer, and it passes the check', (board) => {
      const config = boardDefaultConfig(BOARDS[board], digitsFor);
      expect(config).toEqual(withAct(board));
      const p = digitsFor(config!)!;
      expect(() => checkBoardFits(p, BOARDS[board], {}, digitsFor)).not.toThrow();
      // the iCEBreaker's leaves room for more board logic (the README's walk-through must keep placing:
      // 131 cells left as placed since the bias matmul's held read, 216 before it)
      const device = FPGA_DEVICES[BOARDS[board].device];
      if (board === 'icebreaker') expect(device.logicCells - estimateBoardUse(p, BOARDS[board]).luts).toBeGreaterThanOrEqual(100);
    });

    test.each(BOARD_NAMES)('%s: the step-table sequencer asked for (verilog --board --with tables) is counted: 236 cells and 121 per column more; on the iCEBreaker it no longer fits', (board) => {
      const p = digitsFor(withAct(board))!;
      const plain = estimateBoardUse(p, BOARDS[board]);
      const tables = estimateBoardUse(p, BOARDS[board], { tables: true });
      expect(tables.luts - plain.luts).toBe(236 + 121 * p.config.cols);
      expect([tables.brams, tables.dsps]).toEqual([plain.brams, plain.dsps]);
      const check = (): void => checkBoardFits(p, BOARDS[board], { tables: true }, digitsFor);
      if (board === 'icebreaker') expect(check).toThrow(expect.objectContaining({ code: 'NN405', detail: expect.stringMatching(/^the icebreaker design does not fit iCE40-UP5K \(SG48\): logic cells \d+ of 5280/) }));
      else expect(check).not.toThrow();
    });

    test.each(BOARD_NAMES)('%s: the default 8x8 machine is refused with the placed machine, its act buffer as deep as the model needs', (board) => {
      expect(() => checkBoardFits(digitsFor(makeConfig({}))!, BOARDS[board], {}, digitsFor)).toThrow(expect.objectContaining({ code: 'NN405', detail: expect.stringContaining('"actDepth":512,"wgtDepth":8,') }));
    });
  });
});
