// SPDX-License-Identifier: MIT
/**
 * `nnchip sim --topology net.csv`: every layer of a SCALE-Sim topology compiled and simulated as its
 * own program (SCALE-Sim's layers are independent: each reads its own ifmap), one row per layer, the
 * SCALE-Sim weight-stationary closed form beside nnchip's cycles, and --csv-dir reports.
 */
import { basename } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import { product, type Graph } from '../ir/graph.js';
import type { Calibration } from '../passes/quantize.js';
import { checkedLayerShapes, layerGraph, mnkOf, ofmapDims, parseTopology, syntheticCalibration, type Mnk, type TopologyLayer } from '../importers/topology.js';
import type { ArrayConfig } from '../isa/config.js';
import { hashProgram } from '../isa/cost.js';
import { tensorSize } from '../isa/program.js';
import { DEFAULT_LIMITS } from '../ir/limits.js';
import { checkFitsEarly, compile } from '../passes/pipeline.js';
import { writeDirAtomic, type OutputOptions } from '../util/atomic-write.js';
import { simulate, type SimStats } from '../../sim/index.js';
import type { CliContext } from './context.js';
import { calibrationFrom, configFrom, limitsFrom, type CompileFlags } from './options.js';
import { readText } from './read-input.js';
import { fmtInt, table } from './render.js';
import { computeRow, operandBytes, scaleSimCsvFiles } from './scalesim-csv.js';

const MAX_TOPOLOGY_BYTES = 16 * 1024 * 1024;
export const SYNTHETIC_NOTE = 'shape-only workload: weights and inputs are synthetic (deterministic), so output values mean nothing; cycles, utilization and traffic do not depend on them';

/** SCALE-Sim v2's weight-stationary cycles with ideal memory: folds·(2R + C + T − 2) − 1, T = M. */
export function scaleSimWsCycles(mnk: Mnk, rows: number, cols: number): number {
  const folds = Math.ceil(mnk.K / rows) * Math.ceil(mnk.N / cols);
  return folds * (2 * rows + cols + mnk.M - 2) - 1;
}

export interface TopologyLayerRun {
  readonly layer: TopologyLayer;
  readonly mnk: Mnk;
  readonly programHash: string;
  readonly stats: SimStats;
  readonly cycles: number;
  readonly scaleSimCycles: number;
}

export function readTopologyFile(path: string): string {
  return readText(path, 'topology files', MAX_TOPOLOGY_BYTES);
}

/** The declared --input-range, or undefined for the default −1…1. */
function rangeOf(path: string, f: CompileFlags): readonly [number, number] | undefined {
  return f.inputRange === undefined ? undefined : (calibrationFrom(path, { inputRange: f.inputRange }, 0).calibration as { inputRange: readonly [number, number] }).inputRange;
}

/** Every layer of a topology file as a graph and its synthetic calibration: what `sim` runs and `explore` sums. */
export function topologyParts(path: string, f: CompileFlags): { name: string; form: string; parts: { layer: TopologyLayer; graph: Graph; calibration: Calibration }[] } {
  const topo = parseTopology(readTopologyFile(path), path);
  const range = rangeOf(path, f);
  const limits = limitsFrom(f);
  // every layer's filters and ifmap sample are made before the first is compiled (and explore keeps them
  // all through its sweep): their sum is checked before any is made (10,000 rows each under --max-params
  // took 300 MB a row, 0.9 GB by the third)
  let held = 0;
  for (const layer of topo.layers) {
    const { input, size } = checkedLayerShapes(layer, limits, basename(path));
    held += product(input) + size;
    if (4 * held > limits.maxMemory) {
      throw new NnchipError('NN109', `the layers up to this one hold ${fmtInt(held)} filter and ifmap values (4 bytes each, ${fmtInt(4 * held)} bytes), over the limit of ${fmtInt(limits.maxMemory)} (--max-memory): the layers are all held at once`, { file: basename(path), layer: layer.name });
    }
  }
  const parts = topo.layers.map((layer) => {
    const graph = layerGraph(layer, limits, basename(path));
    return { layer, graph, calibration: syntheticCalibration(product(graph.inputs[0]!.shape), range) };
  });
  return { name: topo.name, form: topo.form, parts };
}

/** Compile and simulate (fast mode) every layer; a layer that does not fit fails the run with its name. */
export function runTopology(path: string, f: CompileFlags): { name: string; form: string; config: ArrayConfig; runs: TopologyLayerRun[] } {
  const config = configFrom(f);
  const { name, form, parts } = topologyParts(path, f);
  const file = basename(path);
  const { maxInstructions } = limitsFrom(f);
  const named = <T>(layer: TopologyLayer, run: () => T): T => {
    try {
      return run();
    } catch (e) {
      if (e instanceof NnchipError && e.file === undefined) throw new NnchipError(e.code, e.detail, { file, layer: e.layer ?? layer.name });
      throw e;
    }
  };
  // every layer's buffers and instruction floor first: a late layer over a limit fails the run in
  // moments, not after the layers before it were compiled and simulated (ResNet-18 on 2x2: 4 minutes)
  for (const { layer, graph } of parts) named(layer, () => checkFitsEarly(graph, config, { ...DEFAULT_LIMITS, maxInstructions }));
  const runs = parts.map(({ layer, graph, calibration }): TopologyLayerRun => {
    const program = named(layer, () => compile(graph, { config, calibration, maxInstructions }).program);
    const r = simulate(program, new Int8Array(tensorSize(program.input)), { mode: 'fast', trace: false });
    const mnk = mnkOf(layer);
    return { layer, mnk, programHash: hashProgram(program), stats: r.stats, cycles: r.cycles, scaleSimCycles: scaleSimWsCycles(mnk, config.rows, config.cols) };
  });
  return { name, form, config, runs };
}

/** SCALE-Sim's three reports, plus nnchip's comparison with the closed form (not a SCALE-Sim file). */
export function topologyCsvFiles(runs: readonly TopologyLayerRun[], cfg: ArrayConfig): Map<string, string> {
  const files = scaleSimCsvFiles(runs.map((r) => ({ ...r.stats, cycles: r.cycles })), cfg);
  const quote = (name: string): string => (/[",\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name);
  const rows = runs.map((r, id) => `${id}, ${quote(r.layer.name)}, ${r.mnk.M}, ${r.mnk.N}, ${r.mnk.K}, ${r.scaleSimCycles}, ${r.cycles}, ${(r.cycles / r.scaleSimCycles).toFixed(4)},\n`);
  files.set('NNCHIP_VS_SCALESIM.csv', ['LayerID, Layer name, M, N, K, SCALE-Sim WS Cycles, nnchip Cycles, Ratio,\n', ...rows].join(''));
  return files;
}

/** The compact per-layer JSON scripts read: shape, SCALE-Sim's M/N/K, nnchip's figures. */
export function topologyJson(t: ReturnType<typeof runTopology>): string {
  const layers = t.runs.map((r) => {
    const l = r.layer;
    const shape = l.type === 'gemm' ? { M: r.mnk.M, N: r.mnk.N, K: r.mnk.K } : { ifmap: [l.ifmapH, l.ifmapW, l.channels], filter: [l.filterH, l.filterW], ofmap: ofmapDims(l), numFilter: l.numFilter, strides: [l.strideH, l.strideW], depthwise: l.depthwise, mnk: r.mnk };
    const [, stall] = computeRow({ ...r.stats, cycles: r.cycles }, t.config);
    const b = operandBytes({ ...r.stats, cycles: r.cycles }, t.config);
    return { name: l.name, type: l.type, ...shape, cycles: r.cycles, stallCycles: stall, scaleSimCycles: r.scaleSimCycles, ratio: r.cycles / r.scaleSimCycles, macs: r.stats.macs, utilization: r.stats.utilization, dram: b.dram, sram: b.sram, programHash: r.programHash };
  });
  const cycles = t.runs.reduce((a, r) => a + r.cycles, 0);
  return JSON.stringify({ topology: t.name, form: t.form, synthetic: true, note: SYNTHETIC_NOTE, config: t.config, cycles, scaleSimCycles: t.runs.reduce((a, r) => a + r.scaleSimCycles, 0), layers }) + '\n';
}

export function topologyText(t: ReturnType<typeof runTopology>, ctx: CliContext): string {
  const { io } = ctx;
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const rows = t.runs.map((r) => [r.layer.name, r.layer.type, `${r.mnk.M}×${r.mnk.N}×${r.mnk.K}`, r.cycles, r.scaleSimCycles, (r.cycles / r.scaleSimCycles).toFixed(2), pct(r.stats.utilization), r.stats.dramBytesRead, r.stats.dramBytesWritten]);
  const cycles = t.runs.reduce((a, r) => a + r.cycles, 0);
  const ss = t.runs.reduce((a, r) => a + r.scaleSimCycles, 0);
  return [
    `${io.color.bold(t.name)} (SCALE-Sim ${t.form} topology, ${t.runs.length} independent layers): array ${t.config.rows}x${t.config.cols}`,
    table(['layer', 'type', 'M×N×K', 'cycles', 'SCALE-Sim WS', 'ratio', 'utilization', 'DRAM read', 'DRAM written'], rows, io).trimEnd(),
    `total: ${fmtInt(cycles)} cycles (SCALE-Sim closed form ${fmtInt(ss)}, ratio ${(cycles / ss).toFixed(2)})`,
    io.color.yellow(`note: ${SYNTHETIC_NOTE}`),
  ].join('\n') + '\n';
}

/** The `sim --topology` action: text or JSON to stdout, the SCALE-Sim CSVs to --csv-dir. */
export function simTopology(path: string, f: CompileFlags & { readonly csvDir?: string; readonly json?: boolean }, ctx: CliContext, written: OutputOptions = {}): void {
  const t = runTopology(path, f);
  if (f.csvDir !== undefined) writeDirAtomic(f.csvDir, topologyCsvFiles(t.runs, t.config), written);
  ctx.io.stdout(f.json ? topologyJson(t) : topologyText(t, ctx) + (f.csvDir === undefined ? '' : `wrote ${f.csvDir}\n`));
}
