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

/**
 * Per memory cell: the latest reader and writer index on each unit (-1: none). SRAM cells are buffer
 * entries, kept as ranges (one RangeMax per slot: instructions touch whole ranges, and an index
 * recorded later is always larger); DRAM cells are whole regions (one per name).
 */
class HazardTracker {
  private readonly sram = new Map<string, RangeMax[]>();
  private readonly dram: Int32Array;
  private readonly regionSlot: number[];
  constructor(private readonly dramRegions: readonly Region[], private readonly cfg: ArrayConfig) {
    const slotOfName = new Map<string, number>();
    this.regionSlot = dramRegions.map((r) => {
      let slot = slotOfName.get(r.name);
      if (slot === undefined) slotOfName.set(r.name, (slot = slotOfName.size));
      return slot;
    });
    this.dram = new Int32Array(slotOfName.size * SLOTS).fill(-1);
  }

  private slotsOf(space: string): RangeMax[] {
    let slots = this.sram.get(space);
    if (slots === undefined) {
      const depth = (this.cfg as unknown as Record<string, number>)[`${space}Depth`] ?? 1;
      this.sram.set(space, (slots = Array.from({ length: SLOTS }, () => new RangeMax(depth))));
    }
    return slots;
  }

  /** Visit the cell of every DRAM region a DRAM access overlaps. */
  private forRegions(a: Access, visit: (at: number) => void): void {
    this.dramRegions.forEach((r, i) => {
      if (r.start < a.end && a.start < r.start + r.size) visit(this.regionSlot[i]! * SLOTS);
    });
  }

  /** Latest conflicting index per unit for an instruction with these accesses. */
  needs(accesses: readonly Access[]): Record<Worker, number> {
    const need = [-1, -1, -1];
    for (const a of accesses) {
      const first = a.write ? 0 : WRITER;
      if (a.space === 'dram') {
        const t = this.dram;
        this.forRegions(a, (at) => {
          for (let s = first; s < SLOTS; s++) need[s % WRITER] = Math.max(need[s % WRITER]!, t[at + s]!);
        });
      } else if (a.end > a.start) {
        const slots = this.slotsOf(a.space);
        for (let s = first; s < SLOTS; s++) need[s % WRITER] = Math.max(need[s % WRITER]!, slots[s]!.query(a.start, a.end));
      }
    }
    return { load: need[0]!, compute: need[1]!, store: need[2]! };
  }

  record(accesses: readonly Access[], unit: Worker, index: number): void {
    const slot = WORK_UNITS.indexOf(unit);
    for (const a of accesses) {
      const s = (a.write ? WRITER : 0) + slot;
      if (a.space === 'dram') this.forRegions(a, (at) => (this.dram[at + s] = index));
      else if (a.end > a.start) this.slotsOf(a.space)[s]!.raise(a.start, a.end, index);
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
