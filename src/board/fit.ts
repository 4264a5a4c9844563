// SPDX-License-Identifier: MIT
/**
 * Does a board design fit its part, before yosys runs? An estimate of what nextpnr places for
 * `nnchip verilog --board`: the block RAMs and DSPs counted from the machine (the same block-RAM
 * model `synth` uses, backends/verilog/fit.ts), the logic cells from a model calibrated on placed
 * board designs (bench/board.mjs prints each calibration design's cells beside this estimate).
 */
import { bramBlocks, FPGA_DEVICES, mac16Blocks, overuse, thresholdMac16Blocks, type FpgaDevice, type ResourceUse } from '../backends/verilog/devices.js';
import { bramTotal, BUFFERS, bufferBrams, changed, notFitting, overText, type EstimateFn, type RecompileFn } from '../backends/verilog/fit.js';
import { NnchipError } from '../diagnostics/error.js';
import { makeConfig, type ArrayConfig } from '../isa/config.js';
import { dramBeatBytes } from '../isa/ops/dma.js';
import type { Program } from '../isa/program.js';
import type { Board, BoardName } from './boards.js';
import { boardMachine, type BoardCapacity } from './emit.js';
import type { DesignSizing } from '../backends/verilog/emit.js';

/**
 * Logic cells (nextpnr's ICESTORM_LC) of a board design, fitted to the designs bench/board.mjs
 * builds (yosys 0.23, nextpnr-ice40; 2x2 and 4x4 arrays, queue depths 1, 2 and 4, DRAM beats of 2
 * and 8 bytes, small and larger buffers, on both parts: each within 1.5% of its placed figure). `base` is the board logic (host
 * link, flash reader, memory adapter, boot checker), the core's fixed control and its one-lane
 * threshold unit; each PE adds its accumulator and registers (and, in LUTs, its multiplier:
 * `fabric`, 164 cells more than in a DSP block), each column its share of the control, each instruction-queue entry a register of every
 * instruction field in the three queues, each byte of the DRAM beat its adapter lanes, and each
 * address bit of the five buffers its share of the instruction fields, queue entries and counters
 * (fitted to the two designs verilog --board first suggested for the tiny example, with buffers
 * 8 to 128 times deeper: now 5,814 and 7,678 cells placed).
 * A threshold unit of full lanes (thresholdPasses dividing cols) replaces the one-lane unit, at the
 * plain core's yosys figures (docs/hardware.md); pooling hardware adds about 230 cells per column
 * (backends/verilog/emit.ts): 100 for the window walker's running maximum, and since session 21
 * about 130 for the column reuse's tail register and comparator (a pooled 2x2 design placed on
 * the HX8K in 4,354 cells before it, 4,621 with it). Neither is in the calibration designs. The calibration designs have no
 * step table (the tiny example and the digits MLP: ReLU), so the threshold's table sequencer is not
 * built; `tables` adds it back (what leaving it out saved: about 480 cells at 2x2, 720 at 4x4, with
 * the host link's shared range check). On the UP5K their threshold lane multiplies in two spare
 * SB_MAC16 blocks (`laneInMac16`, per lane: devices.ts thresholdMac16Blocks; about 270 cells). Last
 * refitted after the threshold's tail counter and the bias matmul's held acc read (a C-lane int32
 * register: about 30 cells per column): `base` and `perCol` by least squares on the seven designs
 * with small buffers, `perAddressBit` on the two with deeper ones (`base` keeping their 19 address
 * bits), `dramAddressBit` exactly on the digits MLP's two; each of the eleven within 0.7% of its
 * placed figure (the digits MLP's iCEBreaker design: 5,149 placed and estimated).
 */
export const BOARD_CELL_MODEL = {
  base: 2846,
  tables: { fixed: 236, perCol: 121 },
  laneInMac16: -272,
  perAddressBit: 55,
  pe: { fabric: 269, mac16: 105 },
  perCol: 108,
  perQueueEntry: 308,
  perBeatByte: 8,
  thresholdLane: { full: 2072, serial: 1250 },
  poolingPerCol: 230,
  /** the matmul's product shifter on each column's sum (MATMUL_SHIFT): a 4x4 design synthesized for the HX8K with it, 5,758 → 6,129 LUTs (yosys 0.23) */
  shiftPerCol: 93,
  /**
   * Each DRAM address bit past the calibration designs' 8 (the tiny example's DRAM): the DMA
   * instructions' address fields, their queue entries and the units' address counters. Fitted to the
   * shipped digits MLP (DRAM_AW 18, 204 kB of weights in flash) on the two boards' machines with a
   * 512-entry act buffer: 5,149 cells placed on the UP5K (queue depth 1), 6,523 on the HX8K (2).
   * With its weight tiles back to back (DRAM_AW 16, 51 kB) the same designs placed in 5,086 and
   * 6,406 cells, estimated 5,068 and 6,414: not refitted. With the controller's two store⇄load
   * token counters (session 21) they placed in 5,129 and 6,468 (1.2% and 0.8% over): not refitted.
   */
  dramAddressBit: { from: 8, fixed: 26.7, perQueueEntry: 13.8 },
} as const;

/**
 * Whether yosys (0.23, synth_ice40) puts a memory the RTL leaves to it (the board's RAM region and
 * read ring) in block RAM rather than flip-flops: when it holds more than about 75 bits per block it
 * would take (measured on a lone memory of 9 to 65 bits by 4 to 32 words: 9x8 and 65x5 in flip-flops,
 * 9x10 and 65x6 in 1 and 5 blocks). The core's buffers and instruction RAM ask for block RAM.
 */
function inferredBlocks(width: number, depth: number, device: FpgaDevice): number {
  const blocks = bramBlocks(width, depth, device);
  return width * depth > 75 * blocks ? blocks : 0;
}

/**
 * Machines whose board designs place and route and meet their clock (the tiny example; bench/board.mjs
 * prints their figures): on the UP5K a 2x2 core with its multipliers in two DSPs and queue depth 1
 * (about 98% of the logic cells; queue depth 2 is over), on the HX8K a 2x2 core at 24 MHz through the PLL.
 */
const SMALL_BUFFERS = { actDepth: 64, wgtDepth: 8, accDepth: 16, qntDepth: 4, outDepth: 16, dramBytesPerCycle: 2, dramLatency: 3 } as const;
export const PLACED_MACHINES = {
  icebreaker: { clockMhz: 12, config: { rows: 2, cols: 2, thresholdPasses: 8, queueDepth: 1, ...SMALL_BUFFERS } },
  'hx8k-breakout': { clockMhz: 24, config: { rows: 2, cols: 2, thresholdPasses: 8, queueDepth: 2, ...SMALL_BUFFERS } },
} as const satisfies Record<BoardName, { readonly clockMhz: number; readonly config: Partial<ArrayConfig> }>;

/** The buffers' address bits: each is in the instruction fields, the queue entries and the units' counters (nnchip_top.v's *_AW). */
function addressBits(c: ArrayConfig): number {
  return [c.actDepth, c.wgtDepth, c.accDepth, c.qntDepth, c.outDepth].reduce((n, d) => n + Math.max(1, Math.ceil(Math.log2(d))), 0);
}

/** Instruction words in a 128-bit-wide block RAM; the board RAM region is bytes. */
const INSN_BITS = 128;

/** What a board design for `p` uses on its part, estimated from the machine (see BOARD_CELL_MODEL). */
export function estimateBoardUse(p: Program, board: Board, capacity: BoardCapacity = {}): ResourceUse {
  const device = FPGA_DEVICES[board.device];
  const machine = boardMachine(p, board, capacity);
  return estimateMachineUse(p.config, device, machine.sizing, machine.ramBytes);
}

export function estimateMachineUse(c: ArrayConfig, device: FpgaDevice, sizing: Pick<DesignSizing, 'progDepth' | 'pooling' | 'tables' | 'shifts' | 'dramAw'>, ramBytes: number): ResourceUse {
  const m = BOARD_CELL_MODEL;
  const fullLanes = c.cols % c.thresholdPasses === 0 ? c.cols / c.thresholdPasses : 0;
  const threshold = fullLanes === 0 ? 0 : fullLanes * m.thresholdLane.full - m.thresholdLane.serial;
  const laneBlocks = thresholdMac16Blocks(c, device.peMultipliers);
  const cells =
    m.base +
    c.rows * c.cols * m.pe[device.peMultipliers] +
    c.cols * (m.perCol + (sizing.pooling ? m.poolingPerCol : 0) + (sizing.shifts ? m.shiftPerCol : 0)) +
    c.queueDepth * m.perQueueEntry +
    dramBeatBytes(c) * m.perBeatByte +
    addressBits(c) * m.perAddressBit +
    Math.max(0, sizing.dramAw - m.dramAddressBit.from) * (m.dramAddressBit.fixed + c.queueDepth * m.dramAddressBit.perQueueEntry) +
    threshold +
    (sizing.tables ? m.tables.fixed + c.cols * m.tables.perCol : 0) +
    (laneBlocks / 2) * m.laneInMac16;
  // the memory adapter's read ring: a beat and its valid bit per cycle of DRAM latency (nnchip_board_mem.v)
  const ring = inferredBlocks(8 * dramBeatBytes(c) + 1, Math.max(1, c.dramLatency), device);
  const brams = bramTotal(bufferBrams(c, device)) + bramBlocks(INSN_BITS, sizing.progDepth, device) + inferredBlocks(8, ramBytes, device) + ring;
  const dsps = (device.peMultipliers === 'mac16' ? mac16Blocks(c.rows, c.cols) : 0) + laneBlocks;
  // flip-flops and pins are not estimated: a logic cell holds a LUT and a flip-flop, and the pins are the board's
  return { luts: Math.round(cells), ffs: 0, brams, dsps, io: 0 };
}

const LABELS = { luts: 'logic cells' } as const;

/** The same model compiled for another machine config, or null when it does not lower there (the CLI's, from the model file and flags). */
export type CompileForFn = (config: ArrayConfig) => Program | null;

/** The board design's machine for a program, or null when the board cannot hold it (boardMachine's own limits). */
function machineOrNull(p: Program, board: Board, capacity: BoardCapacity): ReturnType<typeof boardMachine> | null {
  try {
    return boardMachine(p, board, capacity);
  } catch (e) {
    if (e instanceof NnchipError) return null;
    throw e;
  }
}

/**
 * `start` with its buffers doubled (never past `ceiling`, the model's own config) until the model
 * lowers, then each one halved back as far as it still does: the least buffers near a known-placing
 * machine (a real model needs deeper ones than the tiny example it was placed with); null when even
 * the ceiling's do not do.
 */
function grownUntilLowers(start: ArrayConfig, ceiling: ArrayConfig, lowers: (c: ArrayConfig) => boolean): ArrayConfig | null {
  let config = start;
  while (!lowers(config)) {
    const grow = BUFFERS.filter((f) => config[f] < ceiling[f]);
    if (grow.length === 0) return null;
    config = { ...config, ...Object.fromEntries(grow.map((f) => [f, Math.min(ceiling[f], 2 * config[f])])) };
  }
  for (const f of BUFFERS) {
    for (let d = Math.floor(config[f] / 2); d >= start[f] && lowers({ ...config, [f]: d }); d = Math.floor(d / 2)) config = { ...config, [f]: d };
  }
  return config;
}

/**
 * The machine `verilog --board` builds when no --config or --array names one: the board's placed
 * machine (PLACED_MACHINES), its buffers as deep as the model needs (up to the default config's);
 * null when the model does not lower on it even so (the default machine is then compiled, and the
 * fit check says what fits).
 */
export function boardDefaultConfig(board: Board, compileFor: CompileForFn): ArrayConfig | null {
  const lowers = (c: ArrayConfig): boolean => {
    const q = compileFor(c);
    return q !== null && machineOrNull(q, board, {}) !== null;
  };
  return grownUntilLowers(makeConfig(PLACED_MACHINES[board.name as BoardName].config), makeConfig({}), lowers);
}

/**
 * Refuses, before anything is written, a board design the estimate says does not fit its part
 * (NN405, exit 4): one line with what is over, by how much, and a machine config whose design the
 * estimate says fits (backends/verilog/fit.ts's search, steps checked against estimateBoardUse),
 * compiled for each candidate with `compileFor` (null: a lowered program, which is one config's: no suggestion).
 */
export function checkBoardFits(p: Program, board: Board, capacity: BoardCapacity, compileFor: CompileForFn | null): void {
  const device = FPGA_DEVICES[board.device];
  const over = overuse(estimateBoardUse(p, board, capacity), device);
  if (over.length === 0) return;
  const hint = 'pass the suggested fields in --config, or a smaller model; --no-fit-check writes the design anyway';
  if (compileFor === null) {
    const what = overText(over, LABELS);
    throw new NnchipError('NN405', `the ${board.name} design does not fit ${device.part}: ${what} (estimated before synthesis); a lowered program is one config's: give the model itself for a machine config that fits`, { hint });
  }
  const compiled = new Map<string, Program | null>();
  const program = (config: ArrayConfig): Program | null => {
    const key = JSON.stringify(config);
    if (!compiled.has(key)) {
      const q = compileFor(config);
      compiled.set(key, q === null || machineOrNull(q, board, capacity) === null ? null : q);
    }
    return compiled.get(key)!;
  };
  const recompile: RecompileFn = (config) => {
    const q = program(config);
    return q === null ? null : { instructions: q.instructions.length };
  };
  const estimate: EstimateFn = (config) => {
    const q = program(config);
    return q === null ? null : estimateBoardUse(q, board, capacity);
  };
  // first the machine that places on this board (measured, not only estimated), its buffers as deep as the model needs
  const placed = grownUntilLowers({ ...p.config, ...PLACED_MACHINES[board.name as BoardName].config }, p.config, (c) => program(c) !== null);
  const placedUse = placed === null ? null : estimate(placed);
  if (placed !== null && placedUse !== null && overuse(placedUse, device).length === 0) {
    const change = changed(p.config, placed);
    throw new NnchipError(
      'NN405',
      `the ${board.name} design does not fit ${device.part}: ${overText(over, LABELS)} (estimated before synthesis); a machine config that fits: ${JSON.stringify(change)} (the machine bench/board.mjs places on this board, its buffers as deep as this model needs: about ${placedUse.luts} logic cells, ${placedUse.brams} block RAMs, ${placedUse.dsps} DSPs)`,
      { hint },
    );
  }
  const { line } = notFitting(over, device, p.config, p.instructions.length, recompile, { estimate, labels: LABELS });
  throw new NnchipError('NN405', `${line.replace(/^the design/, `the ${board.name} design`)} (estimated before synthesis)`, { hint });
}
