// bench/wasm.mjs: the WebAssembly runtime's speed, single thread, beside peer runtimes in the same
// process. Prints inferences/s and GOPS (2 × MACs / s); never asserts. Run `npm run build` first.
//   workloads: the shipped digits MLP (784→64→10), one sample per run() and compiled --batch 64; and
//   one int8 dense layer 256→256 compiled --batch 1, 64 and 256 (at 256: the 256×256×256 GEMM)
//   limit: hand-written SIMD dot-product loops (i32x4.dot_i16x8_s on L1-resident data): streaming
//   (2 loads per dot) and register-blocked (a GEMM micro-kernel's 2 × 4 block); wasm-parts/limits.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../dist/src/util/prng.js';
import { emitWasm } from '../dist/src/backends/wasm/emit.js';
import { instantiate } from '../dist/src/backends/wasm/instance.js';
import { emitLoader } from '../dist/src/backends/wasm/loader/loader.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { interpret } from '../dist/src/isa/interpret.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { limitLoops } from './wasm-parts/limits.mjs';
import { loadPeers, onnxModel, ortRunner, tfRunner } from './wasm-parts/peers.mjs';

const MIN_MS = Number(process.env.BENCH_MS ?? 400);
/** Rounds per function (best kept): on a busy machine, shorter batches (BENCH_MS) and more rounds find the quiet moments. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const root = new URL('../', import.meta.url);

/** A timed batch of n calls, in ms. */
async function batchMs(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return performance.now() - t0;
}

/**
 * Seconds per call of each function, measured interleaved: warm up, double each call count until
 * one batch lasts MIN_MS / 4, then ROUNDS rounds of one batch of every function, keeping each one's
 * fastest (other work on a shared machine only ever adds time, and it hits all runtimes alike).
 */
async function secondsPerAll(fns) {
  const counts = [];
  for (const fn of fns) {
    for (let i = 0; i < 5; i++) await fn();
    let n = 1;
    while ((await batchMs(fn, n)) < MIN_MS / 4) n *= 2;
    counts.push(n);
  }
  const best = fns.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < fns.length; i++) best[i] = Math.min(best[i], await batchMs(fns[i], counts[i]));
  return best.map((ms, i) => ms / counts[i] / 1000);
}

const secondsPer = async (fn) => (await secondsPerAll([fn]))[0];

const rows = [];
/** Rows of the workload being measured: [cells, fn, batch, macsPerRow] (fn null: not measured). */
let queued = [];
function report(workload, runtime, batch, fn, macsPerRow, note = '') {
  queued.push([[workload, runtime, String(batch), '', '', note], fn, batch, macsPerRow]);
}
function unavailable(workload, runtime, why) {
  queued.push([[workload, runtime, '-', '-', '-', `not measured: ${why}`], null]);
}
/** Measure the queued rows together (interleaved) and add them to the table. */
async function measureQueued() {
  const timed = queued.filter((q) => q[1] !== null);
  const seconds = await secondsPerAll(timed.map((q) => q[1]));
  timed.forEach(([cells, , batch, macs], i) => {
    cells[3] = (batch / seconds[i]).toFixed(0);
    cells[4] = ((2 * macs * batch) / seconds[i] / 1e9).toFixed(1);
  });
  rows.push(...queued.map((q) => q[0]));
  queued = [];
}
function printTable() {
  const head = ['workload', 'runtime', 'batch', 'inferences/s', 'GOPS', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/** The loader's cost, from loaderSeconds: seconds per call of run() alone, run_f32() and the loader's run(), at batch 1 and for the --batch 64 program. */
let loaderCost = null;
const loaderFns = {};
/**
 * Seconds per call of each function, for ratios a few per cent apart on a busy machine: many short
 * batches interleaved (32 calls of the ~2 µs functions, one of the others), each one's fastest
 * kept; a batch this short is rarely preempted, so the minima agree within ~1 % between runs.
 */
async function loaderSeconds(fns) {
  const rounds = Number(process.env.BENCH_LOADER_ROUNDS ?? 1500);
  const entries = Object.entries(fns).map(([k, fn]) => [k, fn, ['run1', 'f32', 'loader1'].includes(k) ? 32 : 1]);
  for (const [, fn] of entries) for (let i = 0; i < 200; i++) fn();
  const best = Object.fromEntries(entries.map(([k]) => [k, Infinity]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn, n] of entries) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      best[k] = Math.min(best[k], (performance.now() - t0) / n / 1000);
    }
  }
  return best;
}

async function mlp(peers) {
  const model = new URL('examples/digits-mlp/model.json', root).pathname;
  const graph = loadModel(model);
  const samples = (await import(new URL('examples/digits-mlp/calibration.json', root).href, { with: { type: 'json' } })).default.inputs;
  const { program } = compile(graph, { config: makeConfig({}), calibration: { samples } });
  const macs = program.layers.reduce((a, l) => a + l.macs, 0);
  const name = 'digits MLP 784→64→10';
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-bench-'));
  try {
    for (const simd of [true, false]) {
      const file = simd ? 'simd.wasm' : 'scalar.wasm';
      writeFileSync(join(dir, file), emitWasm(program, { simd }));
      writeFileSync(join(dir, `${file}.mjs`), emitLoader(program, file).mjs);
      const net = await (await import(pathToFileURL(join(dir, `${file}.mjs`)).href)).load();
      for (const batch of [1, 64]) {
        const x = Float32Array.from({ length: batch * 784 }, (_, i) => samples[Math.floor(i / 784) % samples.length][i % 784]);
        report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, batch, () => net.run(x), macs, 'loader: run(Float32Array)');
      }
      net.runRaw(net.quantize(Float32Array.from(samples[0])));
      if (simd) {
        const x1 = Float32Array.from(samples[0]);
        const x64 = Float32Array.from({ length: 64 * 784 }, (_, i) => samples[Math.floor(i / 784) % samples.length][i % 784]);
        Object.assign(loaderFns, { run1: () => net.exports.run(), f32: () => net.exports.run_f32(), loader1: () => net.run(x1), loader1x64: () => net.run(x64) });
      }
      report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, 1, () => net.exports.run(), macs, 'run() alone, input in place');
      report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, 1, () => net.exports.run_f32(), macs, 'run_f32() alone: quantize + run() + dequantize');
    }
    // compiled with --batch 64 for a 16x16 array (as the GEMM below): one run() streams all 64
    // samples through each weight tile
    const batched = compile(graph, { config: makeConfig({ rows: 16, cols: 16 }), calibration: { samples }, batch: 64 }).program;
    writeFileSync(join(dir, 'b64.wasm'), emitWasm(batched, { simd: true }));
    writeFileSync(join(dir, 'b64.wasm.mjs'), emitLoader(batched, 'b64.wasm').mjs);
    const net64 = await (await import(pathToFileURL(join(dir, 'b64.wasm.mjs')).href)).load();
    const x64 = Float32Array.from({ length: 64 * 784 }, (_, i) => samples[Math.floor(i / 784) % samples.length][i % 784]);
    report(name, 'nnchip wasm SIMD, --batch 64', 64, () => net64.run(x64), macs, 'loader: run(Float32Array); program compiled for 64 samples, 16x16');
    report(name, 'nnchip wasm SIMD, --batch 64', 64, () => net64.exports.run(), macs, 'run() alone, input in place');
    report(name, 'nnchip wasm SIMD, --batch 64', 64, () => net64.exports.run_f32(), macs, 'run_f32() alone: quantize + run() + dequantize');
    Object.assign(loaderFns, { run64: () => net64.exports.run(), f32x64: () => net64.exports.run_f32(), loader64: () => net64.run(x64) });
    loaderCost = await loaderSeconds(loaderFns);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const layers = graph.nodes.filter((n) => n.op === 'dense').map((n) => ({ k: n.kernel.shape[0], n: n.kernel.shape[1], kernel: Float32Array.from(n.kernel.data), bias: Float32Array.from(n.bias.data), relu: n.activation === 'relu' }));
  await peerRows(peers, name, macs, [1, 64], { kind: 'mlp', layers }, { k: 784, int8: false }, 'float32');
}

/** One dense 256→256 layer (seeded float weights), as a model the compiler lowers. */
function denseLayerModel() {
  const r = mulberry32(1);
  const nodes = [{ name: 'fc', op: 'dense', inputs: ['x'], output: 'y', kernel: { shape: [256, 256], data: Float32Array.from({ length: 65536 }, () => r() * 2 - 1) }, bias: { shape: [256], data: Float32Array.from({ length: 256 }, () => r() - 0.5) }, activation: 'linear' }];
  const graph = { name: 'dense', inputs: [{ name: 'x', shape: [256] }], nodes, outputs: ['y'], notes: [] };
  return { graph, samples: Array.from({ length: 16 }, () => Float32Array.from({ length: 256 }, () => r() * 2 - 1)) };
}

async function gemm(peers) {
  const config = makeConfig({ rows: 16, cols: 16 });
  const name = 'int8 dense 256→256';
  const { graph, samples } = denseLayerModel();
  for (const m of [1, 64, 256]) {
    // compiled with --batch m: m samples are the m rows of one int8 GEMM (256 in one tile)
    const p = compile(graph, { config, calibration: { samples }, batch: m }).program;
    const codes = Int8Array.from({ length: m * 256 }, (_, i) => ((i * 37) % 255) - 127);
    for (const simd of [true, false]) {
      const inst = await instantiate(emitWasm(p, { simd }));
      const want = interpret(p, codes);
      const exact = inst.runRaw(codes).every((v, i) => v === want[i]);
      report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, m, () => inst.runRaw(codes), 256 * 256, `${m === 256 ? '256×256×256 GEMM; ' : ''}array 16x16, bit-exact: ${exact}`);
    }
  }
  const weights = Int8Array.from({ length: 256 * 256 }, (_, i) => ((i * 7) % 255) - 127);
  await peerRows(peers, name, 256 * 256, [1, 64, 256], { kind: 'gemm', k: 256, n: 256, weights }, { k: 256, int8: true }, MATMUL_INTEGER);
  await peerRows(peers, name, 256 * 256, [1, 64, 256], { kind: 'qlinear', k: 256, n: 256, weights }, { k: 256, int8: true }, QLINEAR, { tf: false });
}

const MATMUL_INTEGER = 'MatMulInteger u8×s8 → i32 (GEMM only)';
const QLINEAR = 'QLinearMatMul u8×s8 → u8 (the whole layer)';

async function peerRows(peers, name, macs, batches, spec, feed, what, { tf: withTf = true } = {}) {
  const { tf, ortWeb, ortNode, onnx } = peers;
  const runners = [];
  if (!withTf) {
    // TF.js has no int8 layer to compare with
  } else if (tf.ok) runners.push(['tfjs wasm backend', tfRunner(tf.value, spec), 'float32 (no int8 in TF.js)']);
  else unavailable(name, 'tfjs wasm backend', tf.why);
  const bytes = onnx.ok ? onnxModel(onnx.value, spec) : null;
  for (const [label, peer, options] of [['onnxruntime-web wasm, 1 thread', ortWeb, { executionProviders: ['wasm'] }], ['onnxruntime-node, 1 thread (native)', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }]]) {
    if (!peer.ok || bytes === null) unavailable(name, label, peer.why ?? onnx.why);
    else runners.push([label, await ortRunner(peer.value, bytes, { ...feed, options }), what]);
  }
  for (const [label, run, note] of runners) for (const batch of batches) report(name, label, batch, () => run(batch), macs, note);
  await measureQueued();
}

console.log(`WebAssembly runtime, single thread — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
const parts = (process.env.BENCH_PARTS ?? 'limits,mlp,gemm').split(',');
const limits = parts.includes('limits') ? await limitLoops(secondsPer) : [];
const limit = Math.max(...limits.map((l) => l.gops));
const peers = await loadPeers();
if (parts.includes('mlp')) await mlp(peers);
if (parts.includes('gemm')) await gemm(peers);
printTable();
if (loaderCost !== null) {
  // the loader's cost: time through run(Float32Array) over time in the module's run() alone
  const c = loaderCost;
  const pct = (t, alone) => `${(100 * (t / alone - 1)).toFixed(1)}%`;
  const us = (t) => `${(t * 1e6).toFixed(2)} µs`;
  console.log(`\ndigits MLP, SIMD: time through the loader over run() alone − 1 (of which in-module quantize + dequantize: run_f32() over run() − 1); best of ${process.env.BENCH_LOADER_ROUNDS ?? 1500} short batches`);
  console.log(`  one sample per run, batch 1:  loader ${pct(c.loader1, c.run1)} (in-module ${pct(c.f32, c.run1)}); run() ${us(c.run1)}`);
  console.log(`  one sample per run, batch 64: loader ${pct(c.loader1x64 / 64, c.run1)}`);
  console.log(`  --batch 64 program, batch 64: loader ${pct(c.loader64, c.run64)} (in-module ${pct(c.f32x64, c.run64)}); run() ${us(c.run64)}`);
}
const gops = (runtime, batch, note = '') => Number(rows.find((r) => r[0].startsWith('int8') && r[1] === runtime && r[2] === String(batch) && r[5].startsWith(note))?.[4] ?? NaN);
const best = Math.max(...[1, 64, 256].map((b) => gops('nnchip wasm SIMD', b)));
if (limits.length > 0) console.log('\npractical limit, hand-written SIMD dot-product loops (i32x4.dot_i16x8_s, L1-resident data):');
for (const l of limits) console.log(`  ${l.name.padEnd(44)} ${l.gops.toFixed(1)} GOPS`);
if (limits.length > 0) console.log(`nnchip SIMD GEMM at its best: ${best.toFixed(1)} GOPS = ${((100 * best) / limit).toFixed(0)}% of the best limit loop (${limit.toFixed(1)} GOPS)`);
{
  const mlpGops = (runtime, note) => Number(rows.find((r) => r[0].startsWith('digits') && r[1] === runtime && r[2] === '64' && r[5].startsWith(note))?.[4] ?? NaN);
  const ours = mlpGops('nnchip wasm SIMD, --batch 64', 'loader');
  const ort = mlpGops('onnxruntime-web wasm, 1 thread', '');
  if (Number.isFinite(ort)) console.log(`digits MLP, batch 64: nnchip SIMD (--batch 64 program, loader) ${ours.toFixed(1)} GOPS vs onnxruntime-web ${ort.toFixed(1)} GOPS = ${(ours / ort).toFixed(2)}×`);
}
for (const b of [64, 256]) {
  const ours = gops('nnchip wasm SIMD', b);
  for (const note of [QLINEAR, MATMUL_INTEGER]) {
    const ort = gops('onnxruntime-web wasm, 1 thread', b, note);
    if (Number.isFinite(ort)) console.log(`int8 dense 256→256, batch ${b}: nnchip SIMD ${ours.toFixed(1)} GOPS vs onnxruntime-web ${note} ${ort.toFixed(1)} GOPS = ${(ours / ort).toFixed(2)}×`);
  }
}
