// SPDX-License-Identifier: MIT
/**
 * Scheduling: reorder loads so DMA runs ahead of compute, then insert the dependency tokens that
 * make concurrent execution equal to sequential execution, then append halt.
 *
 * Token rule: instruction j on unit U depends on the latest earlier instruction i on unit X that
 * touches an overlapping address (RAW, WAR, WAW). Every pair of units exchanges a token directly
 * (the units form a ring, load → compute → store → load: isa/spec.ts): i pushes, j pops. A load of
 * what a store wrote waits for that store alone, not for a compute-unit `sync` after every earlier
 * compute instruction. Because pops and pushes on a channel pair up in program order, every pusher
 * precedes its popper and the program cannot deadlock.
 */
import { internal } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import { accessesOf, type Access } from '../isa/effects.js';
import type { Region } from '../isa/program.js';
import { NO_TOKENS, WORK_UNITS, type Instruction } from '../isa/spec.js';
import { UNIT_OF } from '../isa/ops/index.js';
import { RangeMax } from './range-max.js';
import { countAtMost } from './sorted.js';

export interface Tagged {
  readonly insn: Instruction;
  readonly layer: number;
}

/** Whether b must wait for a (RAW, WAR or WAW on an overlapping range): isa/effects.ts `conflicts`, in loops. */
function conflicting(a: readonly Access[], b: readonly Access[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    for (let j = 0; j < b.length; j++) {
      const y = b[j]!;
      if ((x.write || y.write) && x.space === y.space && x.start < y.end && y.start < x.end) return true;
    }
  }
  return false;
}

/**
 * Hoisted loads that may gather right before a compute or store instruction (the loads emitted
 * there do not count). Fetch is in program order and stops while the load queue is full, so every
 * load moved ahead of a matmul also holds that matmul's fetch back until the load unit reaches it:
 * loads piled before the first matmul (the next column tiles' constants, the next tile's windows)
 * kept it waiting for them, and loads waiting for a threshold to free their slot kept the matmuls
 * behind them from streaming. With two, the load unit still runs ahead (each instruction takes two
 * more), and no program of bench/scale-sim.mjs or bench/conv-efficiency.mjs on the default machine
 * got slower; ResNet-18 Conv3_s on 32x32 (matched, two acc banks) takes 7,314 cycles, 8,823 without
 * the limit. With one, the MNIST CNN got slower (8,781 → 8,918 matched); counting the emitted loads
 * too, AlexNet's features with 64 kB buffers did (2,127,971 → 2,137,190; 2,129,931 as it is).
 */
const HOIST_RUN = 2;

/**
 * Hoisting, one instruction at a time: each load moves up past compute/store instructions it does
 * not conflict with (never past a load, nor past one with HOIST_RUN hoisted loads right before it), at most
 * `window` places. `final` gets the instructions (each with its layer)
 * in their hoisted order, each (with its accesses) as soon as nothing can move before it any more —
 * window places behind the end — so only the last window of them are held here.
 */
function hoister(window: number, accessesOf: (insn: Instruction) => readonly Access[], final: (insn: Instruction, layer: number, accesses: readonly Access[]) => void): { push(insn: Instruction, layer: number): void; end(): void } {
  // the held instructions are [head, length) of four parallel arrays (no record per instruction):
  // leaving is head++ (a shift() of each array moved the window's 64 entries every time, a tenth of
  // `lower` at 2x2), and the left part is cut off now and then
  const pending: (Instruction | null)[] = [];
  const layers: number[] = [];
  const pendingAccesses: ((readonly Access[]) | null)[] = [];
  const moved: boolean[] = [];
  let head = 0;
  return {
    push(insn, layer) {
      const mine = accessesOf(insn);
      let at = pending.length;
      if (insn.op === 'load') {
        while (at > head && pending.length - at < window) {
          if (pending[at - 1]!.op === 'load' || conflicting(pendingAccesses[at - 1]!, mine)) break;
          if (hoistedBefore(pending, moved, head, at - 1, HOIST_RUN) >= HOIST_RUN) break;
          at--;
        }
      }
      if (at === pending.length) (pending.push(insn), layers.push(layer), pendingAccesses.push(mine), moved.push(false));
      else (pending.splice(at, 0, insn), layers.splice(at, 0, layer), pendingAccesses.splice(at, 0, mine), moved.splice(at, 0, true));
      // a later load lands at most window − 1 places behind the end
      if (pending.length - head > window) {
        const first = pending[head]!;
        const firstAccesses = pendingAccesses[head]!;
        pending[head] = null;
        pendingAccesses[head] = null;
        const firstLayer = layers[head++]!;
        if (head >= CUT_AT) (pending.splice(0, head), layers.splice(0, head), pendingAccesses.splice(0, head), moved.splice(0, head), (head = 0));
        final(first, firstLayer, firstAccesses);
      }
    },
    end() {
      for (let i = head; i < pending.length; i++) final(pending[i]!, layers[i]!, pendingAccesses[i]!);
      pending.length = 0;
      layers.length = 0;
      pendingAccesses.length = 0;
      moved.length = 0;
      head = 0;
    },
  };
}

/** How many instructions the hoister lets leave before it cuts them off its arrays. */
const CUT_AT = 4096;

/** How many hoisted loads (at most `most`) the run of loads right before pending[i] holds (`moved`: pending[j] was hoisted; the held ones start at `head`). */
function hoistedBefore(pending: readonly (Instruction | null)[], moved: readonly boolean[], head: number, i: number, most: number): number {
  let n = 0;
  for (let j = i - 1; n < most && j >= head && pending[j]!.op === 'load'; j--) if (moved[j]) n++;
  return n;
}

/** Move each load up past compute/store instructions it does not conflict with (never past a load). */
export function hoistLoads(list: readonly Tagged[], cfg: ArrayConfig, window = 64): Tagged[] {
  const out: Tagged[] = [];
  const h = hoister(window, (insn) => accessesOf(insn, cfg), (insn, layer) => void out.push({ insn, layer }));
  for (const t of list) h.push(t.insn, t.layer);
  h.end();
  return out;
}

/** A scheduled program: its instructions and each one's layer. */
export interface Scheduled {
  readonly instructions: readonly Instruction[];
  readonly layers: readonly number[];
}

/**
 * Loads hoisted, then tokens inserted, then halt, in one pass as the instructions arrive (`push`,
 * then `finish`): each instruction's accesses are computed once for both, and neither it nor they
 * outlive the hoisting window (a 2×2 array's half million instructions would otherwise all stay
 * alive, twice over with their copies, for the collector to trace).
 */
export function scheduler(cfg: ArrayConfig, dramRegions: readonly Region[], window = 64): { push(insn: Instruction, layer: number): void; finish(): Scheduled } {
  // the instructions pushed are the scheduler's from then on (the emitter's fresh literals): their
  // token flags are set in place, no copy of each
  const tokens = tokenInserter(cfg, dramRegions, true);
  const h = hoister(window, (insn) => accessesOf(insn, cfg), tokens.add);
  return {
    push: h.push,
    finish() {
      h.end();
      return tokens.finish();
    },
  };
}

/** Slots per memory cell: the latest reader on load, compute, store, then the latest writer on each. */
const SLOTS = 6;
const WRITER = 3;

/** DRAM is tracked in runs of this many bytes of one region (a run never spans two regions)… */
export const DRAM_RUN_BYTES = 64;
/** … or of a larger power of two, so that the cells stay at most this many (their range trees' memory). */
const MAX_DRAM_CELLS = 1 << 18;

/**
 * DRAM cells: every region cut into runs of `run` bytes, numbered in address order, so an access
 * [start, end) covers one range of cells — a tile's lines of a tensor conflict with the
 * instructions that touch those lines, not with every one that touches the tensor (the next layer's
 * first tile waits for the stores of the lines it reads, not for the whole map; 4 kB runs still
 * made an add's stores wait for the next layer's window load beside them). Bytes outside every
 * region (alignment gaps) belong to the run after them.
 */
class DramCells {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly base: number[] = [];
  readonly count: number;
  private readonly run: number;
  constructor(regions: readonly Region[]) {
    // overlapping regions (a test's whole-DRAM region over the named ones) merge into one span
    const sorted = [...regions].filter((r) => r.size > 0).sort((x, y) => x.start - y.start);
    for (const r of sorted) {
      const last = this.ends.length - 1;
      if (last >= 0 && r.start < this.ends[last]!) this.ends[last] = Math.max(this.ends[last]!, r.start + r.size);
      else (this.starts.push(r.start), this.ends.push(r.start + r.size));
    }
    let bytes = 0;
    for (let i = 0; i < this.starts.length; i++) bytes += this.ends[i]! - this.starts[i]!;
    let run = DRAM_RUN_BYTES;
    while (bytes / run > MAX_DRAM_CELLS) run *= 2;
    this.run = run;
    let cells = 0;
    for (let i = 0; i < this.starts.length; i++) {
      this.base.push(cells);
      cells += Math.ceil((this.ends[i]! - this.starts[i]!) / run);
    }
    this.count = Math.max(1, cells);
  }

  /** The cell holding byte `at`: its span's run, or the first cell of the span after a gap. */
  private cellOf(at: number): number {
    const s = this.starts;
    // the last span starting at or before `at`
    const i = countAtMost(s, at) - 1;
    if (i < 0) return 0;
    if (at >= this.ends[i]!) return i + 1 < s.length ? this.base[i + 1]! : this.count - 1;
    return Math.min(this.count - 1, this.base[i]! + Math.floor((at - s[i]!) / this.run));
  }

  /** The first cell an access's bytes [start, end) touch. */
  first(start: number): number {
    return this.cellOf(start);
  }

  /** The last cell an access's bytes [start, end) touch. */
  last(end: number): number {
    return this.cellOf(end - 1);
  }
}

/** Work units by number: WORK_UNITS' order (load 0, compute 1, store 2), −1 for fetch. */
const UNIT_NUMBER: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(UNIT_OF).map(([op, u]) => [op, (WORK_UNITS as readonly string[]).indexOf(u)]));

/** One memory space's cells: its tree of six slots and how an address maps to a cell. */
interface Space {
  readonly tree: RangeMax;
  readonly cells: DramCells | null;
}

/**
 * Per memory cell: the latest reader and writer index on each unit (-1: none), kept as ranges (one
 * RangeMax of six slots per space: instructions touch whole ranges, and an index recorded later is
 * always larger). SRAM cells are buffer entries; DRAM cells are runs of its regions (DramCells).
 */
class HazardTracker {
  private readonly spaces = new Map<string, Space>();
  private readonly slotMax = new Int32Array(SLOTS);
  /** The latest conflicting index per unit (load, compute, store) of the last `needs`. */
  readonly need = new Int32Array(3);
  constructor(private readonly dramRegions: readonly Region[], private readonly cfg: ArrayConfig) {}

  private spaceOf(name: string): Space {
    let space = this.spaces.get(name);
    if (space === undefined) {
      if (name === 'dram') {
        const cells = new DramCells(this.dramRegions);
        space = { tree: new RangeMax(cells.count, SLOTS), cells };
      } else {
        const depth = (this.cfg as unknown as Record<string, number>)[`${name}Depth`] ?? 1;
        space = { tree: new RangeMax(depth, SLOTS), cells: null };
      }
      this.spaces.set(name, space);
    }
    return space;
  }

  /** Fills `need` for an instruction with these accesses. */
  needs(accesses: readonly Access[]): void {
    const need = this.need;
    need.fill(-1);
    const m = this.slotMax;
    for (let i = 0; i < accesses.length; i++) {
      const a = accesses[i]!;
      if (a.end <= a.start) continue;
      const { tree, cells } = this.spaceOf(a.space);
      // a read waits for writers only
      const first = a.write ? 0 : WRITER;
      if (cells === null) tree.queryAll(a.start, a.end, m, first);
      else tree.queryAll(cells.first(a.start), cells.last(a.end) + 1, m, first);
      for (let s = first; s < SLOTS; s++) {
        const u = s % WRITER;
        if (m[s]! > need[u]!) need[u] = m[s]!;
      }
    }
  }

  record(accesses: readonly Access[], unit: number, index: number): void {
    for (let i = 0; i < accesses.length; i++) {
      const a = accesses[i]!;
      if (a.end <= a.start) continue;
      const { tree, cells } = this.spaceOf(a.space);
      const slot = (a.write ? WRITER : 0) + unit;
      if (cells === null) tree.raise(a.start, a.end, index, slot);
      else tree.raise(cells.first(a.start), cells.last(a.end) + 1, index, slot);
    }
  }
}

type Mutable = { -readonly [K in keyof Instruction]: Instruction[K] } & Record<string, unknown>;

/** Insert tokens into a sequential list; append halt. */
export function insertTokens(list: readonly Tagged[], cfg: ArrayConfig, dramRegions: readonly Region[]): Tagged[] {
  const tokens = tokenInserter(cfg, dramRegions);
  for (const t of list) tokens.add(t.insn, t.layer, accessesOf(t.insn, cfg));
  const { instructions, layers } = tokens.finish();
  return instructions.map((insn, i) => ({ insn, layer: layers[i]! }));
}

/** Token insertion one instruction at a time (`add`, with the instruction's accesses), then halt (`finish`). */
function tokenInserter(cfg: ArrayConfig, dramRegions: readonly Region[], owned = false): { add(insn: Instruction, layer: number, accesses: readonly Access[]): void; finish(): Scheduled } {
  const out: Mutable[] = [];
  const layers: number[] = [];
  const units: number[] = [];
  const tracker = new HazardTracker(dramRegions, cfg);
  const need = tracker.need;
  // covered[consumer · 3 + producer]: the latest producer index the consumer unit has already waited for
  const covered = new Int32Array(9).fill(-1);
  // the flags of a token from unit pu to unit cu: on the ring load → compute → store → load, the
  // producer pushes toward its next unit when the consumer is that unit, else toward its previous
  const link = (producer: number, consumer: Mutable, cu: number): void => {
    const pu = units[producer]!;
    const p = out[producer]!;
    if (cu === (pu + 1) % 3) (p.pushNext = true), (consumer.popPrev = true);
    else (p.pushPrev = true), (consumer.popNext = true);
    covered[cu * 3 + pu] = producer;
  };
  const add = (src: Instruction, layer: number, mine: readonly Access[]): void => {
    // (the same object as { ...src, ...NO_TOKENS } when src has every flag, all false: a plain copy is
    // cheaper, and src itself when it is ours to change)
    const noTokens = src.popPrev === false && src.popNext === false && src.pushPrev === false && src.pushNext === false;
    const insn = (noTokens ? (owned ? src : { ...src }) : { ...src, ...NO_TOKENS }) as Mutable;
    const unit = UNIT_NUMBER[insn.op]!;
    if (unit < 0) throw internal('halt inside the instruction list');
    // the list's instructions carry no tokens yet, and tokens change no access
    tracker.needs(mine);
    for (let pu = 0; pu < 3; pu++) if (pu !== unit && need[pu]! > covered[unit * 3 + pu]!) link(need[pu]!, insn, unit);
    out.push(insn);
    layers.push(layer);
    units.push(unit);
    tracker.record(mine, unit, out.length - 1);
  };
  const finish = (): Scheduled => {
    out.push({ op: 'halt', ...NO_TOKENS } as Mutable);
    layers.push(layers[layers.length - 1] ?? 0);
    return { instructions: out as Instruction[], layers };
  };
  return { add, finish };
}
