// SPDX-License-Identifier: MIT
/**
 * GemmOps → ISA instructions for the R×C array, every buffer placed statically, as a chain of
 * small passes: pack taps (pack-taps.ts) → place constants (lower-constants.ts) → place tensors
 * (lower-dram.ts) → per op: tile and emit (lower-tiling.ts, lower-emit.ts) → memory map and stats.
 * Instructions come out in plain sequential order; passes/schedule.ts reorders loads and adds tokens.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import type { DramTensor, LayerInfo, Region } from '../isa/program.js';
import type { Instruction } from '../isa/spec.js';
import type { GemmProgram, PhysicalTensor } from './gemm-types.js';
import { placeConstants } from './lower-constants.js';
import { Dram, dramTensor, placeTensors } from './lower-dram.js';
import { emitOp, type EmitState } from './lower-emit.js';
import { linesPerTile, sourcesOf, type SourceGeometry } from './lower-tiling.js';
import { packTaps } from './pack-taps.js';

/** Sequential program before scheduling: each instruction tagged with the layer it belongs to. */
export interface LoweredProgram {
  readonly instructions: readonly Instruction[];
  readonly layerOf: readonly number[];
  readonly constants: Uint8Array;
  readonly dramSize: number;
  readonly input: DramTensor;
  readonly output: DramTensor;
  readonly layers: readonly Omit<LayerInfo, 'firstInsn' | 'insnCount'>[];
  readonly memoryMap: readonly Region[];
}

function checkWeightBuffer(cfg: ArrayConfig): void {
  if (cfg.wgtDepth < cfg.rows) throw new NnchipError('NN403', `wgtDepth = ${cfg.wgtDepth} entries cannot hold one ${cfg.rows}-row weight tile`);
}

/**
 * The buffer feasibility of every op (NN403), from shapes alone — what lowerToIsa would refuse,
 * found before calibration spends minutes on a model that cannot fit.
 */
export function checkBuffers(gp: GemmProgram, cfg: ArrayConfig): void {
  checkWeightBuffer(cfg);
  const { gp: packed, stride } = packTaps(gp, cfg.rows);
  const geometry = new Map<string, SourceGeometry>();
  for (const t of packed.tensors.values()) geometry.set(t.name, { t, stride: stride.get(t.name) ?? 0, wp: t.w + t.pads[1] + t.pads[3] });
  // a channel sum (global average pool) reads one line at a time whatever the buffers
  for (const op of packed.ops) if (!op.channelSum) linesPerTile(op, sourcesOf(op, geometry, cfg.rows, new Set(stride.keys())), cfg);
}

/** At most this many weight tiles share the wgt buffer (enough to keep back-to-back matmuls fed on square arrays). */
const WEIGHT_SLOTS = 6;

/**
 * Weight tiles in flight: a matmul frees its slot only at its end (2R + C + rows after its start),
 * while the next ones start every max(R, rows + 1) cycles (shadow weights), so loads run ahead by
 * up to WEIGHT_SLOTS tiles when the wgt buffer holds them.
 */
const weightSlots = (cfg: ArrayConfig): number => Math.max(1, Math.min(WEIGHT_SLOTS, Math.floor(cfg.wgtDepth / cfg.rows)));

export function lowerToIsa(gemm: GemmProgram, cfg: ArrayConfig): LoweredProgram {
  checkWeightBuffer(cfg);
  const { rows: R, cols: C } = cfg;
  const { gp, stride: packedStride } = packTaps(gemm, R);
  const packed = new Set(packedStride.keys());
  const dram = new Dram();
  // constants first, so they open the DRAM image
  const constants = gp.ops.map((op) => placeConstants(gp, op, dram, R, C));
  const placed = placeTensors(gp, dram, cfg, packedStride);
  const insns: Instruction[] = [];
  const layerOf: number[] = [];
  const layerNames: string[] = [];
  const st: EmitState = { wgtTile: 0, colTile: 0, maxAct: 0, maxRows: 0, tableSpan: [Infinity, 0], wgtSlots: weightSlots(cfg), qntSlots: Math.min(2, cfg.qntDepth), slotTile: [] };
  gp.ops.forEach((op, oi) => {
    if (!layerNames.includes(op.layer)) layerNames.push(op.layer);
    const li = layerNames.indexOf(op.layer);
    emitOp(op, sourcesOf(op, placed, R, packed), placed.get(op.out)!, constants[oi]!, cfg, st, (insn) => void (insns.push(insn), layerOf.push(li)));
  });
  return {
    instructions: insns,
    layerOf,
    constants: dram.image(),
    dramSize: dram.size,
    input: dramTensor(placed.get(gp.input.name)!),
    output: dramTensor(placed.get(gp.output.name)!),
    layers: layerStats(gp, layerNames),
    memoryMap: [...dram.regions, ...bufferMap(st, R)],
  };
}

/** Per layer: the model's own MACs and weights, its label, its per-sample shapes. */
function layerStats(gp: GemmProgram, layerNames: readonly string[]): Omit<LayerInfo, 'firstInsn' | 'insnCount'>[] {
  const stats = new Map<string, { op: string; macs: number; weightBytes: number; shape: string }>();
  for (const op of gp.ops) {
    const s = stats.get(op.layer);
    stats.set(op.layer, { op: s?.op ?? op.label, macs: (s?.macs ?? 0) + op.macs, weightBytes: (s?.weightBytes ?? 0) + op.weights, shape: s?.shape ?? `${shapeText(gp.tensors.get(op.terms[0]!.src)!, gp.batch)}→${shapeText(gp.tensors.get(op.out)!, gp.batch)}` });
  }
  return layerNames.map((name) => ({ name, ...stats.get(name)! }));
}

/** The on-chip buffers' regions, from the high-water marks of the emission. */
function bufferMap(st: EmitState, R: number): Region[] {
  return [
    { space: 'act', name: 'input windows', start: 0, size: st.maxAct },
    { space: 'wgt', name: `weight tiles (${st.wgtSlots} slot${st.wgtSlots > 1 ? 's' : ''})`, start: 0, size: st.wgtSlots * R },
    { space: 'acc', name: 'accumulators (2 slots)', start: 0, size: 2 * st.maxRows },
    ...(st.tableSpan[1] > 0 ? [{ space: 'acc' as const, name: 'activation step tables (after the slots)', start: st.tableSpan[0], size: st.tableSpan[1] - st.tableSpan[0] }] : []),
    { space: 'qnt', name: `requant params (${st.qntSlots} slots)`, start: 0, size: st.qntSlots },
    { space: 'out', name: 'threshold output (2 slots)', start: 0, size: 2 * st.maxRows },
  ];
}

/** A layer's per-sample shape (a batch's lines are its samples). */
function shapeText(t: PhysicalTensor, batch = 1): string {
  return (t.h === 1 || batch > 1) && t.w === 1 ? `${t.c}` : `${t.h}x${t.w}x${t.c}`;
}
