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
import { NO_TOKENS, WORK_UNITS, type Instruction, type Unit, type WorkUnit } from '../isa/spec.js';
import { UNIT_OF } from '../isa/ops/index.js';

export interface Tagged {
  readonly insn: Instruction;
  readonly layer: number;
}

/** Move each load up past compute/store instructions it does not conflict with (never past a load). */
export function hoistLoads(list: readonly Tagged[], cfg: ArrayConfig, window = 64): Tagged[] {
  const out: Tagged[] = [];
  const acc = new Map<Tagged, Access[]>();
  const accessOf = (t: Tagged): Access[] => {
    let a = acc.get(t);
    if (a === undefined) acc.set(t, (a = accessesOf(t.insn, cfg)));
    return a;
  };
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

/** Per memory cell: the latest reader and writer index on each unit. DRAM cells are whole regions. */
class HazardTracker {
  private readonly cells = new Map<string, { r: Record<Worker, number>; w: Record<Worker, number> }>();
  constructor(private readonly dramRegions: readonly Region[]) {}

  private keys(a: Access): string[] {
    if (a.space === 'dram') {
      return this.dramRegions.filter((r) => r.start < a.end && a.start < r.start + r.size).map((r) => `dram:${r.name}`);
    }
    const keys: string[] = [];
    for (let e = a.start; e < a.end; e++) keys.push(`${a.space}:${e}`);
    return keys;
  }

  /** Latest conflicting index per unit for an instruction with these accesses. */
  needs(accesses: readonly Access[]): Record<Worker, number> {
    const need = { load: -1, compute: -1, store: -1 };
    for (const a of accesses) {
      for (const k of this.keys(a)) {
        const c = this.cells.get(k);
        if (c === undefined) continue;
        for (const u of WORK_UNITS) need[u] = Math.max(need[u], c.w[u], a.write ? c.r[u] : -1);
      }
    }
    return need;
  }

  record(accesses: readonly Access[], unit: Worker, index: number): void {
    for (const a of accesses) {
      for (const k of this.keys(a)) {
        let c = this.cells.get(k);
        if (c === undefined) this.cells.set(k, (c = { r: { load: -1, compute: -1, store: -1 }, w: { load: -1, compute: -1, store: -1 } }));
        (a.write ? c.w : c.r)[unit] = index;
      }
    }
  }
}

type Mutable = { -readonly [K in keyof Instruction]: Instruction[K] } & Record<string, unknown>;

/** Insert tokens (and sync instructions for load⇄store) into a sequential list; append halt. */
export function insertTokens(list: readonly Tagged[], cfg: ArrayConfig, dramRegions: readonly Region[]): Tagged[] {
  const out: { insn: Mutable; layer: number }[] = [];
  const unitOf = (i: number): Worker => UNIT_OF[out[i]!.insn.op] as Worker;
  const tracker = new HazardTracker(dramRegions);
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
  for (const t of list) {
    const insn = { ...t.insn, ...NO_TOKENS } as Mutable;
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch') throw internal('halt inside the instruction list');
    const accesses = accessesOf(insn as Instruction, cfg);
    const need = tracker.needs(accesses);
    const far: Worker | null = unit === 'load' ? 'store' : unit === 'store' ? 'load' : null;
    if (far !== null && need[far] > covered[unit][far] && need[far] > covered.compute[far]) {
      // route the far dependency through a compute-unit sync placed just before this instruction
      const sync = { op: 'sync', ...NO_TOKENS } as Mutable;
      out.push({ insn: sync, layer: t.layer });
      link(need[far], sync, 'compute');
      need.compute = Math.max(need.compute, out.length - 1);
    } else if (far !== null && need[far] > covered[unit][far]) {
      need.compute = Math.max(need.compute, covered.compute[far] >= need[far] ? lastComputeAfter(out, need[far]) : -1);
    }
    for (const pu of WORK_UNITS) {
      if (pu === unit || pu === far) continue;
      if (need[pu] > covered[unit][pu]) link(need[pu], insn, unit);
    }
    if (far !== null) covered[unit][far] = Math.max(covered[unit][far], need[far]);
    out.push({ insn, layer: t.layer });
    tracker.record(accesses, unit, out.length - 1);
  }
  out.push({ insn: { op: 'halt', ...NO_TOKENS } as Mutable, layer: out[out.length - 1]?.layer ?? 0 });
  return out.map((o) => ({ insn: o.insn as Instruction, layer: o.layer }));
}

/** The latest compute instruction: once compute has waited for a producer, its later work is after it. */
function lastComputeAfter(out: readonly { insn: Mutable }[], producer: number): number {
  for (let i = out.length - 1; i > producer; i--) if (UNIT_OF[out[i]!.insn.op] === 'compute') return i;
  return -1;
}
