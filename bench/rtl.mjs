// bench/rtl.mjs: figures for the generated hardware (prints; never asserts). Run `npm run build` first.
//   iCE40 (HX8K): LUTs, FFs, BRAMs, DSPs and Fmax (when nextpnr places it) for 2x2, 4x4, 8x8 arrays;
//   iCE40 (UP5K): the same with the PE multipliers in its SB_MAC16 DSP blocks (two PEs per block);
//   asic: yosys generic cells and the CMOS transistor estimate of the logic, plus buffer/ROM bits;
//   Verilator's simulated cycles per second on the digits MLP beside the cycle-accurate simulator's.
// The synthesized designs run a small 16→12→6 MLP with small buffers (synthesis config below), so
// the figures are the core's, not a large program ROM's. BENCH_RTL=ice40,up5k,pool,asic,verilator selects
// parts; `pool` (not run by default) places a 4x4 whose threshold pools (a conv + max pool program;
// BENCH_POOLS=2x2 or '3x3/2 pad 1' picks one). BENCH_ARRAYS=4 (or 2,4,8, the default) picks the array sides.
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
const ARRAYS = (process.env.BENCH_ARRAYS ?? '2,4,8').split(',').map(Number);


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

/**
 * A conv 3×3 (+ReLU) → max pool program on the 4x4 iCE40 machine with acc and out buffers that hold
 * two tiles of whole window lines, so the pool runs in the threshold (its pooling hardware is built):
 * 2×2 windows that tile the map, or ResNet's 3×3 stride 2 from a padding of 1.
 */
function pooledProgram(size, stride, padding) {
  const r = rng(7);
  const tensor = (shape, scale) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale) });
  const nodes = [
    { name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: tensor([3, 3, 3, 4], 0.6), bias: tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' },
    { name: 'mp', op: 'pool2d', kind: 'max', size: [size, size], strides: [stride, stride], pads: [padding, padding, padding, padding], inputs: ['c1'], output: 'mp' },
  ];
  const graph = { name: 'pooled', inputs: [{ name: 'input', shape: [6, 8, 3] }], nodes, outputs: ['mp'], notes: [] };
  const samples = Array.from({ length: 4 }, () => Float32Array.from({ length: 6 * 8 * 3 }, () => r() * 2 - 1));
  const config = makeConfig({ rows: 4, cols: 4, actDepth: 64, wgtDepth: 16, accDepth: 64, qntDepth: 4, outDepth: 64, queueDepth: 2, thresholdPasses: 16 });
  return compile(graph, { config, calibration: { samples } }).program;
}

async function pooled() {
  if (findTool('yosys') === null) return console.log('iCE40 pooling: yosys not installed');
  console.log('iCE40-HX8K 4x4, conv + max pool fused (pooling hardware built)   pool          LUTs     FFs  BRAMs  Fmax');
  const only = process.env.BENCH_POOLS?.split(',');
  for (const [name, size, stride, padding] of [['2x2', 2, 2, 0], ['3x3/2 pad 1', 3, 2, 1]].filter(([n]) => only === undefined || only.includes(n))) {
    const p = pooledProgram(size, stride, padding);
    if (!p.instructions.some((i) => i.op === 'threshold' && (i.poolH > 0 || i.poolW > 0))) throw new Error(`the ${name} pool did not fuse`);
    const r = await synthesize(p, { target: 'ice40', device: 'hx8k' }).catch((e) => ({ luts: '-', ffs: '-', brams: '-', fmaxMhz: null, note: e.message }));
    const fmax = r.fmaxMhz === null ? r.note : `${r.fmaxMhz.toFixed(1)} MHz`;
    console.log(`${' '.repeat(66)}${name.padEnd(12)} ${pad(r.luts, 7)} ${pad(r.ffs, 7)} ${pad(r.brams, 6)}  ${fmax}`);
  }
}

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

for (const [name, fn] of [['ice40', fpga], ['up5k', up5k], ['pool', pooled], ['asic', asic], ['verilator', verilator]]) if (parts.includes(name)) await fn();
