// SPDX-License-Identifier: MIT
/** The emitter's state carried from op to op, and the acc and wgt slots it hands out (lower-emit.ts). */
import { accSplit, type ArrayConfig } from '../isa/config.js';
import { dmaCycles } from '../isa/ops/dma.js';
import { matmulIssueInterval } from '../isa/ops/matmul.js';
import { LOAD_BUFFERS, type Instruction } from '../isa/spec.js';

export type Emit = (insn: Instruction) => void;

/**
 * A load with no tokens, its flags spelled out rather than spread from NO_TOKENS: V8 keeps the
 * fields after a spread in a separate property array (one more allocation per instruction, and
 * slower reads in every pass after: 2×2 arrays make half a million).
 */
export function loadInsn(buf: number, sram: number, rows: number, dram: number, stride: number): Instruction {
  return { op: 'load', popPrev: false, popNext: false, pushPrev: false, pushNext: false, buf, sram, rows, dram, stride };
}

/** Buffer high-water marks and slot counters carried from op to op (the memory map reports them). */
export interface EmitState {
  wgtTile: number;
  colTile: number;
  maxAct: number;
  maxRows: number;
  tableSpan: [number, number];
  /** The acc entry the odd column tiles' slot starts at on a machine with two acc banks (Infinity: none did). */
  secondAcc: number;
  /** The most acc slots of maxRows entries per bank any op took (accSlotsOf: 2 with two banks and room, else 1). */
  accPerBank: number;
  /**
   * With two acc banks: the most entries from the start of each bank (lower, upper) any op's slots
   * took — not accPerBank · maxRows: the op with four small slots and the op with two large ones differ.
   */
  accSpan: [number, number];
  /** The acc rows [start, end) of the last two column tiles emitted (when an op starts, the previous op's: their thresholds may still run). */
  lastAcc: [number, number][];
  /** The act entries [start, end) of the last tile's windows an op emitted (its matmuls may still read them when the next op's first windows load). */
  lastAct: [number, number];
  /** The wgt slots the current op's weight tiles cycle through (weightRing; set per op). */
  wgtSlots: number;
  /** The most wgt slots any op's ring took (the memory map's weight region). */
  wgtSlotsUsed: number;
  readonly qntSlots: number;
  /** Whether an op of one matmul per column tile may put its thresholds beside (lower-tile-choice.ts chooseLines; lower.ts tries both). */
  readonly oneMatmulBeside: boolean;
  /** Whether some op did. */
  usedOneMatmulBeside: boolean;
  /** The DRAM address of the constant tile each wgt slot holds (-1: activations); holdInSlot keeps it. */
  readonly slotTile: number[];
  /** slotTile backwards: the slot holding each constant tile's address (a search of a 2×2 array's 512 slots per matmul was a twentieth of `lower`). */
  readonly slotOfTile: Map<number, number>;
  /** Each constant tile's rows up to its last non-zero one, by DRAM address (lower-constants.ts PlacedTile). */
  readonly tileRows: ReadonlyMap<number, number>;
}

/** Wgt slot `slot` now holds the constant tile at DRAM `address` (-1: activations). */
export function holdInSlot(st: EmitState, slot: number, address: number): void {
  const old = st.slotTile[slot];
  if (old !== undefined && old >= 0 && st.slotOfTile.get(old) === slot) st.slotOfTile.delete(old);
  st.slotTile[slot] = address;
  if (address >= 0) st.slotOfTile.set(address, slot);
}

/** Record that an op's acc slots take `lower` entries from the start of the lower bank and `upper` from the upper one's (two banks). */
export function spanAcc(st: EmitState, lower: number, upper: number): void {
  st.accSpan = [Math.max(st.accSpan[0], lower), Math.max(st.accSpan[1], upper)];
}

/**
 * The acc entry of an odd column tile's slot: the upper half's first entry on a machine with two
 * acc banks (accBanks 2), so the threshold of one column tile reads one bank while the next one's
 * matmuls stream into the other beside it (timing.ts accBanksApart), else right after the even
 * slot's `size` entries. A step table's slots stay packed (table mode lets no matmul in).
 */
export function oddAccSlot(size: number, table: boolean, cfg: ArrayConfig, st: EmitState): number {
  if (cfg.accBanks !== 2 || table) return size;
  st.secondAcc = accSplit(cfg);
  return st.secondAcc;
}

/**
 * The wgt entry of the slot holding the constant tile at DRAM `ahead[from]`, loading it if no slot
 * does: a tile a slot already holds (the same diagonal tile of every term of a pooling, add or
 * copy) is not loaded again, as constants never change. A load brings up to `group` tiles at once
 * — the tiles the next matmuls use (`ahead` from `from` on), while they follow each other in DRAM, no slot holds
 * them and the slots after this one take them without wrapping — so the DRAM latency is paid once
 * per group, not once per tile.
 */
export function wgtSlotOf(ahead: readonly number[], from: number, group: number, st: EmitState, R: number, C: number, emit: Emit, stride = C): number {
  const at = ahead[from]!;
  const held = st.slotOfTile.get(at);
  if (held !== undefined) return held * R;
  const first = st.wgtTile % st.wgtSlots;
  let n = 1;
  while (n < group && first + n < st.wgtSlots && ahead[from + n] === at + n * R * C && !st.slotOfTile.has(ahead[from + n]!)) n++;
  // A slot's rows past its tile's last non-zero one hold zeros once a load wrote them; the load of
  // the slot's next tile need not write them again, only the rows either tile may hold a weight in
  // (a 1×1 convolution of 64 channels on 256 rows loads 64 of each tile's 256 rows, the last
  // channel tile of a 3×3 convolution of 64 channels 64 of 256). A slot of unknown contents (never
  // loaded, last holding activations or a computed gate's diagonal) is written whole.
  const rowsOf = (address: number | undefined): number => (address === undefined || address < 0 ? R : (st.tileRows.get(address) ?? R));
  const rows = (n - 1) * R + Math.max(rowsOf(at + (n - 1) * R * C), rowsOf(st.slotTile[first + n - 1]));
  for (let i = 0; i < n; i++) holdInSlot(st, first + i, at + i * R * C);
  st.wgtTile += n;
  emit(loadInsn(LOAD_BUFFERS.wgt, first * R, rows, at, stride));
  return first * R;
}

/** At most this many weight tiles share the wgt buffer where the DRAM latency asks for no more (enough to keep back-to-back matmuls fed on square arrays). */
const WEIGHT_SLOTS = 6;

/**
 * Where the load unit bounds an op's matmuls (a weight tile's transfer alone fills their issue
 * interval), weight tiles go in groups large enough that the DRAM latency is at most this share of
 * a group's transfer: the digits MLP on the default 8x8 machine (latency 20, 8 B/cycle) loads its
 * 784 weight tiles of 8 transfer cycles in groups of 40, where 3 made every tile cost 14.7 cycles.
 */
const LATENCY_SHARE = 16;

/**
 * Weight tiles per load the DRAM latency asks for: enough that it, spread over the group, fits in
 * the matmul issue intervals beside the tiles' own transfer, or, where the transfer alone fills
 * them, is at most 1/LATENCY_SHARE of the group's transfer. One with ideal (zero-latency) DRAM.
 */
function wantedGroup(rows: number, cfg: ArrayConfig): number {
  if (cfg.dramLatency === 0) return 1;
  const transfer = dmaCycles(cfg.rows, cfg.cols, cfg) - cfg.dramLatency;
  const slack = matmulIssueInterval(rows, cfg) - transfer;
  return slack > 0 ? Math.ceil(cfg.dramLatency / slack) : Math.ceil((LATENCY_SHARE * cfg.dramLatency) / transfer);
}

/**
 * The wgt slots an op whose tiles stream `rows` rows cycles its weight tiles through: WEIGHT_SLOTS,
 * or two of the groups the DRAM latency asks for (one loads while the other feeds the array) where
 * that is more, as far as the wgt buffer holds them; no `rows`: WEIGHT_SLOTS (ops that stream
 * activations through the slots). A ring larger than the latency asks for let loads run ahead of
 * the act loads the array waited for: the batch-64 digits MLP on 8x8 took 60,663 → 62,559 cycles
 * with 64 slots for every op.
 */
export function weightRing(cfg: ArrayConfig, rows?: number): number {
  const fit = Math.max(1, Math.floor(cfg.wgtDepth / cfg.rows));
  return Math.min(fit, Math.max(WEIGHT_SLOTS, rows === undefined ? 0 : 2 * wantedGroup(rows, cfg)));
}

/** Set the ring of the op about to be emitted (weightRing), and record the most slots taken. */
export function useWeightRing(st: EmitState, slots: number): void {
  st.wgtSlots = slots;
  st.wgtSlotsUsed = Math.max(st.wgtSlotsUsed, slots);
}

/** Weight tiles per load (wantedGroup), at most half the op's ring, so one group loads while the other feeds the array. */
export function weightGroup(rows: number, cfg: ArrayConfig, st: EmitState): number {
  return Math.max(1, Math.min(Math.floor(st.wgtSlots / 2), wantedGroup(rows, cfg)));
}
