// bench/gemm-alternate.mjs: two builds of nnchip against onnxruntime-web's MatMulInteger on the
// int8 256→256 layer of bench/wasm.mjs (compiled --batch 64 and 256, array 16x16), in one process:
// each build's module (runRaw, checked against isa.interpret) and ORT are called in turn, single
// calls (four at batch 64), and each one's fastest of ROUNDS (400) is kept — on a busy machine the
// ratios bench/wasm.mjs prints from its longer batches moved from 0.35× to 2.7×, these by ~2 %.
// Prints GOPS and the ratios; never asserts. runRaw writes its output into one array (its second
// argument, ignored by builds before 13th-round gemm2, which allocate one per call); NEW_OUTPUT=1:
// a new array per call for both (ORT's session.run allocates its int32 output every call).
// BATCHES=16,64,128,256,512 times other batches (default 64,256; single calls up to 64, else one).
//   node bench/gemm-alternate.mjs <before-checkout> <after-checkout>
// Each checkout is a tree with a built dist/ (see sim-alternate.mjs for a base checkout).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPeers, onnxModel, ortRunner } from './wasm-parts/peers.mjs';

const [beforeRoot, afterRoot] = process.argv.slice(2);
if (afterRoot === undefined) throw new Error('usage: node bench/gemm-alternate.mjs <before-checkout> <after-checkout>');
const ROUNDS = Number(process.env.ROUNDS ?? 400);

async function build(root) {
  const dist = (p) => import(pathToFileURL(resolve(root, 'dist/src', p)).href);
  const [{ mulberry32 }, { emitWasm }, { instantiate }, { makeConfig }, { interpret }, { compile }] = await Promise.all(['util/prng.js', 'backends/wasm/emit.js', 'backends/wasm/instance.js', 'isa/config.js', 'isa/interpret.js', 'passes/pipeline.js'].map(dist));
  // bench/wasm.mjs's denseLayerModel
  const r = mulberry32(1);
  const nodes = [{ name: 'fc', op: 'dense', inputs: ['x'], output: 'y', kernel: { shape: [256, 256], data: Float32Array.from({ length: 65536 }, () => r() * 2 - 1) }, bias: { shape: [256], data: Float32Array.from({ length: 256 }, () => r() - 0.5) }, activation: 'linear' }];
  const graph = { name: 'dense', inputs: [{ name: 'x', shape: [256] }], nodes, outputs: ['y'], notes: [] };
  const samples = Array.from({ length: 16 }, () => Float32Array.from({ length: 256 }, () => r() * 2 - 1));
  return async (m) => {
    const p = compile(graph, { config: makeConfig({ rows: 16, cols: 16 }), calibration: { samples }, batch: m }).program;
    const inst = await instantiate(emitWasm(p, { simd: true }));
    const codes = Int8Array.from({ length: m * 256 }, (_, i) => ((i * 37) % 255) - 127);
    const want = interpret(p, codes);
    if (!inst.runRaw(codes).every((v, i) => v === want[i])) throw new Error(`${root}: not bit-exact at batch ${m}`);
    // the output into one array (runRaw's second argument; builds before it ignore it and allocate)
    const into = process.env.NEW_OUTPUT === '1' ? undefined : new Int8Array(want.length);
    if (into !== undefined && !inst.runRaw(codes, into).every((v, i) => v === want[i])) throw new Error(`${root}: not bit-exact at batch ${m}`);
    return () => inst.runRaw(codes, into);
  };
}

const builds = { before: await build(beforeRoot), after: await build(afterRoot) };
const peers = await loadPeers();
if (!peers.ortWeb.ok || !peers.onnx.ok) throw new Error(`onnxruntime-web not available: ${peers.ortWeb.why ?? peers.onnx.why}`);
const bytes = onnxModel(peers.onnx.value, { kind: 'gemm', k: 256, n: 256, weights: Int8Array.from({ length: 256 * 256 }, (_, i) => ((i * 7) % 255) - 127) });
const ort = await ortRunner(peers.ortWeb.value, bytes, { k: 256, int8: true, options: { executionProviders: ['wasm'] } });
for (const m of (process.env.BATCHES ?? '64,256').split(',').map(Number)) {
  const fns = { before: await builds.before(m), after: await builds.after(m), ort: () => ort(m) };
  for (const f of Object.values(fns)) for (let i = 0; i < 50; i++) await f();
  const best = { before: Infinity, after: Infinity, ort: Infinity };
  const n = m <= 64 ? 256 / m : 1;
  for (let round = 0; round < ROUNDS; round++)
    for (const [k, f] of Object.entries(fns)) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await f();
      best[k] = Math.min(best[k], (performance.now() - t0) / n);
    }
  const gops = (ms) => ((2 * 256 * 256 * m) / ms / 1e6).toFixed(1);
  console.log(`int8 dense 256→256, batch ${m}: before ${gops(best.before)} GOPS, after ${gops(best.after)}, onnxruntime-web MatMulInteger ${gops(best.ort)}; against it before ${(best.ort / best.before).toFixed(2)}×, after ${(best.ort / best.after).toFixed(2)}×`);
}
