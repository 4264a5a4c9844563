// SPDX-License-Identifier: MIT
/**
 * GemmOps → ISA instructions for the R×C array, every buffer placed statically, as a chain of
 * small passes: store the input as its first convolution's windows where that pays (window-input.ts)
 * → pack taps (pack-taps.ts) → stack residual adds (stack-add.ts) → place constants (lower-constants.ts) → place tensors
 * (lower-dram.ts) → per op: tile and emit (lower-tiling.ts, lower-emit.ts) → memory map and stats.
 * Instructions are emitted in plain sequential order; passes/schedule.ts reorders loads and adds tokens as they come.
 */
import { internal, NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import type { DramTensor, LayerInfo, Region } from '../isa/program.js';
import { scheduleTimes } from '../isa/timing.js';
import type { Instruction } from '../isa/spec.js';
import type { GemmOp, GemmProgram, PhysicalTensor } from './gemm-types.js';
import { placeConstants, tileRowsOf, type TileCache } from './lower-constants.js';
import { Dram, dramTensor, placeTensors, type Placed } from './lower-dram.js';
import { emitOp } from './lower-emit.js';
import { weightRing, type EmitState } from './lower-emit-slots.js';
import { linesPerTile, sourcesOf } from './lower-tiling.js';
import { packedSources, packTaps } from './pack-taps.js';
import { stackAdds } from './stack-add.js';
import { chainMatmuls } from './chain.js';
import { scheduler, type Scheduled } from './schedule.js';
import { windowInput, type Windowing } from './window-input.js';

/**
 * The lowered program: its instructions scheduled (passes/schedule.ts: loads hoisted, tokens
 * inserted), each with the layer it belongs to.
 */
export interface LoweredProgram {
  readonly scheduled: Scheduled;
  readonly constants: Uint8Array;
  readonly dramSize: number;
  readonly input: DramTensor;
  readonly outputs: readonly DramTensor[];
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
  const windowing = windowInput(gp, cfg.rows);
  try {
    checkTiles(gp, cfg);
  } catch (e) {
    // the windowed input tiles differently: either form fitting is enough
    if (windowing === null || !isTooSmall(e)) throw e;
    checkTiles(windowing.gp, cfg);
  }
}

const isTooSmall = (e: unknown): boolean => e instanceof NnchipError && e.code === 'NN403';

function checkTiles(gp: GemmProgram, cfg: ArrayConfig): void {
  const { gp: packed, sourcesOf: stored } = packedSources(gp, cfg);
  // a channel sum (global average pool) reads one line at a time whatever the buffers;
  // a gate's spread reads as many channels as act, acc and out hold at a time (lower-emit.ts emitSpread)
  for (const op of packed.ops) if (!op.channelSum && !op.spread) linesPerTile(op, stored(op), cfg);
}

/** Whether a narrow input is stored as its first convolution's windows: by the cost model, wherever it applies, or never. */
export type InputWindowsChoice = 'auto' | 'always' | 'never';

export function lowerToIsa(gemm: GemmProgram, cfg: ArrayConfig, inputWindows: InputWindowsChoice = 'auto'): LoweredProgram {
  checkWeightBuffer(cfg);
  const windowing = inputWindows === 'never' ? null : windowInput(gemm, cfg.rows);
  // the candidates share most terms: each one's weight tiles are cut and hashed once
  const tiles: TileCache = new WeakMap();
  if (windowing === null || inputWindows === 'always') return withImage(fasterBeside(gemm, windowing, cfg, tiles));
  // the whole programs, scheduled and timed (the op alone misses how its loads and stores overlap
  // its neighbours'); either form fitting the buffers is enough (checkBuffers); only the chosen
  // one's DRAM image is built
  const windowed = fittingOrNull(() => fasterBeside(gemm, windowing, cfg, tiles));
  if (windowed === null) return withImage(fasterBeside(gemm, null, cfg, tiles));
  const plain = fittingOrNull(() => fasterBeside(gemm, null, cfg, tiles));
  return withImage(plain === null || cyclesOf(windowed, cfg) < cyclesOf(plain, cfg) ? windowed : plain);
}

/**
 * The lowering with ops of one matmul per column tile allowed to put their thresholds beside
 * (two acc banks: lower-tile-choice.ts chooseLines), where some op takes that and the whole program
 * is faster for it; else the lowering without (the same program when no op takes it: lowered once).
 */
function fasterBeside(gemm: GemmProgram, windowing: Windowing | null, cfg: ArrayConfig, tiles: TileCache): Candidate {
  const beside = cfg.accBanks === 2 ? lowerAs(gemm, windowing, cfg, tiles, true) : null;
  if (beside !== null && !beside.usedOneMatmulBeside) return beside;
  const apart = lowerAs(gemm, windowing, cfg, tiles);
  return beside !== null && cyclesOf(beside, cfg) < cyclesOf(apart, cfg) ? beside : apart;
}

/** A lowering before its DRAM image is built (the constants placed in `dram`). */
type Candidate = Omit<LoweredProgram, 'constants'> & { readonly dram: Dram };

function withImage({ dram, ...lowered }: Candidate): LoweredProgram {
  return { ...lowered, constants: dram.image() };
}

function fittingOrNull(lower: () => Candidate): Candidate | null {
  try {
    return lower();
  } catch (e) {
    if (isTooSmall(e)) return null;
    throw e;
  }
}

/** A lowered program's cycles once scheduled (isa/timing.ts); each candidate scheduled once (fasterBeside's pick is weighed again against the other input form). */
const cycleCache = new WeakMap<Candidate, number>();
function cyclesOf(lowered: Candidate, cfg: ArrayConfig): number {
  let cycles = cycleCache.get(lowered);
  if (cycles === undefined) cycleCache.set(lowered, (cycles = scheduleTimes(lowered.scheduled.instructions, cfg).cycles));
  return cycles;
}

/** The lowering with the input stored plainly (windowing null) or as the windows of `windowing`'s op (its gp). */
function lowerAs(gemm: GemmProgram, windowing: Windowing | null, cfg: ArrayConfig, tiles: TileCache, oneMatmulBeside = false): Candidate & { readonly usedOneMatmulBeside: boolean } {
  const { rows: R, cols: C } = cfg;
  const { gp: taps, stride: packedStride } = packTaps(windowing?.gp ?? gemm, R, C);
  const packed = new Set(packedStride.keys());
  const gp = stackAdds(taps, R, packed);
  const dram = new Dram();
  // constants first, so they open the DRAM image
  const constants = gp.ops.map((op) => placeConstants(gp, op, dram, R, C, tiles));
  const placed = placeTensors(gp, dram, cfg, packedStride);
  // scheduled as they are emitted (loads hoisted, tokens inserted: schedule.ts); the emission adds no
  // DRAM region, so its regions are final here
  const scheduling = scheduler(cfg, dram.regions.map((r) => ({ ...r })));
  const layerNames: string[] = [];
  const layerIndex = new Map<string, number>(); // a search of layerNames per op was quadratic in layers
  const st: EmitState = { wgtTile: 0, colTile: 0, maxAct: 0, maxRows: 0, tableSpan: [Infinity, 0], secondAcc: Infinity, accPerBank: 1, accSpan: [0, 0], lastAcc: [], lastAct: [0, 0], wgtSlots: weightRing(cfg), wgtSlotsUsed: weightRing(cfg), qntSlots: Math.min(cfg.accBanks === 2 ? 4 : 2, cfg.qntDepth), slotTile: [], slotOfTile: new Map(), tileRows: tileRowsOf(constants), oneMatmulBeside, usedOneMatmulBeside: false };
  gp.ops.forEach((op, oi) => {
    let li = layerIndex.get(op.layer);
    if (li === undefined) layerIndex.set(op.layer, (li = layerNames.push(op.layer) - 1));
    const sources = sourcesOf(op, placed, R, packed);
    // the windows' channel tiles are loaded as the matmuls reach them (lower-emit.ts StreamedSource)
    const windows = windowing !== null && oi === windowing.op ? new Map([...sources].map(([name, s]) => [name, { ...s, streamed: name === gp.input.name }])) : sources;
    const push = (insn: Instruction): void => scheduling.push(insn, li);
    emitOp(op, windows, placed.get(op.out)!, constants[oi]!, cfg, st, packed.has(op.out) ? inAddressOrder(op, push) : push, op.scaleBy === undefined ? undefined : placed.get(op.scaleBy.src));
  });
  const memoryMap = [...dram.regions.map((r) => (windowing !== null && r.name === `act:${gemm.input.name}` ? { ...r, name: windowsRegion(gemm.input, windowing) } : r)), ...bufferMap(st, R)];
  return {
    scheduled: chainMatmuls(scheduling.finish(), cfg),
    dram,
    dramSize: dram.size,
    input: windowing === null ? dramTensor(placed.get(gp.input.name)!) : windowedInput(gemm.input, placed.get(gp.input.name)!, windowing),
    outputs: gp.outputs.map((o) => dramTensor(placed.get(o.name)!)),
    layers: layerStats(gemm, layerNames),
    memoryMap,
    usedOneMatmulBeside: st.usedOneMatmulBeside,
  };
}

/**
 * `emit` for an op whose out tensor is packed (pack-taps.ts): each store's C lanes spill past its
 * pixel onto the next ones, so its stores must come in address order (each pixel's own store last).
 */
function inAddressOrder(op: GemmOp, emit: (insn: Instruction) => void): (insn: Instruction) => void {
  let last = -1;
  return (insn) => {
    if (insn.op === 'store') {
      if (insn.dram < last || (insn.rows > 1 && insn.stride <= 0)) throw internal(`layer "${op.layer}" stores its packed output out of address order (byte ${insn.dram} after ${last})`);
      last = insn.dram + (insn.rows - 1) * insn.stride;
    }
    emit(insn);
  };
}

/** The input as given (its codes back to back) and where its windows are stored. */
function windowedInput(x: PhysicalTensor, stored: Placed, w: Windowing): DramTensor {
  return { ...dramTensor({ ...stored, t: x, stride: x.c, wp: x.w }), windows: { ...w.windows, rows: stored.t.h * stored.t.w, width: stored.t.w, rowStride: stored.stride, lineStride: stored.wp * stored.stride } };
}

/** The memory map's name of the stored windows: what they hold and what they cost over the plain input. */
function windowsRegion(x: PhysicalTensor, w: Windowing): string {
  const [kh, kw] = w.windows.kernel;
  const [sy, sx] = w.windows.strides;
  return `act:${x.name} as ${w.gp.ops[w.op]!.layer}'s ${kh}x${kw}/${sy}x${sx} windows (im2col: ${kh * kw * x.c} codes per output pixel; the input has ${x.h * x.w * x.c})`;
}

/** Per layer: the model's own MACs and weights, its label, its per-sample shapes. */
function layerStats(gp: GemmProgram, layerNames: readonly string[]): Omit<LayerInfo, 'firstInsn' | 'insnCount'>[] {
  const stats = new Map<string, { op: string; macs: number; weightBytes: number; shape: string }>();
  for (const op of gp.ops) {
    const s = stats.get(op.layer);
    // a per-channel product's first op spreads its gate: the layer is named by the product (its label, its map's shapes)
    const named = s !== undefined && !s.op.startsWith('gate-spread');
    stats.set(op.layer, { op: named ? s.op : op.label, macs: (s?.macs ?? 0) + op.macs, weightBytes: (s?.weightBytes ?? 0) + op.weights, shape: named ? s.shape : `${shapeText(gp.tensors.get(op.terms[0]!.src)!)}→${shapeText(gp.tensors.get(op.out)!)}` });
  }
  return layerNames.map((name) => ({ name, ...stats.get(name)! }));
}

/** The on-chip buffers' regions, from the high-water marks of the emission. */
function bufferMap(st: EmitState, R: number): Region[] {
  return [
    { space: 'act', name: 'input windows', start: 0, size: st.maxAct },
    { space: 'wgt', name: `weight tiles (${st.wgtSlotsUsed} slot${st.wgtSlotsUsed > 1 ? 's' : ''})`, start: 0, size: st.wgtSlotsUsed * R },
    // two acc banks (accBanks 2): the odd column tiles' slot starts the upper half (two slots a bank where they fit: lower-tile-choice.ts accSlotsOf)
    ...(st.secondAcc !== Infinity
      ? [
          { space: 'acc' as const, name: st.accPerBank > 1 ? 'accumulators (even slots)' : 'accumulators (even slot)', start: 0, size: st.accSpan[0] },
          { space: 'acc' as const, name: st.accPerBank > 1 ? 'accumulators (odd slots, the upper bank)' : 'accumulators (odd slot, the upper bank)', start: st.secondAcc, size: st.accSpan[1] },
        ]
      : [{ space: 'acc' as const, name: 'accumulators (2 slots)', start: 0, size: 2 * st.maxRows }]),
    ...(st.tableSpan[1] > 0 ? [{ space: 'acc' as const, name: 'activation step tables (after the slots)', start: st.tableSpan[0], size: st.tableSpan[1] - st.tableSpan[0] }] : []),
    { space: 'qnt', name: `requant params (${st.qntSlots} slots)`, start: 0, size: st.qntSlots },
    { space: 'out', name: 'threshold output (2 slots)', start: 0, size: 2 * st.maxRows },
  ];
}

/** A layer's per-sample shape (a batch's lines are its samples). */
function shapeText(t: PhysicalTensor): string {
  const h = t.samples?.lines ?? t.h;
  return h === 1 && t.w === 1 ? `${t.c}` : `${h}x${t.w}x${t.c}`;
}
