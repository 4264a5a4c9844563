// bench/scale-sim-table.mjs: one SCALE-Sim topology's per-layer table — nnchip's certificate cycles
// beside SCALE-Sim v2's weight-stationary closed form, at matched settings (ideal DRAM: 4096 B/cycle,
// latency 0, buffers at their largest, the acc buffer's two read-port banks: accBanks 2, or
// BENCH_ACC_BANKS) and at nnchip's default machine. Shared by scale-sim.mjs and preload.mjs. Prints;
// never asserts.
import { scaleSimWsCycles } from '../dist/src/cli/topology.js';
import { DEFAULT_LIMITS } from '../dist/src/importers/limits.js';
import { layerGraph, mnkOf, parseTopology, syntheticCalibration } from '../dist/src/importers/topology.js';
import { makeConfig } from '../dist/src/isa/config.js';
import { certify } from '../dist/src/isa/cost.js';
import { compile } from '../dist/src/passes/pipeline.js';

const MAX = 65536;
const ACC_BANKS = Number(process.env.BENCH_ACC_BANKS ?? 2);
const pad = (s, n) => String(s).padStart(n);

/** Print the table of topology CSV text `csv` (named `file`) on an R×C array; returns the totals. */
export function printScaleSimTable(csv, file, rows, cols) {
  const settings = {
    matched: makeConfig({ rows, cols, dramBytesPerCycle: 4096, dramLatency: 0, accBanks: ACC_BANKS, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX }),
    defaults: makeConfig({ rows, cols }),
  };
  const topo = parseTopology(csv, file);
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
  return sums;
}
