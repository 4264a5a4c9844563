// SPDX-License-Identifier: MIT
/**
 * Scheduling: reorder loads so DMA runs ahead of compute, then insert the dependency tokens that
 * make concurrent execution equal to sequential execution, then append halt.
 *
 * Token rule: instruction j on unit U depends on the latest earlier instruction i on unit X that
 * touches an overlapping address (RAW, WAR, WAW). Adjacent units (load⇄compute⇄store) exchange a
 * token directly: i pushes, j pops. Load⇄store dependencies go through a `sync` inserted before j.
 * Because pops and pushes on a channel pair up in program order, every pusher precedes its popper
 * and the program cannot deadlock.
 */
import { internal } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import { accessesOf, conflicts, type Access } from '../isa/effects.js';
import type { Region } from '../isa/program.js';
import { NO_TOKENS, WORK_UNITS, type Instruction, type WorkUnit } from '../isa/spec.js';
import { UNIT_OF } from '../isa/ops/index.js';
import { RangeMax } from './range-max.js';

export interface Tagged {
  readonly insn: Instruction;
  readonly layer: number;
}

/** Each instruction's accesses (isa/effects.ts), computed once per instruction object. */
export type AccessMemo = (insn: Instruction) => Access[];

export function accessMemo(cfg: ArrayConfig): AccessMemo {
  const known = new Map<Instruction, Access[]>();
  return (insn) => {
    let a = known.get(insn);
    if (a === undefined) known.set(insn, (a = accessesOf(insn, cfg)));
    return a;
  };
}

/** Move each load up past compute/store instructions it does not conflict with (never past a load). */
export function hoistLoads(list: readonly Tagged[], cfg: ArrayConfig, window = 64, accesses: AccessMemo = accessMemo(cfg)): Tagged[] {
  const out: Tagged[] = [];
  const accessOf = (t: Tagged): Access[] => accesses(t.insn);
  for (const t of list) {
    let at = out.length;
    if (t.insn.op === 'load') {
      const mine = accessOf(t);
      while (at > 0 && out.length - at < window) {
        const prev = out[at - 1]!;
        if (prev.insn.op === 'load' || conflicts(accessOf(prev), mine)) break;
        at--;
      }
    }
    out.splice(at, 0, t);
  }
  return out;
}

type Worker = WorkUnit;

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
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    // lo − 1: the last span starting at or before `at`
    const i = lo - 1;
    if (i < 0) return 0;
    if (at >= this.ends[i]!) return i + 1 < s.length ? this.base[i + 1]! : this.count - 1;
    return Math.min(this.count - 1, this.base[i]! + Math.floor((at - s[i]!) / this.run));
  }

  /** The cells [first, last + 1) an access's bytes [start, end) touch. */
  range(start: number, end: number): [number, number] {
    return [this.cellOf(start), this.cellOf(end - 1) + 1];
  }
}

/**
 * Per memory cell: the latest reader and writer index on each unit (-1: none), kept as ranges (one
 * RangeMax per slot: instructions touch whole ranges, and an index recorded later is always larger).
 * SRAM cells are buffer entries; DRAM cells are runs of its regions (DramCells).
 */
class HazardTracker {
  private readonly sram = new Map<string, RangeMax[]>();
  private readonly dram: RangeMax[];
  private readonly cells: DramCells;
  constructor(dramRegions: readonly Region[], private readonly cfg: ArrayConfig) {
    this.cells = new DramCells(dramRegions);
    this.dram = Array.from({ length: SLOTS }, () => new RangeMax(this.cells.count));
  }

  private slotsOf(a: Access): { slots: RangeMax[]; from: number; to: number } {
    if (a.space === 'dram') {
      const [from, to] = this.cells.range(a.start, a.end);
      return { slots: this.dram, from, to };
    }
    let slots = this.sram.get(a.space);
    if (slots === undefined) {
      const depth = (this.cfg as unknown as Record<string, number>)[`${a.space}Depth`] ?? 1;
      this.sram.set(a.space, (slots = Array.from({ length: SLOTS }, () => new RangeMax(depth))));
    }
    return { slots, from: a.start, to: a.end };
  }

  /** Latest conflicting index per unit for an instruction with these accesses. */
  needs(accesses: readonly Access[]): Record<Worker, number> {
    const need = [-1, -1, -1];
    for (const a of accesses) {
      if (a.end <= a.start) continue;
      const first = a.write ? 0 : WRITER;
      const { slots, from, to } = this.slotsOf(a);
      for (let s = first; s < SLOTS; s++) need[s % WRITER] = Math.max(need[s % WRITER]!, slots[s]!.query(from, to));
    }
    return { load: need[0]!, compute: need[1]!, store: need[2]! };
  }

  record(accesses: readonly Access[], unit: Worker, index: number): void {
    const slot = WORK_UNITS.indexOf(unit);
    for (const a of accesses) {
      if (a.end <= a.start) continue;
      const { slots, from, to } = this.slotsOf(a);
      slots[(a.write ? WRITER : 0) + slot]!.raise(from, to, index);
    }
  }
}

type Mutable = { -readonly [K in keyof Instruction]: Instruction[K] } & Record<string, unknown>;

/** Insert tokens (and sync instructions for load⇄store) into a sequential list; append halt. */
export function insertTokens(list: readonly Tagged[], cfg: ArrayConfig, dramRegions: readonly Region[], accessesOfInsn: AccessMemo = accessMemo(cfg)): Tagged[] {
  const out: { insn: Mutable; layer: number }[] = [];
  const unitOf = (i: number): Worker => UNIT_OF[out[i]!.insn.op] as Worker;
  const tracker = new HazardTracker(dramRegions, cfg);
  // covered[consumer][producer]: the latest producer index the consumer unit has already waited for
  const covered: Record<Worker, Record<Worker, number>> = {
    load: { load: -1, compute: -1, store: -1 },
    compute: { load: -1, compute: -1, store: -1 },
    store: { load: -1, compute: -1, store: -1 },
  };
  const link = (producer: number, consumer: Mutable, cu: Worker): void => {
    const pu = unitOf(producer);
    const p = out[producer]!.insn;
    if (cu === 'compute') {
      if (pu === 'load') (p.pushNext = true), (consumer.popPrev = true);
      else (p.pushPrev = true), (consumer.popNext = true);
    } else if (cu === 'load') (p.pushPrev = true), (consumer.popNext = true);
    else (p.pushNext = true), (consumer.popPrev = true);
    covered[cu][pu] = producer;
  };
  let lastCompute = -1;
  for (const t of list) {
    const insn = { ...t.insn, ...NO_TOKENS } as Mutable;
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch') throw internal('halt inside the instruction list');
    // the list's instructions carry no tokens yet, and tokens change no access
    const accesses = accessesOfInsn(t.insn);
    const need = tracker.needs(accesses);
    const far: Worker | null = unit === 'load' ? 'store' : unit === 'store' ? 'load' : null;
    if (far !== null && need[far] > covered[unit][far] && need[far] > covered.compute[far]) {
      // route the far dependency through a compute-unit sync placed just before this instruction
      const sync = { op: 'sync', ...NO_TOKENS } as Mutable;
      out.push({ insn: sync, layer: t.layer });
      lastCompute = out.length - 1;
      link(need[far], sync, 'compute');
      need.compute = Math.max(need.compute, out.length - 1);
    } else if (far !== null && need[far] > covered[unit][far]) {
      need.compute = Math.max(need.compute, covered.compute[far] >= need[far] && lastCompute > need[far] ? lastCompute : -1);
    }
    for (const pu of WORK_UNITS) {
      if (pu === unit || pu === far) continue;
      if (need[pu] > covered[unit][pu]) link(need[pu], insn, unit);
    }
    if (far !== null) covered[unit][far] = Math.max(covered[unit][far], need[far]);
    out.push({ insn, layer: t.layer });
    if (unit === 'compute') lastCompute = out.length - 1;
    tracker.record(accesses, unit, out.length - 1);
  }
  out.push({ insn: { op: 'halt', ...NO_TOKENS } as Mutable, layer: out[out.length - 1]?.layer ?? 0 });
  return out.map((o) => ({ insn: o.insn as Instruction, layer: o.layer }));
}
