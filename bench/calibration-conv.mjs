// bench/calibration-conv.mjs: the float convolution calibration runs (ir/conv.ts → ir/conv-wasm.ts),
// alone, on ResNet-18's 3x3 layer shapes and its 7x7 stem: CPU ms per call and G MAC/s (prints; never
// asserts). Inputs are half zeros, as after a ReLU. Run `npm run build` first.
import { mulberry32 } from '../dist/src/util/prng.js';
import { visitSamples } from '../dist/src/ir/evaluate.js';

const rnd = mulberry32(5);
const rows = [];
for (const [side, cin, cout, k, stride] of [[224, 3, 64, 7, 2], [56, 64, 64, 3, 1], [28, 128, 128, 3, 1], [14, 256, 256, 3, 1], [7, 512, 512, 3, 1]]) {
  const pad = (k - 1) / 2;
  const node = { name: 'c', op: 'conv2d', inputs: ['input'], output: 'c', kernel: { shape: [k, k, cin, cout], data: Float32Array.from({ length: k * k * cin * cout }, () => rnd() - 0.5) }, bias: { shape: [cout], data: new Float32Array(cout).fill(0.1) }, strides: [stride, stride], pads: [pad, pad, pad, pad], depthwise: false, activation: 'linear' };
  const graph = { name: 'g', inputs: [{ name: 'input', shape: [side, side, cin] }], nodes: [node], outputs: ['c'], notes: [] };
  const x = Float64Array.from({ length: side * side * cin }, () => (rnd() < 0.5 ? 0 : rnd()));
  const samples = Array.from({ length: 8 }, () => x);
  visitSamples(graph, samples.slice(0, 1), () => {}); // JIT and WebAssembly tier-up
  const c0 = process.cpuUsage();
  visitSamples(graph, samples, () => {}); // as calibration runs: 8 samples, the kernel packed once
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000 / samples.length;
  const out = Math.floor((side + 2 * pad - k) / stride) + 1;
  const macs = out * out * cout * k * k * cin;
  rows.push({ layer: `${side}x${side}x${cin} -> ${cout}, ${k}x${k}/${stride}`, 'CPU ms': ms.toFixed(1), 'G MAC/s': (macs / ms / 1e6).toFixed(2) });
}
console.table(rows);
console.log('CPU ms per sample over 8 samples (the kernel packed once, as calibration does); float32 sums, bit-identical to the plain loop with Math.fround.');
