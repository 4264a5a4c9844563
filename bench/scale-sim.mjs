// bench/scale-sim.mjs: nnchip's cycles per layer of SCALE-Sim topologies (examples/topologies:
// AlexNet and ResNet-18 by default) beside SCALE-Sim v2's weight-stationary closed form
// folds·(2R + C + T − 2) − 1, at matched settings (ideal DRAM: 4096 B/cycle, latency 0, buffers
// at their largest) and at nnchip's default machine. Figures come from the static certificate
// (equal to the simulator's by the project's invariants). Prints a table; never asserts.
// Run `npm run build` first. BENCH_ARRAY=RxC (default 32x32), BENCH_TOPOLOGIES=a.csv,b.csv.
import { readFileSync } from 'node:fs';
import { scaleSimWsCycles } from '../dist/src/cli/topology.js';
import { DEFAULT_LIMITS } from '../dist/src/importers/limits.js';
import { layerGraph, mnkOf, parseTopology, syntheticCalibration } from '../dist/src/importers/topology.js';
import { makeConfig, parseArray } from '../dist/src/isa/config.js';
import { certify } from '../dist/src/isa/cost.js';
import { compile } from '../dist/src/passes/pipeline.js';

const root = new URL('../', import.meta.url);
const { rows, cols } = parseArray(process.env.BENCH_ARRAY ?? '32x32');
const files = (process.env.BENCH_TOPOLOGIES ?? 'examples/topologies/alexnet.csv,examples/topologies/resnet18.csv').split(',');
const MAX = 65536;
const settings = {
  matched: makeConfig({ rows, cols, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX }),
  defaults: makeConfig({ rows, cols }),
};

const pad = (s, n) => String(s).padStart(n);
for (const file of files) {
  const topo = parseTopology(readFileSync(new URL(file, root), 'utf8'), file);
  console.log(`\n${topo.name} (${topo.layers.length} layers) on ${rows}x${cols}: nnchip cycles vs SCALE-Sim WS closed form`);
  console.log(['layer', 'M×N×K', 'SCALE-Sim', 'matched', 'ratio', 'util', 'defaults', 'ratio', 'util'].map((h, i) => (i < 2 ? h.padEnd(i ? 18 : 10) : pad(h, 10))).join(' '));
  const sums = { ss: 0, matched: 0, defaults: 0 };
  for (const layer of topo.layers) {
    const mnk = mnkOf(layer);
    const ss = scaleSimWsCycles(mnk, rows, cols);
    sums.ss += ss;
    const cells = [layer.name.padEnd(10), `${mnk.M}×${mnk.N}×${mnk.K}`.padEnd(18), pad(ss, 10)];
    for (const [name, config] of Object.entries(settings)) {
      try {
        const graph = layerGraph(layer, DEFAULT_LIMITS, file);
        const calibration = syntheticCalibration(graph.inputs[0].shape.reduce((a, b) => a * b, 1));
        const cert = certify(compile(graph, { config, calibration }).program);
        sums[name] += cert.cycles;
        cells.push(pad(cert.cycles, 10), pad((cert.cycles / ss).toFixed(2), 10), pad(`${(100 * cert.utilization).toFixed(1)}%`, 10));
      } catch (e) {
        sums[name] = NaN;
        cells.push(pad(`${e.code ?? 'error'}`, 10), pad('-', 10), pad('-', 10));
      }
    }
    console.log(cells.join(' '));
  }
  console.log(`total${' '.repeat(24)}${pad(sums.ss, 10)} ${pad(sums.matched, 10)} ${pad((sums.matched / sums.ss).toFixed(2), 10)} ${' '.repeat(10)} ${pad(sums.defaults, 10)} ${pad((sums.defaults / sums.ss).toFixed(2), 10)}`);
}
