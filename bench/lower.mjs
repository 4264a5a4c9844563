// Lowering time and peak memory (printed, never asserted): the shipped MLP and a synthetic
// 1M-parameter MLP, on 8x8 and 32x32 arrays. Run: npm run build && node bench/lower.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, compile, isa } from '../dist/src/index.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

function randomMlp(sizes, seed) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const nodes = [];
  let prev = 'input';
  for (let i = 1; i < sizes.length; i++) {
    const [k, n] = [sizes[i - 1], sizes[i]];
    const kernel = Float32Array.from({ length: k * n }, () => rnd() / Math.sqrt(k));
    nodes.push({ name: `fc${i}`, op: 'dense', inputs: [prev], output: `fc${i}`, kernel: { shape: [k, n], data: kernel }, bias: null, activation: i < sizes.length - 1 ? 'relu' : 'linear' });
    prev = `fc${i}`;
  }
  return { name: 'synthetic', inputs: [{ name: 'input', shape: [sizes[0]] }], nodes, outputs: [prev], notes: [] };
}

function time(fn, repeat = 3) {
  let best = Infinity;
  let result;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

const digits = loadModel(here('../examples/digits-mlp/model.json'));
const digitsCal = JSON.parse(readFileSync(here('../examples/digits-mlp/calibration.json'), 'utf8')).inputs;
const big = randomMlp([1024, 768, 256, 10], 1); // 1024·768 + 768·256 + 256·10 ≈ 985k weights
const bigCal = Array.from({ length: 16 }, (_, i) => Float32Array.from({ length: 1024 }, (_, j) => ((i * 31 + j * 17) % 100) / 100));

const rows = [];
for (const [name, graph, samples, params] of [
  ['digits-mlp', digits, digitsCal, 784 * 64 + 64 * 10],
  ['synthetic 1M', big, bigCal, 1024 * 768 + 768 * 256 + 256 * 10],
]) {
  for (const array of [8, 32]) {
    const config = isa.makeConfig({ rows: array, cols: array });
    const { ms, result } = time(() => compile(graph, { config, calibration: { samples } }));
    rows.push({ model: name, params, array: `${array}x${array}`, 'lower ms': ms.toFixed(1), instructions: result.program.instructions.length, 'params/s (M)': (params / ms / 1000).toFixed(1) });
  }
}
console.table(rows);
console.log(`peak resident memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (aim: 1M-parameter MLP lowered in under 1 s)`);
