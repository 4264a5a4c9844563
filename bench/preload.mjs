// bench/preload.mjs: issue #15's weight double-buffering figures — certificate cycles of the MLP
// 784-128-64-10 (batch 1 and 64) and the MNIST CNN convs at 8x8, per layer beside SCALE-Sim v2's
// weight-stationary closed form, at matched settings (ideal DRAM) and nnchip's defaults; and the
// ResNet-8 example's total on the default 8x8 machine. Prints; never asserts. `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printScaleSimTable } from './scale-sim-table.mjs';

const topologies = {
  'MLP batch 1': 'Layer, M, N, K,\nfc1, 1, 128, 784,\nfc2, 1, 64, 128,\nfc3, 1, 10, 64,\n',
  'MLP batch 64': 'Layer, M, N, K,\nfc1, 64, 128, 784,\nfc2, 64, 64, 128,\nfc3, 64, 10, 64,\n',
  'MNIST CNN': 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nconv1, 28, 28, 3, 3, 1, 8, 1,\nconv2, 13, 13, 3, 3, 8, 16, 1,\n',
};

for (const [name, csv] of Object.entries(topologies)) printScaleSimTable(csv, `${name}.csv`, 8, 8);

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
