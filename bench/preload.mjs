// bench/preload.mjs: issue #15's weight double-buffering figures — certificate cycles of the MLP
// 784-128-64-10 (batch 1 and 64) and the MNIST CNN convs at 8x8, per layer beside SCALE-Sim v2's
// weight-stationary closed form, at matched settings (ideal DRAM) and nnchip's defaults; and the
// ResNet-8 example's total on the default 8x8 machine. Prints; never asserts. `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleSimWsCycles } from '../dist/src/cli/topology.js';
import { DEFAULT_LIMITS } from '../dist/src/importers/limits.js';
import { layerGraph, mnkOf, parseTopology, syntheticCalibration } from '../dist/src/importers/topology.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { certify } from '../dist/src/isa/cost.js';
import { compile } from '../dist/src/passes/pipeline.js';

const R = 8;
const C = 8;
const MAX = 65536;
const settings = {
  matched: makeConfig({ rows: R, cols: C, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX }),
  defaults: makeConfig({ rows: R, cols: C }),
};
const topologies = {
  'MLP batch 1': 'Layer, M, N, K,\nfc1, 1, 128, 784,\nfc2, 1, 64, 128,\nfc3, 1, 10, 64,\n',
  'MLP batch 64': 'Layer, M, N, K,\nfc1, 64, 128, 784,\nfc2, 64, 64, 128,\nfc3, 64, 10, 64,\n',
  'MNIST CNN': 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nconv1, 28, 28, 3, 3, 1, 8, 1,\nconv2, 13, 13, 3, 3, 8, 16, 1,\n',
};

const pad = (s, n) => String(s).padStart(n);
for (const [name, csv] of Object.entries(topologies)) {
  const topo = parseTopology(csv, `${name}.csv`);
  console.log(`\n${name} on ${R}x${C}`);
  console.log(['layer', 'SCALE-Sim', 'matched', 'ratio', 'util', 'defaults', 'ratio'].map((h, i) => (i === 0 ? h.padEnd(8) : pad(h, 10))).join(' '));
  const sums = { ss: 0, matched: 0, defaults: 0 };
  for (const layer of topo.layers) {
    const ss = scaleSimWsCycles(mnkOf(layer), R, C);
    sums.ss += ss;
    const cells = [layer.name.padEnd(8), pad(ss, 10)];
    for (const [setting, config] of Object.entries(settings)) {
      try {
        const graph = layerGraph(layer, DEFAULT_LIMITS, name);
        const calibration = syntheticCalibration(graph.inputs[0].shape.reduce((a, b) => a * b, 1));
        const cert = certify(compile(graph, { config, calibration }).program);
        sums[setting] += cert.cycles;
        cells.push(pad(cert.cycles, 10), pad((cert.cycles / ss).toFixed(2), 10));
        if (setting === 'matched') cells.push(pad(`${(100 * cert.utilization).toFixed(1)}%`, 10));
      } catch (e) {
        sums[setting] = NaN;
        cells.push(pad(e.code ?? 'error', 10), pad('-', 10));
        if (setting === 'matched') cells.push(pad('-', 10));
      }
    }
    console.log(cells.join(' '));
  }
  console.log(`${'total'.padEnd(8)} ${pad(sums.ss, 10)} ${pad(sums.matched, 10)} ${pad((sums.matched / sums.ss).toFixed(2), 10)} ${' '.repeat(10)} ${pad(sums.defaults, 10)} ${pad((sums.defaults / sums.ss).toFixed(2), 10)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'nnchip-preload-'));
try {
  const bin = new URL('../bin/nnchip.mjs', import.meta.url).pathname;
  const model = new URL('../examples/resnet8', import.meta.url).pathname;
  execFileSync(process.execPath, [bin, 'lower', model, '-o', join(dir, 'r8'), '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const summary = JSON.parse(readFileSync(join(dir, 'r8', 'summary.json'), 'utf8'));
  const cycles = summary.totals.cycles;
  console.log(`\nResNet-8 example on the default 8x8 machine: ${cycles} cycles`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
