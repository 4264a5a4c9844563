// bench/board.mjs: figures for the board designs of `nnchip verilog --board` (prints; never asserts).
// Run `npm run build` first; needs make, yosys, nextpnr-ice40 (and icepack for the bitstream).
//   reference: the designs test/cosim/board-pnr.test.ts builds (the tiny example, small buffers):
//     iCEBreaker 2x2 (PE multipliers in SB_MAC16 blocks, queue depth 1) at 12 MHz, HX8K breakout 2x2
//     at 24 MHz through the PLL: `make bitstream`; logic cells, block RAMs, DSPs as nextpnr placed
//     them, and each clock's Fmax against the required one;
//   calibration: more machines through yosys and nextpnr (placed or not: nextpnr's utilisation is
//     read either way), beside src/board/fit.ts's estimate, which these runs calibrate.
//   buffers: two more calibration designs, with deeper buffers and the default DRAM beat and latency.
//   digits: the shipped digits MLP with the machine `verilog --board` picks when none is named
//     (boardDefaultConfig: the placed machine, its buffers as deep as the model needs), `make bitstream`
//     on each board at 12 MHz: what the README's board walk-through builds.
// BENCH_BOARD=reference,calibration,buffers,digits selects parts (default all). Each design takes minutes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BOARDS } from '../dist/src/board/boards.js';
import { emitBoard } from '../dist/src/board/emit.js';
import { boardDefaultConfig, estimateBoardUse, PLACED_MACHINES } from '../dist/src/board/fit.js';
import { findTool, runTool } from '../dist/src/backends/verilog/tools.js';
import { FPGA_DEVICES } from '../dist/src/backends/verilog/devices.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { tempFolder, writeDirAtomic } from '../dist/src/util/atomic-write.js';

const root = new URL('../', import.meta.url);
const parts = (process.env.BENCH_BOARD ?? 'reference,calibration,buffers,digits').split(',');
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
  // a cell type the part does not have (the HX8K's DSPs) is not listed
  const use = (cell) => Number(new RegExp(`${cell}:\\s*(\\d+)\\s*/`).exec(log)?.[1] ?? 0);
  // nextpnr reports each clock after placement and again after routing: the last report stands
  const last = new Map();
  for (const m of log.matchAll(/Max frequency for clock +'([^']+)': ([\d.]+) MHz \((PASS|FAIL) at ([\d.]+) MHz\)/g)) last.set(m[1], `${m[1].replace(/\$glb_clk$/, '')} ${m[2]} MHz (${m[3]} at ${m[4]})`);
  const clocks = [...last.values()];
  return { lcs: use('ICESTORM_LC'), brams: use('ICESTORM_RAM'), dsps: use('ICESTORM_DSP'), clocks };
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
