// SPDX-License-Identifier: MIT
/**
 * The cycle semantics of the ISA (docs/hardware.md explains them cycle by cycle): how long each
 * instruction occupies its unit, and the issue rules that turn a Program into exact per-instruction
 * timestamps. This is the single timing definition: the certificate (cost.ts), the simulator's
 * fast mode, and — through co-simulation tests — the RTL are all held to it.
 *
 * Issue rules (f = fetch cycle, s = start, e = end; cycles count from 0 after reset):
 *   f[0] = 0;  f[i] = max(f[i-1] + 1, s[q] + 1)   q = the instruction queueDepth places earlier in
 *                                                 the same unit's queue (a full queue stalls fetch)
 *   s[i] = max(f[i] + 1, e[previous instruction of the same unit], e[p] for each token i pops,
 *              where the k-th pop on a channel takes the token of the k-th push on it)
 *   e[i] = s[i] + duration(i)
 *   total cycles = max(f[halt] + 1, max e[i])
 */
import { internal } from '../diagnostics/error.js';
import type { ArrayConfig } from './config.js';
import { opOf, UNIT_OF } from './ops/index.js';
import { channelOf, type Channel, type Instruction } from './spec.js';

/** Cycles an instruction occupies its unit (its op record's `duration`). */
export function duration(insn: Instruction, cfg: ArrayConfig): number {
  return opOf(insn).duration(insn, cfg);
}

export interface InsnTiming {
  readonly fetch: number;
  readonly start: number;
  readonly end: number;
}

export interface Schedule {
  readonly timings: readonly InsnTiming[];
  readonly cycles: number;
}

/** Exact timestamps of every instruction (no data needed: the program has no data-dependent control). */
export function scheduleTimes(insns: readonly Instruction[], cfg: ArrayConfig): Schedule {
  const timings: InsnTiming[] = [];
  const unitEnd = { load: 0, compute: 0, store: 0, fetch: 0 };
  const unitStarts: Record<string, number[]> = { load: [], compute: [], store: [] };
  const pushTimes: Record<Channel, number[]> = { loadToCompute: [], computeToLoad: [], computeToStore: [], storeToCompute: [] };
  const popCount: Record<Channel, number> = { loadToCompute: 0, computeToLoad: 0, computeToStore: 0, storeToCompute: 0 };
  let prevFetch = -1;
  let cycles = 0;
  for (const insn of insns) {
    const unit = UNIT_OF[insn.op];
    let fetch = prevFetch + 1;
    if (unit !== 'fetch') {
      const starts = unitStarts[unit]!;
      const freed = starts[starts.length - cfg.queueDepth];
      if (freed !== undefined) fetch = Math.max(fetch, freed + 1);
    }
    prevFetch = fetch;
    if (unit === 'fetch') {
      timings.push({ fetch, start: fetch, end: fetch + 1 });
      cycles = Math.max(cycles, fetch + 1);
      continue;
    }
    let start = Math.max(fetch + 1, unitEnd[unit]);
    for (const flag of ['popPrev', 'popNext'] as const) {
      if (!insn[flag]) continue;
      const ch = channelOf(unit, flag);
      const t = pushTimes[ch][popCount[ch]++];
      if (t === undefined) throw internal(`instruction ${timings.length} (${insn.op}) pops ${ch} before any matching push: the program would deadlock`);
      start = Math.max(start, t);
    }
    const end = start + duration(insn, cfg);
    for (const flag of ['pushPrev', 'pushNext'] as const) if (insn[flag]) pushTimes[channelOf(unit, flag)].push(end);
    unitStarts[unit]!.push(start);
    unitEnd[unit] = end;
    timings.push({ fetch, start, end });
    cycles = Math.max(cycles, end);
  }
  return { timings, cycles };
}

