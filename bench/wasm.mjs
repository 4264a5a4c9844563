// bench/wasm.mjs: the WebAssembly runtime's speed, single thread, beside peer runtimes in the same
// process. Prints inferences/s and GOPS (2 × MACs / s); never asserts. Run `npm run build` first.
//   workloads: the shipped digits MLP (784→64→10), and one int8 dense layer 256→256 at batch 1, 64
//   and 256 (the 256×256×256 GEMM; a hand-built Program, since the compiler runs one row per inference)
//   limit: a hand-written SIMD dot-product loop (i32x4.dot_i16x8_s on L1-resident int8 data)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assembleModule } from '../dist/src/backends/wasm/binary.js';
import { Func } from '../dist/src/backends/wasm/code.js';
import { denseProgram } from '../dist/src/backends/wasm/dense-program.js';
import { emitWasm } from '../dist/src/backends/wasm/emit.js';
import { instantiate } from '../dist/src/backends/wasm/instance.js';
import { emitLoader } from '../dist/src/backends/wasm/loader.js';
import { loadModel } from '../dist/src/importers/index.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { interpret } from '../dist/src/isa/interpret.js';
import { compile } from '../dist/src/passes/pipeline.js';
import { loadPeers, onnxModel, ortRunner, tfRunner } from './wasm-parts/peers.mjs';

const MIN_MS = Number(process.env.BENCH_MS ?? 400);
const root = new URL('../', import.meta.url);

/** Seconds per call: warm up, then double the call count until one timing lasts MIN_MS. */
async function secondsPer(fn) {
  for (let i = 0; i < 5; i++) await fn();
  for (let n = 1; ; n *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    const ms = performance.now() - t0;
    if (ms >= MIN_MS) return ms / n / 1000;
  }
}

const rows = [];
function report(workload, runtime, batch, seconds, macsPerRow, note = '') {
  rows.push([workload, runtime, String(batch), (batch / seconds).toFixed(0), ((2 * macsPerRow * batch) / seconds / 1e9).toFixed(1), note]);
}
function unavailable(workload, runtime, why) {
  rows.push([workload, runtime, '-', '-', '-', `not measured: ${why}`]);
}
function printTable() {
  const head = ['workload', 'runtime', 'batch', 'inferences/s', 'GOPS', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/**
 * The practical limit: dot-product loops built with the back end's own encoder, 4 accumulators,
 * over two L1-resident vectors: int8 widened while loading (load8x8_s), and int16 stored widened.
 */
async function dotLoopGops(int16) {
  const step = int16 ? 16 : 8;
  const f = new Func('dot', ['i32'], ['i32']); // (reps) → checksum
  const acc = [0, 1, 2, 3].map(() => f.local('v128'));
  const p = f.local('i32');
  const c = f.code;
  for (const a of acc) c.v128Zero().set(a);
  c.loop().i32(0).set(p).loop();
  const load = int16 ? 'v128.load' : 'v128.load8x8_s';
  acc.forEach((a, j) => c.get(a).get(p).vmem(load, step * j).get(p).vmem(load, 8192 + step * j).v('i32x4.dot_i16x8_s', 'i32x4.add').set(a));
  c.get(p).i32(4 * step).op('i32.add').tee(p).i32(2048).op('i32.lt_u').brIf(0).end();
  c.get(0).i32(1).op('i32.sub').tee(0).brIf(0).end();
  c.get(acc[0]).get(acc[1]).v('i32x4.add').get(acc[2]).v('i32x4.add').get(acc[3]).v('i32x4.add').lane('i32x4.extract_lane', 0);
  const bytes = assembleModule({ types: [{ params: ['i32'], results: ['i32'] }], funcs: [{ type: 0, locals: f.locals, body: f.code.bytes }], memoryPages: 1, globals: [], exports: [{ name: 'dot', kind: 'Func', index: 0 }], data: [] });
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const reps = 2000;
  const s = await secondsPer(() => instance.exports.dot(reps));
  const macs = (2048 / step) * 8 * reps;
  return (2 * macs) / s / 1e9;
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
        report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, batch, await secondsPer(() => net.run(x)), macs, 'loader: quantize + run + dequantize');
      }
      net.runRaw(net.quantize(Float32Array.from(samples[0])));
      report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, 1, await secondsPer(() => net.exports.run()), macs, 'run() alone, input in place');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const layers = graph.nodes.filter((n) => n.op === 'dense').map((n) => ({ k: n.kernel.shape[0], n: n.kernel.shape[1], kernel: Float32Array.from(n.kernel.data), bias: Float32Array.from(n.bias.data), relu: n.activation === 'relu' }));
  await peerRows(peers, name, macs, [1, 64], { kind: 'mlp', layers }, { k: 784, int8: false }, 'float32');
}

async function gemm(peers) {
  const config = makeConfig({ rows: 16, cols: 16 });
  const name = 'int8 dense 256→256';
  for (const m of [1, 64, 256]) {
    const p = denseProgram({ m, k: 256, n: 256, config, seed: 1 });
    const codes = Int8Array.from({ length: m * 256 }, (_, i) => ((i * 37) % 255) - 127);
    for (const simd of [true, false]) {
      const inst = await instantiate(emitWasm(p, { simd }));
      const want = interpret(p, codes);
      const exact = inst.runRaw(codes).every((v, i) => v === want[i]);
      report(name, `nnchip wasm ${simd ? 'SIMD' : 'scalar'}`, m, await secondsPer(() => inst.runRaw(codes)), 256 * 256, `${m === 256 ? '256×256×256 GEMM; ' : ''}array 16x16, bit-exact: ${exact}`);
    }
  }
  const weights = Int8Array.from({ length: 256 * 256 }, (_, i) => ((i * 7) % 255) - 127);
  await peerRows(peers, name, 256 * 256, [1, 64, 256], { kind: 'gemm', k: 256, n: 256, weights }, { k: 256, int8: true }, 'MatMulInteger u8×s8');
}

async function peerRows(peers, name, macs, batches, spec, feed, what) {
  const { tf, ortWeb, ortNode, onnx } = peers;
  const runners = [];
  if (tf.ok) runners.push(['tfjs wasm backend', tfRunner(tf.value, spec), 'float32 (no int8 in TF.js)']);
  else unavailable(name, 'tfjs wasm backend', tf.why);
  const bytes = onnx.ok ? onnxModel(onnx.value, spec) : null;
  for (const [label, peer, options] of [['onnxruntime-web wasm, 1 thread', ortWeb, { executionProviders: ['wasm'] }], ['onnxruntime-node, 1 thread (native)', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }]]) {
    if (!peer.ok || bytes === null) unavailable(name, label, peer.why ?? onnx.why);
    else runners.push([label, await ortRunner(peer.value, bytes, { ...feed, options }), what]);
  }
  for (const [label, run, note] of runners) for (const batch of batches) report(name, label, batch, await secondsPer(() => run(batch)), macs, note);
}

console.log(`WebAssembly runtime, single thread — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
const limits = { int8: await dotLoopGops(false), int16: await dotLoopGops(true) };
const limit = Math.max(limits.int8, limits.int16);
const peers = await loadPeers();
await mlp(peers);
await gemm(peers);
printTable();
const best = Math.max(...rows.filter((r) => r[1] === 'nnchip wasm SIMD' && r[0].startsWith('int8')).map((r) => Number(r[4])));
console.log(`\npractical limit, hand-written SIMD dot-product loop (i32x4.dot_i16x8_s): ${limits.int8.toFixed(1)} GOPS on int8 data (load8x8_s), ${limits.int16.toFixed(1)} GOPS on int16 data`);
console.log(`nnchip SIMD GEMM at its best: ${best.toFixed(1)} GOPS = ${((100 * best) / limit).toFixed(0)}% of the higher limit`);
