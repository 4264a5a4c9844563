// bench/board.mjs: figures for the board designs of `nnchip verilog --board` (prints; never asserts).
// Run `npm run build` first; needs make, yosys, nextpnr-ice40 (and icepack for the bitstream).
//   reference: the designs test/cosim/board-pnr.test.ts builds (the tiny example, small buffers):
//     iCEBreaker 2x2 (PE multipliers in SB_MAC16 blocks, queue depth 1) at 12 MHz, HX8K breakout 2x2
//     at 24 MHz through the PLL: `make bitstream`; logic cells, block RAMs, DSPs as nextpnr placed
//     them, and each clock's Fmax against the required one;
//   calibration: more machines through yosys and nextpnr (placed or not: nextpnr's utilisation is
//     read either way), beside src/board/fit.ts's estimate, which these runs calibrate.
//   buffers: two more calibration designs, with deeper buffers and the default DRAM beat and latency.
//   flash: the board clocks of an inference of the shipped digits MLP on the iCEBreaker's 2x2 machine
//     (test/cosim/board.test.ts's), its program streamed from flash, co-simulated in Verilator
//     (src/board/cosim.ts) with each flash read of src/board/flash.ts (single 0x03, dual 0x3B): the
//     boot, the board clocks per inference, and how many of them are the core's and the flash's.
//   digits: the shipped digits MLP with the machine `verilog --board` picks when none is named
//     (boardDefaultConfig: the placed machine, its buffers as deep as the model needs), `make bitstream`
//     on each board at 12 MHz: what the README's board walk-through builds.
// BENCH_BOARD=reference,calibration,buffers,flash,digits selects parts (default all). Each design takes minutes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BOARDS } from '../dist/src/board/boards.js';
import { parsePnrLog } from '../dist/src/board/bitstream.js';
import { boardMachine, emitBoard } from '../dist/src/board/emit.js';
import { compileBoardSim, startBoardSim } from '../dist/src/board/cosim.js';
import { clocksPerByte, FLASH_READ_NAMES, FLASH_READS } from '../dist/src/board/flash.js';
import { BoardSession, checkBoard, inferOnBoard } from '../dist/src/board/host.js';
import { flashImage } from '../dist/src/board/image.js';
import { quantizeInput } from '../dist/src/isa/program.js';
import { scheduleTimes } from '../dist/src/isa/timing.js';
import { boardDefaultConfig, estimateBoardUse, PLACED_MACHINES } from '../dist/src/board/fit.js';
import { findTool, runTool } from '../dist/src/backends/verilog/tools.js';
import { FPGA_DEVICES } from '../dist/src/backends/verilog/devices.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { tempFolder, writeDirAtomic } from '../dist/src/util/atomic-write.js';

const root = new URL('../', import.meta.url);
const parts = (process.env.BENCH_BOARD ?? 'reference,calibration,buffers,flash,digits').split(',');
const samplesOf = (file) => JSON.parse(readFileSync(new URL(file, root), 'utf8')).inputs.map((x) => Float32Array.from(x.flat(Infinity)));
const TINY = { graph: loadModel(new URL('examples/tiny/tiny.nnchip.json', root).pathname), samples: samplesOf('examples/tiny/calibration.json') };
const DIGITS = { graph: loadModel(new URL('examples/digits-mlp/model.json', root).pathname), samples: samplesOf('examples/digits-mlp/calibration.json') };
const compileFor = (model) => (config) => {
  try {
    return compile(model.graph, { config, calibration: { samples: model.samples } }).program;
  } catch {
    return null;
  }
};

// the machines that place (src/board/fit.ts; test/cosim/board-pnr.test.ts builds the same)
const REFERENCE = Object.entries(PLACED_MACHINES).map(([board, { clockMhz, config }]) => [board, clockMhz, config]);
const SMALL = { ...PLACED_MACHINES['hx8k-breakout'].config };
const CALIBRATION = [
  ['icebreaker', 12, SMALL],
  ['icebreaker', 12, { ...SMALL, rows: 4, cols: 4, wgtDepth: 16, thresholdPasses: 16, queueDepth: 1 }],
  ['icebreaker', 12, { ...SMALL, queueDepth: 1, dramBytesPerCycle: 8, dramLatency: 20 }],
  ['hx8k-breakout', 12, { ...SMALL, queueDepth: 1 }],
  ['hx8k-breakout', 12, { ...SMALL, rows: 4, cols: 4, wgtDepth: 16, thresholdPasses: 16 }],
];
// deeper buffers with the default DRAM beat (8 bytes) and latency (20): the address-bit term
const BUFFERS = [
  ['icebreaker', 12, { rows: 2, cols: 2, actDepth: 256, wgtDepth: 512, accDepth: 256, outDepth: 512, queueDepth: 1, thresholdPasses: 8 }],
  ['hx8k-breakout', 12, { rows: 2, cols: 2, actDepth: 512, wgtDepth: 512, accDepth: 256, outDepth: 512, queueDepth: 4, thresholdPasses: 8 }],
];

const pad = (s, n) => String(s).padStart(n);
const describe = (c) => `${c.rows}x${c.cols} q${c.queueDepth} bw${c.dramBytesPerCycle} l${c.dramLatency}`;

/** nextpnr's "Device utilisation" (`ICESTORM_LC:  5172/ 5280    97%`) and its per-clock verdicts. */
function readPnrLog(path) {
  let log = '';
  try {
    log = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const p = parsePnrLog(log); // a cell type the part does not have (the HX8K's DSPs) is not listed: 0
  const clocks = p.clocks.map((c) => `${c.name.replace(/\$glb_clk$/, '')} ${c.mhz.toFixed(2)} MHz (${c.pass ? 'PASS' : 'FAIL'} at ${c.requiredMhz.toFixed(2)})`);
  return { lcs: p.logicCells?.used ?? 0, brams: p.blockRams?.used ?? 0, dsps: p.dsps?.used ?? 0, clocks };
}

async function build(boardName, clockMhz, config, target, model = TINY) {
  const board = BOARDS[boardName];
  const program = compileFor(model)(makeConfig(config));
  const estimate = estimateBoardUse(program, board);
  const temp = tempFolder('nnchip-bench-board-');
  const t0 = performance.now();
  try {
    const dir = join(temp.path, 'hw');
    writeDirAtomic(dir, emitBoard(program, { board, clockMhz }));
    let failed = null;
    try {
      await runTool(findTool('make'), [target], dir, `make ${target}`);
    } catch (e) {
      failed = e.message.split('\n')[0];
    }
    const placed = readPnrLog(join(dir, 'build/nextpnr.log'));
    return { board, program, estimate, placed, failed, seconds: (performance.now() - t0) / 1000 };
  } finally {
    temp.remove();
  }
}

function line(r, clockMhz) {
  const d = FPGA_DEVICES[r.board.device];
  const p = r.placed;
  const lcs = p === null ? '-' : `${p.lcs}/${d.logicCells}`;
  const verdict = p === null ? r.failed : p.clocks.length > 0 ? p.clocks.join(', ') : `not placed${r.failed === null ? '' : `: ${r.failed.slice(0, 80)}`}`;
  return `${r.board.name.padEnd(14)} ${describe(r.program.config).padEnd(14)} ${pad(`${clockMhz} MHz`, 7)} ${pad(lcs, 10)} ${pad(r.estimate.luts, 9)} ${pad(p === null ? '-' : `${p.brams}/${d.brams}`, 7)} ${pad(r.estimate.brams, 6)} ${pad(p === null ? '-' : `${p.dsps}/${d.dsps}`, 5)} ${pad(r.estimate.dsps, 5)} ${pad(Math.round(r.seconds), 5)} s  ${verdict}`;
}

const HEADER = `${'board'.padEnd(14)} ${'machine'.padEnd(14)} ${'clock'.padStart(7)} ${'cells'.padStart(10)} ${'estimate'.padStart(9)} ${'BRAMs'.padStart(7)} ${'est.'.padStart(6)} ${'DSPs'.padStart(5)} ${'est.'.padStart(5)} ${'time'.padStart(7)}  Fmax per clock (nextpnr's verdict at the required clock)`;

/** The digits MLP's 2x2 machine on the iCEBreaker (test/cosim/board.test.ts), with the activation buffer its first layer needs. */
const DIGITS_CONFIG = { rows: 2, cols: 2, actDepth: 512, wgtDepth: 8, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 1, thresholdPasses: 8, dramBytesPerCycle: 2, dramLatency: 3 };

/** One flash read: boot clocks, board clocks of one inference, the flash model's counts. */
async function flashRun(program, readName) {
  const board = BOARDS.icebreaker;
  const temp = tempFolder('nnchip-bench-flash-');
  try {
    const dir = join(temp.path, 'hw');
    writeDirAtomic(dir, emitBoard(program, { board, clockMhz: board.oscMhz, flashRead: readName }));
    const sim = startBoardSim(dir, await compileBoardSim(dir, 'verilator'));
    const session = new BoardSession(sim.link, 0);
    await checkBoard(session, program, boardMachine(program, board).id);
    const run = await inferOnBoard(session, program, quantizeInput(program, DIGITS.samples[0]));
    const log = await sim.close();
    const boot = Number(/image status 1 after (\d+) clocks/.exec(log)?.[1]);
    const flash = /flash: (\d+) READ commands, (\d+) bytes read/.exec(log);
    return { run, boot, reads: Number(flash?.[1]), bytes: Number(flash?.[2]) };
  } finally {
    temp.remove();
  }
}

async function flashPart() {
  if (findTool('verilator') === null) return console.log('flash: verilator is needed');
  const program = compileFor(DIGITS)(makeConfig(DIGITS_CONFIG));
  const window = Number(boardMachine(program, BOARDS.icebreaker).parameters['PROG_DEPTH']);
  const streamed = 16 * (program.instructions.length - window);
  const cycles = scheduleTimes(program.instructions, program.config).cycles;
  const image = flashImage(program, boardMachine(program, BOARDS.icebreaker).id).length;
  console.log(`flash: the digits MLP on the iCEBreaker's 2x2 machine at 12 MHz (Verilator): ${cycles} compute cycles, ${program.instructions.length} instructions through a ${window}-word instruction RAM (${streamed} program bytes streamed per inference), ${program.constants.length} bytes of constants`);
  console.log(`${'read'.padEnd(8)} ${'boot clocks'.padStart(12)} ${'per byte'.padStart(9)} ${'board clocks'.padStart(13)} ${'ms @12MHz'.padStart(10)} ${'core (6/cycle)'.padStart(15)} ${'memory waits'.padStart(13)} ${'of which program ≥'.padStart(19)} ${'READ cmds'.padStart(10)}  (READ commands: boot and one inference)`);
  for (const name of FLASH_READ_NAMES) {
    const r = await flashRun(program, name);
    const clocks = r.run.clocks;
    // the core's six board clocks per core cycle; the rest waits for memory, mostly the flash: at
    // least a flash byte time per streamed program byte
    console.log(`${name.padEnd(8)} ${pad(r.boot, 12)} ${pad((r.boot / image).toFixed(1), 9)} ${pad(clocks, 13)} ${pad(((clocks / 12e6) * 1000).toFixed(0), 10)} ${pad(6 * cycles, 15)} ${pad(clocks - 6 * cycles, 13)} ${pad(clocksPerByte(FLASH_READS[name]) * streamed, 19)} ${pad(r.reads, 10)}`);
  }
}

if (parts.includes('flash')) await flashPart();
if (['make', 'yosys', 'nextpnr-ice40'].some((t) => findTool(t) === null)) {
  console.log('board: make, yosys and nextpnr-ice40 are needed');
} else {
  const digits = Object.keys(PLACED_MACHINES).map((board) => [board, 12, boardDefaultConfig(BOARDS[board], compileFor(DIGITS))]);
  for (const [part, cases, target, model] of [['reference', REFERENCE, 'bitstream', TINY], ['calibration', CALIBRATION, 'pnr', TINY], ['buffers', BUFFERS, 'pnr', TINY], ['digits', digits, 'bitstream', DIGITS]]) {
    if (!parts.includes(part)) continue;
    const which = model === TINY ? 'the tiny example (examples/tiny)' : 'the digits MLP (examples/digits-mlp), the board default machine';
    console.log(`${part}: ${which}, make ${target}; cells = nextpnr's ICESTORM_LC, estimate = src/board/fit.ts`);
    console.log(HEADER);
    for (const [board, clockMhz, config] of cases) console.log(line(await build(board, clockMhz, config, target, model), clockMhz));
  }
}
