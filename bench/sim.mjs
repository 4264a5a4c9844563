// bench/sim.mjs: speed of the simulator in both modes (simulated MACs/s and cycles/s, single
// thread) on the shipped digits MLP and on conv-sized GEMM layers, for 8x8, 16x16 and 32x32 arrays;
// beside each, the classic weight-stationary fold formula SCALE-Sim's analytical model uses,
// folds × (2R + C + M − 2), so the difference in cycles can be read off. Prints; never asserts.
// Run `npm run build` first. BENCH_MS sets the minimum timing window (default 400 ms).
//   GEMM layers are one dense layer (K -> N) compiled with batch M, so M rows stream per inference.
import { mulberry32 } from '../dist/src/util/prng.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { OPS } from '../dist/src/isa/ops/index.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { simulate } from '../dist/sim/index.js';
import { readFileSync } from 'node:fs';

const MIN_MS = Number(process.env.BENCH_MS ?? 400);
const root = new URL('../', import.meta.url);
const ARRAYS = [8, 16, 32];
const GEMMS = [
  { m: 676, k: 9, n: 8 },
  { m: 121, k: 72, n: 16 },
  { m: 64, k: 784, n: 128 },
];

/**
 * CPU seconds per call (this process's user + system time, so other jobs on the machine do not
 * inflate it): warm up, then double the call count until one timing lasts minMs.
 */
function secondsPer(fn, minMs = MIN_MS, warmups = 20) {
  for (let i = 0; i < warmups; i++) fn();
  for (let n = 1; ; n *= 2) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    if (ms >= minMs) return ms / n / 1000;
  }
}

/** One seeded dense layer K -> N (ReLU), compiled for `config` with M samples per inference. */
function gemmProgram(g, config) {
  const r = mulberry32(g.m * 1000 + g.k);
  const kernel = Float32Array.from({ length: g.k * g.n }, () => (r() * 2 - 1) / Math.sqrt(g.k));
  const bias = Float32Array.from({ length: g.n }, () => (r() * 2 - 1) * 0.1);
  const node = { name: 'fc', op: 'dense', inputs: ['input'], output: 'fc', kernel: { shape: [g.k, g.n], data: kernel }, bias: { shape: [g.n], data: bias }, activation: 'relu' };
  const graph = { name: `gemm${g.k}x${g.n}`, inputs: [{ name: 'input', shape: [g.k] }], nodes: [node], outputs: ['fc'], notes: [] };
  const samples = Array.from({ length: 8 }, () => Float32Array.from({ length: g.k }, () => r()));
  return compile(graph, { config, calibration: { samples }, batch: g.m }).program;
}

const mlpGraph = loadModel(new URL('examples/digits-mlp/model.json', root).pathname);
const mlpSamples = JSON.parse(readFileSync(new URL('examples/digits-mlp/calibration.json', root), 'utf8')).inputs;

/** [label, program, layer shapes (M, K, N) for the fold formula] */
function workloads(side) {
  const config = makeConfig({ rows: side, cols: side });
  const mlp = compile(mlpGraph, { config, calibration: { samples: mlpSamples } }).program;
  const out = [['digits MLP 784→64→10', mlp, [{ m: 1, k: 784, n: 64 }, { m: 1, k: 64, n: 10 }]]];
  for (const g of GEMMS) out.push([`GEMM M=${g.m} K=${g.k} N=${g.n}`, gemmProgram(g, config), [g]]);
  return out;
}

const folds = (R, C, g) => Math.ceil(g.k / R) * Math.ceil(g.n / C);
const scaleSim = (R, C, shapes) => shapes.reduce((a, g) => a + folds(R, C, g) * (2 * R + C + g.m - 2), 0);
const matmulCycles = (p) => p.instructions.filter((i) => i.op === 'matmul').reduce((a, i) => a + OPS.matmul.duration(i, p.config), 0);

const rows = [];
const ratios = [];
for (const side of ARRAYS) {
  for (const [label, p, shapes] of workloads(side)) {
    const x = new Int8Array(p.input.rows * p.input.rowBytes).map((_, i) => ((i * 37) % 256) - 128);
    const first = simulate(p, x, { trace: false });
    const macs = first.stats.macs;
    const fast = secondsPer(() => simulate(p, x, { trace: false }));
    const step = secondsPer(() => simulate(p, x, { mode: 'step', trace: false }), 1, 0);
    ratios.push([`${label} ${side}x${side}`, step / fast]);
    rows.push([
      label,
      `${side}x${side}`,
      macs.toLocaleString('en-US'),
      first.stats.arrayMacs.toLocaleString('en-US'),
      first.cycles.toLocaleString('en-US'),
      scaleSim(side, side, shapes).toLocaleString('en-US'),
      matmulCycles(p).toLocaleString('en-US'),
      (macs / fast / 1e6).toFixed(0),
      (first.cycles / fast / 1e6).toFixed(1),
      (macs / step / 1e6).toFixed(2),
      (first.cycles / step / 1e3).toFixed(0),
      (step / fast).toFixed(0),
    ]);
  }
}

const head = ['workload', 'array', 'MACs', 'array MACs', 'sim cycles', 'WS fold formula', 'matmul busy', 'fast MMAC/s', 'fast Mcyc/s', 'step MMAC/s', 'step kcyc/s', 'fast/step'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(`
MACs are the model's own; "array MACs" the ones the array performs, padding lanes included (R·C
per streamed row), which is the work both modes do. MAC/s and cycle/s figures use the useful MACs
and CPU time of one thread. "WS fold formula" is SCALE-Sim's analytical
weight-stationary runtime, Σ folds × (2R + C + M − 2) with folds = ⌈K/R⌉·⌈N/C⌉: compute only.
"matmul busy" is the same sum with nnchip's matmul duration 2R + C + rows (docs/hardware.md: one
more cycle for the act SRAM read register and one for the accumulator read-modify-write), over the
folds the program actually runs (row tiles of M that fit the acc/out buffers count separately).
"sim cycles" adds what the formula leaves out: weight and activation DMA at ${makeConfig().dramBytesPerCycle} B/cycle with
${makeConfig().dramLatency} cycles latency (overlapped with compute only as far as the tokens allow), the threshold
pass (rows + 2 per column tile) and the stores. Host: one thread of this machine.`);
