// bench/scale-sim.mjs: nnchip's cycles per layer of SCALE-Sim topologies (examples/topologies:
// AlexNet and ResNet-18 by default) beside SCALE-Sim v2's weight-stationary closed form
// folds·(2R + C + T − 2) − 1, at matched settings (ideal DRAM: 4096 B/cycle, latency 0, buffers
// at their largest) and at nnchip's default machine. Figures come from the static certificate
// (equal to the simulator's by the project's invariants). Prints a table; never asserts.
// Run `npm run build` first. BENCH_ARRAY=RxC (default 32x32), BENCH_TOPOLOGIES=a.csv,b.csv.
import { readFileSync } from 'node:fs';
import { parseArray } from '../dist/src/isa/config.js';
import { printScaleSimTable } from './scale-sim-table.mjs';

const root = new URL('../', import.meta.url);
const { rows, cols } = parseArray(process.env.BENCH_ARRAY ?? '32x32');
const files = (process.env.BENCH_TOPOLOGIES ?? 'examples/topologies/alexnet.csv,examples/topologies/resnet18.csv').split(',');
for (const file of files) printScaleSimTable(readFileSync(new URL(file, root), 'utf8'), file, rows, cols);
