// SPDX-License-Identifier: MIT
/**
 * SCALE-Sim v2 topology CSVs (shape-only workloads): the conv form (Layer name, IFMAP Height, IFMAP
 * Width, Filter Height, Filter Width, Channels, Num Filter, Strides[, Stride width],) and the GEMM
 * form (Layer, M, N, K,). Each row is an independent layer with its own input, as in SCALE-Sim:
 * every layer becomes a one-layer Graph with deterministic synthetic weights (docs/scale-sim.md).
 */
import { basename } from 'node:path';
import { escapeControls, fmtInt, NnchipError } from '../diagnostics/error.js';
import type { Graph } from '../ir/graph.js';
import { mulberry32 } from '../util/prng.js';
import { checkedElements, checkTensorSizes, type Limits } from './limits.js';

/** One row of a topology file, normalized to SCALE-Sim's conv view (a GEMM row keeps its M, N, K). */
export interface TopologyLayer {
  readonly name: string;
  readonly type: 'conv' | 'gemm';
  readonly ifmapH: number;
  readonly ifmapW: number;
  readonly filterH: number;
  readonly filterW: number;
  readonly channels: number;
  readonly numFilter: number;
  readonly strideH: number;
  readonly strideW: number;
  /** SCALE-Sim's "DP" rows: a depthwise convolution (one filter per channel). */
  readonly depthwise: boolean;
}

export interface Topology {
  readonly name: string;
  readonly form: 'conv' | 'gemm';
  readonly layers: readonly TopologyLayer[];
}

/** The GEMM SCALE-Sim maps a layer to: M output pixels × K window (the reduction) × N filters. */
export interface Mnk {
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

export function ofmapDims(l: TopologyLayer): [number, number] {
  return [Math.floor((l.ifmapH - l.filterH) / l.strideH) + 1, Math.floor((l.ifmapW - l.filterW) / l.strideW) + 1];
}

/**
 * SCALE-Sim's weight-stationary M, N, K. SCALE-Sim counts output pixels as ceil((I − F + S) / S),
 * which includes a partial window when (I − F) is not a multiple of S (AlexNet Conv1: 55×55); nnchip's
 * "valid" convolution computes floor((I − F) / S) + 1 (54×54). M here is SCALE-Sim's, as its reports.
 */
export function mnkOf(l: TopologyLayer): Mnk {
  const oh = Math.ceil((l.ifmapH - l.filterH + l.strideH) / l.strideH);
  const ow = Math.ceil((l.ifmapW - l.filterW + l.strideW) / l.strideW);
  if (l.type === 'gemm') return { M: l.ifmapH, N: l.numFilter, K: l.channels };
  return { M: oh * ow, N: l.depthwise ? l.channels : l.numFilter, K: l.filterH * l.filterW * (l.depthwise ? 1 : l.channels) };
}

/** A .csv file, or text whose header names SCALE-Sim's columns. */
export function looksLikeTopology(path: string, bytes: Buffer): boolean {
  if (/\.csv$/i.test(path)) return true;
  const head = bytes.subarray(0, 200).toString('utf8').split(/\r?\n/)[0]?.toLowerCase() ?? '';
  return /^\s*layer[ _]?name\s*,\s*(ifmap height|m)\s*,/.test(head);
}

const CONV_HEADER = ['layer name', 'ifmap height', 'ifmap width', 'filter height', 'filter width', 'channels', 'num filter', 'strides'];
const MAX_DIM = 65536;

/**
 * Fields of one CSV line. SCALE-Sim's files end lines with a comma (one trailing empty field is
 * dropped), or not (gpt2.csv), and some carry a comment after the last comma (`1, 1, 1,#dw`).
 */
function fields(line: string): string[] {
  const parts = line.replace(/#.*$/, '').split(',').map((s) => s.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function positiveField(text: string, column: string, site: { file: string; layer: string }): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DIM) throw new NnchipError('NN111', `${column} "${text}" is not an integer from 1 to ${MAX_DIM}`, site);
  return n;
}

/** The most rows a topology file may list. */
export const MAX_TOPOLOGY_LAYERS = 10_000;

export function parseTopology(text: string, path: string): Topology {
  const file = basename(path);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l, i) => ({ l, i: i + 1 })).filter(({ l }) => l.trim() !== '');
  const header = lines.shift();
  if (header === undefined) throw new NnchipError('NN111', 'the topology file is empty (expected a header line)', { file });
  const names = fields(header.l).map((h) => h.toLowerCase());
  const form = names.length === 4 && names[1] === 'm' && names[2] === 'n' && names[3] === 'k' ? 'gemm' : CONV_HEADER.every((h, i) => names[i] === h) && names.length <= 9 ? 'conv' : null;
  if (form === null) {
    throw new NnchipError('NN111', `line 1 "${header.l.trim().slice(0, 60)}" is not a SCALE-Sim topology header ("Layer name, IFMAP Height, …, Strides," or "Layer, M, N, K,")`, { file });
  }
  // each row is compiled and simulated on its own, 2 ms and more: 1,000,000 one-MAC rows (16 MB) would take over half an hour; real networks list hundreds
  if (lines.length > MAX_TOPOLOGY_LAYERS) throw new NnchipError('NN111', `the topology file lists ${fmtInt(lines.length)} layers; at most ${fmtInt(MAX_TOPOLOGY_LAYERS)} (each is compiled and simulated on its own)`, { file });
  const columns = form === 'gemm' ? ['M', 'N', 'K'] : ['IFMAP Height', 'IFMAP Width', 'Filter Height', 'Filter Width', 'Channels', 'Num Filter', 'Strides', 'Stride width'];
  const seen = new Set<string>();
  const layers = lines.map(({ l, i }): TopologyLayer => {
    const f = fields(l);
    // printed in the layer table and written into the CSV reports, as a model's layer names are (escaped in
    // loadModel): an ESC or a lone CR in one cleared the terminal or overwrote the line (`ok\rFAKE`)
    const name = escapeControls(f[0] ?? '');
    const site = { file, layer: name === '' ? `line ${i}` : name };
    if (name === '') throw new NnchipError('NN111', `line ${i} has no layer name`, site);
    if (seen.has(name)) throw new NnchipError('NN111', `line ${i}: layer name "${name}" is used twice`, site);
    seen.add(name);
    const need = form === 'gemm' ? 4 : 8;
    if (f.length < need || f.length > columns.length + 1) throw new NnchipError('NN111', `line ${i} has ${f.length} fields; expected ${form === 'gemm' ? '4' : '8 or 9'}`, site);
    const v = f.slice(1).map((t, k) => positiveField(t, columns[k]!, site));
    if (form === 'gemm') {
      const [M, N, K] = v as [number, number, number];
      return { name, type: 'gemm', ifmapH: M, ifmapW: K, filterH: 1, filterW: K, channels: K, numFilter: N, strideH: 1, strideW: 1, depthwise: false };
    }
    const [ifmapH, ifmapW, filterH, filterW, channels, numFilter, strideH] = v as [number, number, number, number, number, number, number];
    const layer = { name, type: 'conv' as const, ifmapH, ifmapW, filterH, filterW, channels, numFilter, strideH, strideW: v[7] ?? strideH, depthwise: name.includes('DP') };
    if (filterH > ifmapH || filterW > ifmapW) throw new NnchipError('NN111', `line ${i}: the ${filterH}x${filterW} filter is larger than the ${ifmapH}x${ifmapW} ifmap`, site);
    return layer;
  });
  if (layers.length === 0) throw new NnchipError('NN111', 'the topology file has a header but no layers', { file });
  return { name: escapeControls(file.replace(/\.csv$/i, '')), form, layers };
}

/** A seed from the layer's name, so a layer's weights do not change when other rows are added. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The shapes of a layer's graph, checked against the limits before anything is allocated: its input
 * (the ifmap, or a GEMM's M×K rows), its filters (and their element count) and its ofmap.
 */
export function checkedLayerShapes(l: TopologyLayer, limits: Limits, file: string): { input: number[]; kernelShape: number[]; size: number } {
  const site = { file, layer: l.name };
  const gemm = l.type === 'gemm';
  const input = gemm ? [1, l.ifmapH, l.channels] : [l.ifmapH, l.ifmapW, l.channels];
  const kernelShape = gemm ? [1, 1, l.channels, l.numFilter] : [l.filterH, l.filterW, l.channels, l.depthwise ? 1 : l.numFilter];
  checkedElements(input, limits, site, 'ifmap');
  const size = checkedElements(kernelShape, limits, site, 'filters');
  // its ofmap is computed in float64 to calibrate, as a model's layers are (loadModel): `sim --topology`
  // compiled a 300x300 ifmap into 4096 filters in 4.4 GB, where `lower` of the same row refused it
  const ofmap = gemm ? [1, l.ifmapH, l.numFilter] : [...ofmapDims(l), l.depthwise ? l.channels : l.numFilter];
  checkTensorSizes([input], [{ layer: l.name, shape: ofmap }], limits, file);
  return { input, kernelShape, size };
}

/**
 * The layer as a one-layer Graph: a "valid" (unpadded) convolution over its own [H, W, C] input,
 * linear activation, no bias. A GEMM row is a 1×1 convolution over a [1, M, K] feature map: M rows
 * of K values streamed through K×N weights, exactly SCALE-Sim's GEMM. Weights are uniform in
 * ±1/√K from a PRNG seeded by the layer name: cycles and traffic do not depend on their values.
 */
export function layerGraph(l: TopologyLayer, limits: Limits, file: string): Graph {
  const gemm = l.type === 'gemm';
  const { input, kernelShape, size } = checkedLayerShapes(l, limits, file);
  const next = mulberry32(seedOf(l.name));
  const scale = 1 / Math.sqrt(mnkOf(l).K);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (2 * next() - 1) * scale;
  return {
    name: l.name,
    inputs: [{ name: 'input', shape: input }],
    nodes: [{ name: l.name, op: 'conv2d', inputs: ['input'], output: l.name, kernel: { shape: kernelShape, data }, bias: null, strides: gemm ? [1, 1] : [l.strideH, l.strideW], pads: [0, 0, 0, 0], depthwise: l.depthwise, activation: 'linear' }],
    outputs: [l.name],
    notes: ['shape-only workload (SCALE-Sim topology): weights are synthetic, so output values are meaningless; cycles and traffic are not'],
  };
}

/**
 * The one Graph a model-taking command (lower, explore, report) compiles: the file's only layer, or
 * the layer named after '#' (net.csv#Conv2). `nnchip sim --topology` runs every layer.
 */
export function importTopology(bytes: Buffer, path: string, limits: Limits, layerName?: string): Graph {
  const topo = parseTopology(bytes.toString('utf8'), path);
  const file = basename(path);
  const pick = layerName === undefined ? (topo.layers.length === 1 ? topo.layers[0] : undefined) : topo.layers.find((l) => l.name === layerName);
  if (pick === undefined) {
    const names = topo.layers.map((l) => l.name);
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
    throw new NnchipError('NN111', layerName === undefined ? `holds ${names.length} independent layers; name one as ${file}#<layer> (${shown}) or run them all with nnchip sim --topology` : `has no layer "${layerName}" (layers: ${shown})`, { file });
  }
  return layerGraph(pick, limits, file);
}

/**
 * The calibration of a shape-only layer: one PRNG sample uniform in `range` (a declared range would
 * evaluate 66 samples in float, minutes for a 224×224 layer). Cycles never depend on it.
 */
export function syntheticCalibration(inputSize: number, [lo, hi]: readonly [number, number] = [-1, 1]): { readonly samples: readonly Float32Array[] } {
  const next = mulberry32(0x5ca1e);
  const sample = new Float32Array(inputSize);
  for (let i = 0; i < inputSize; i++) sample[i] = lo + (hi - lo) * next();
  return { samples: [sample] };
}

/** `net.csv#Conv2` → path and layer name (a '#' only counts after a .csv name). */
export function splitLayerSelector(path: string): { path: string; layer?: string } {
  const m = /^(.*\.csv)#(.+)$/i.exec(path);
  return m === null ? { path } : { path: m[1]!, layer: m[2]! };
}
