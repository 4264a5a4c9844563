// bench/rtl.mjs: figures for the generated hardware (prints; never asserts). Run `npm run build` first.
//   iCE40 (HX8K): LUTs, FFs, BRAMs, DSPs and Fmax (when nextpnr places it) for 2x2, 4x4, 8x8 arrays;
//   iCE40 (UP5K): the same with the PE multipliers in its SB_MAC16 DSP blocks (two PEs per block);
//   asic: yosys generic cells and the CMOS transistor estimate of the logic, plus buffer/ROM bits;
//   Verilator's simulated cycles per second on the digits MLP beside the cycle-accurate simulator's.
// The synthesized designs run a small 16→12→6 MLP with small buffers (synthesis config below), so
// the figures are the core's, not a large program ROM's. BENCH_RTL=ice40,up5k,asic,verilator selects parts.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildRtlSim } from '../dist/src/backends/verilog/simulate.js';
import { synthesize } from '../dist/src/backends/verilog/synth.js';
import { findTool } from '../dist/src/backends/verilog/tools.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { quantizeInput } from '../dist/src/isa/program.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { simulate } from '../dist/sim/index.js';
import { mulberry32 as rng } from '../dist/src/util/prng.js';

const root = new URL('../', import.meta.url);
const parts = (process.env.BENCH_RTL ?? 'ice40,up5k,asic,verilator').split(',');
const ARRAYS = [2, 4, 8];


/**
 * A small dense network (IR built directly) compiled for a synthesis-sized machine; thresholdPasses
 * 1 is the full threshold unit (C lanes), 4·C the one-lane unit with 4-bit digits an iCE40 fits.
 */
function smallProgram(side, thresholdPasses = 1) {
  const r = rng(5);
  const sizes = [16, 12, 6];
  const nodes = sizes.slice(1).map((n, i) => ({
    name: `fc${i + 1}`, op: 'dense', inputs: [i === 0 ? 'input' : `fc${i}`], output: `fc${i + 1}`,
    kernel: { shape: [sizes[i], n], data: Float32Array.from({ length: sizes[i] * n }, () => r() * 2 - 1) },
    bias: { shape: [n], data: Float32Array.from({ length: n }, () => r() * 0.2 - 0.1) },
    activation: i === sizes.length - 2 ? 'linear' : 'relu',
  }));
  const graph = { name: 'small', inputs: [{ name: 'input', shape: [16] }], nodes, outputs: [`fc${sizes.length - 1}`], notes: [] };
  const samples = Array.from({ length: 8 }, () => Float32Array.from({ length: 16 }, () => r()));
  const config = makeConfig({ rows: side, cols: side, actDepth: 64, wgtDepth: 4 * side, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 2, thresholdPasses });
  return compile(graph, { config, calibration: { samples } }).program;
}

const pad = (s, n) => String(s).padStart(n);

async function fpga() {
  if (findTool('yosys') === null) return console.log('iCE40: yosys not installed');
  console.log('iCE40-HX8K (7680 LCs, 32 BRAMs, no DSPs)  array  threshold    LUTs     FFs  BRAMs  DSPs  Fmax');
  for (const side of ARRAYS) {
    for (const passes of [4 * side, 1]) {
      if (passes === 1 && side > 2) continue;   // the full-width unit alone outgrows the part from 4x4 on
      const r = await synthesize(smallProgram(side, passes), { target: 'ice40', device: 'hx8k' });   // too large to place: r.note says why
      const fmax = r.fmaxMhz === null ? r.note : `${r.fmaxMhz.toFixed(1)} MHz`;
      const unit = passes === 1 ? `${side} lanes` : '1 lane/4b';
      console.log(`${' '.repeat(42)}${pad(`${side}x${side}`, 5)}  ${unit.padEnd(9)} ${pad(r.luts, 7)} ${pad(r.ffs, 7)} ${pad(r.brams, 6)} ${pad(r.dsps, 5)}  ${fmax}`);
    }
  }
}

async function up5k() {
  if (findTool('yosys') === null) return console.log('iCE40-UP5K: yosys not installed');
  console.log('iCE40-UP5K (5280 LCs, 30 BRAMs, 8 DSPs), PE multipliers in SB_MAC16  array  threshold    LUTs     FFs  BRAMs  DSPs  Fmax');
  for (const side of ARRAYS) {
    const r = await synthesize(smallProgram(side, 4 * side), { target: 'ice40', device: 'up5k' });   // 8x8: over the part, r.note says so
    const fmax = r.fmaxMhz === null ? r.note : `${r.fmaxMhz.toFixed(1)} MHz`;
    console.log(`${' '.repeat(71)}${pad(`${side}x${side}`, 5)}  ${'1 lane/4b'.padEnd(9)} ${pad(r.luts, 7)} ${pad(r.ffs, 7)} ${pad(r.brams, 6)} ${pad(r.dsps, 5)}  ${fmax}`);
  }
}

async function asic() {
  if (findTool('yosys') === null) return console.log('asic: yosys not installed');
  console.log('asic (yosys internal gates + abc)   array    cells   transistors (logic)   memory bits');
  for (const side of ARRAYS) {
    const r = await synthesize(smallProgram(side), { target: 'asic' });
    console.log(`${' '.repeat(36)}${pad(`${side}x${side}`, 5)} ${pad(r.cells, 8)} ${pad(r.transistors ?? '-', 21)} ${pad(r.memoryBits, 13)}`);
  }
}

async function verilator() {
  if (findTool('verilator') === null) return console.log('verilator: not installed');
  const graph = loadModel(new URL('examples/digits-mlp/model.json', root).pathname);
  const cal = JSON.parse(readFileSync(new URL('examples/digits-mlp/calibration.json', root), 'utf8')).inputs;
  console.log('digits MLP, simulated cycles per second   array   cycles   Verilator        sim (fast)   sim/Verilator');
  for (const side of [4, 8]) {
    const p = compile(graph, { config: makeConfig({ rows: side, cols: side }), calibration: { samples: cal } }).program;
    const inputs = cal.slice(0, 4).map((x) => quantizeInput(p, x.flat(Infinity)));
    const sim = await buildRtlSim(p, { simulator: 'verilator', inputs });
    try {
      const t0 = performance.now();
      const runs = await sim.run(p, inputs);
      const rtlSeconds = (performance.now() - t0) / 1000;
      const cycles = runs[0].cycles;
      const rtlRate = (cycles * inputs.length) / rtlSeconds;
      const s0 = performance.now();
      let n = 0;
      while (performance.now() - s0 < 1000) simulate(p, inputs[n++ % inputs.length], { trace: false });
      const simRate = (cycles * n) / ((performance.now() - s0) / 1000);
      console.log(`${' '.repeat(42)}${pad(`${side}x${side}`, 5)} ${pad(cycles, 8)} ${pad(rtlRate.toExponential(2), 11)}  ${pad(simRate.toExponential(2), 15)}  ${pad(`${(simRate / rtlRate).toFixed(0)}x`, 14)}`);
    } finally {
      sim.dispose();
    }
  }
  console.log('(Verilator: wall time of the test-bench binary, several samples in parallel, process start and DRAM image loading included)');
}

for (const [name, fn] of [['ice40', fpga], ['up5k', up5k], ['asic', asic], ['verilator', verilator]]) if (parts.includes(name)) await fn();
