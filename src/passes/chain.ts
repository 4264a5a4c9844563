// SPDX-License-Identifier: MIT
/**
 * Chaining (docs/hardware.md "Chaining"): a matmul that waits for the load whose token it pops may
 * take that token once the load has written its first row (`chain`), its stream following the DMA
 * row by row, where the exact schedule shows it never overtakes (isa/chain.ts). Each round chains the
 * matmuls the current program has waiting for their loads, times the result, and keeps it if it is
 * faster and the race walk's pairs all hold (a refuted chain is not tried again); the next round
 * looks again, since a chained matmul's successor may then wait for its own load.
 */
import { pairProblem } from '../isa/chain.js';
import type { ArrayConfig } from '../isa/config.js';
import { loadBeats } from '../isa/ops/load.js';
import { freezeList } from '../isa/list-memo.js';
import { recentAccesses, rememberRaceFree, unorderedPairs } from '../isa/ordering.js';
import { loadBufferOf, type Instruction, type InstructionOf } from '../isa/spec.js';
import { chainedTokenAt, rememberSchedule, scheduleArrays, type ScheduleArrays } from '../isa/timing.js';
import { countAtMost } from './sorted.js';
import type { Scheduled } from './schedule.js';

/** A chain must start its matmul at least this many cycles sooner to be tried (a load of a few rows gains nothing worth the check). */
const MIN_GAIN = 16;
/** Rounds of growing the chained set (each a schedule and a race walk of the program); a program this long stops at the first that holds. */
const MAX_ROUNDS = 8;
const LONG_PROGRAM = 100_000;
/**
 * A program over this many instructions keeps a round only if it gains at least 1/MIN_SHARE of its
 * cycles: its race walk costs tens of milliseconds or more, and rounds of a few hundredths of a percent
 * (a dense model's weight tiles on 8x8, ResNet-18 on 32x32) took a third of compile() there.
 */
const WALKED_FOR_LITTLE = 10_000;
const MIN_SHARE = 500;

export function chainMatmuls(scheduled: Scheduled, cfg: ArrayConfig): Scheduled {
  const insns = scheduled.instructions;
  // most programs have no load long enough to gain (a small array's weight tiles): no schedule needed
  // (any load: a token may move to the first load of a window loaded line by line)
  if (!insns.some((insn) => insn.op === 'load' && (insn.rows - 1) * loadBeats(insn, cfg) >= MIN_GAIN)) return scheduled;
  const base = scheduleArrays(insns, cfg);
  // the best program so far (the scheduled one, then each round that was faster), its schedule, its chains
  let best: { insns: readonly Instruction[]; s: ScheduleArrays } = { insns, s: base };
  const chained = new Set<number>();
  // a matmul whose token moves to an earlier load since the previous token: the first of its window's
  // loads (a strided window, loaded line by line), or a long load before a short one it waits for (a
  // tile's bias row behind its window); [earlier, popped]
  const moved = new Map<number, readonly [number, number]>();
  const refuted = new Set<number>();
  // matmuls whose chain on the first load of their window was refuted: tried on the loads after it
  const firstRefuted = new Set<number>();
  // a chain lets its matmul start sooner, and the next one may then wait for its own load: grow the
  // set while the schedule shows matmuls waiting for a load's end and the program gets faster
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const adding = waitingForLoads(best.insns, best.s, cfg, firstRefuted).filter(([i]) => !refuted.has(i));
    if (adding.length === 0) break;
    const tryChained = new Set([...chained, ...adding.map(([i]) => i)]);
    const tryMoved = new Map([...moved, ...adding.flatMap(([i, m]) => (m === null ? [] : [[i, m] as const]))]);
    const trial = withChains(insns, tryChained, tryMoved);
    // timed first: a round that gains nothing ends the search before the race walk
    const s = scheduleArrays(trial, cfg);
    const gain = best.s.cycles - s.cycles;
    if (gain <= 0 || (insns.length > WALKED_FOR_LITTLE && gain * MIN_SHARE < best.s.cycles)) break;
    const pairs = unorderedPairs(trial, recentAccesses(trial, cfg));
    if (typeof pairs === 'string') break; // a race chaining cannot cause: left to validation
    // a failing pair is blamed on the latest chain of this round before it (the kept ones held before;
    // if none is before it, on the whole round)
    const fresh = adding.map(([i]) => i); // ascending: waitingForLoads walks the program in order
    const first = new Set(adding.filter(([, , isFirst]) => isFirst).map(([i]) => i));
    let failed = false;
    for (let k = 0; k < pairs.length; k += 2) {
      if (pairProblem(trial, cfg, s, pairs[k]!, pairs[k + 1]!) === null) continue;
      failed = true;
      const blamed = latestAtOrBefore(fresh, pairs[k + 1]!);
      for (const i of blamed < 0 ? fresh : [blamed]) (first.has(i) ? firstRefuted : refuted).add(i);
    }
    // not kept: the next round tries the rest again from the last program that held
    if (failed) continue;
    best = { insns: trial, s };
    for (const i of tryChained) chained.add(i);
    for (const [i, m] of tryMoved) moved.set(i, m);
    // a long program (a small array's weight tiles: 250,000 instructions for a 1M-parameter dense model
    // on 2x2) stops at its first round that holds: a round costs it about half a second, and the first gains nearly all
    if (insns.length > LONG_PROGRAM) break;
  }
  // the program's final list (pipeline.ts freezes it anyway): validation and the certificate take
  // its schedule, and a chained one its race check, from here rather than computing them again
  freezeList(best.insns);
  rememberSchedule(best.insns, cfg, best.s);
  if (best.insns === insns) return scheduled;
  rememberRaceFree(best.insns, cfg);
  return { ...scheduled, instructions: best.insns };
}

/** The program with `chained` matmuls chained and the tokens of `moved` moved to their long loads. */
function withChains(insns: readonly Instruction[], chained: ReadonlySet<number>, moved: ReadonlyMap<number, readonly [number, number]>): Instruction[] {
  const out = insns.map((insn, i) => (chained.has(i) ? { ...(insn as InstructionOf<'matmul'>), chain: 1 } : insn));
  for (const [long, short] of moved.values()) {
    out[long] = { ...out[long]!, pushNext: true };
    out[short] = { ...out[short]!, pushNext: false };
  }
  return out;
}

/**
 * The matmuls not chained yet that start when the load whose token they pop ends, and would start
 * MIN_GAIN sooner chained: on that load, or, when it is short, on the latest long load before it;
 * or, where its token comes MIN_GAIN sooner still, on the first load since the previous token to
 * the compute unit (a window loaded line by line streams behind all of its lines; `firstRefuted`:
 * not for these). Each with the token's move ([earlier, popped]; null: not moved) and whether it is
 * the first load's.
 */
function waitingForLoads(insns: readonly Instruction[], s: ScheduleArrays, cfg: ArrayConfig, firstRefuted: ReadonlySet<number>): [number, readonly [number, number] | null, boolean][] {
  const found: [number, readonly [number, number] | null, boolean][] = [];
  const pushers: number[] = [];
  let popped = 0;
  const tokenAt = (load: number): number => chainedTokenAt(insns[load] as InstructionOf<'load'>, s.start[load]!, cfg);
  const gainsOn = (load: number, by: number): boolean => tokenAt(load) + MIN_GAIN <= by;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (insn.op === 'load' && insn.pushNext) pushers.push(i);
    if (insn.op !== 'matmul' || !insn.popPrev) continue;
    const previous = popped > 0 ? pushers[popped - 1]! : -1;
    const load = pushers[popped++]!;
    if (insn.chain === 1 || s.start[i] !== s.end[load]) continue;
    // the chain this pass made before the first loads: on that load, or the latest long one before it
    let usual = gainsOn(load, s.start[i]!) ? load : -1;
    for (let q = load - 1; usual < 0 && q > previous; q--) if (insns[q]!.op === 'load' && gainsOn(q, s.start[i]!)) usual = q;
    // the first load, where the window is loaded in several act loads after it (a strided window, line
    // by line) and its token comes MIN_GAIN sooner still (not a dense layer's weight tile before its
    // act load: a round the race walk refuted on 250,000 instructions)
    const last = usual < 0 ? load : usual;
    const by = usual < 0 ? s.start[i]! : tokenAt(usual);
    let first = -1;
    // one walk back from `last`, counting the act loads after each load (not a count per load: a
    // window may be thousands of loads)
    for (let q = last, after = 0; q > previous && !firstRefuted.has(i); q--) {
      const at = insns[q]!;
      if (at.op !== 'load') continue;
      if (q < last && after >= 2 && tokenAt(q) + MIN_GAIN <= by) first = q;
      if (loadBufferOf(at.buf) === 'act') after++;
    }
    if (first >= 0) found.push([i, first === load ? null : [first, load], true]);
    else if (usual >= 0) found.push([i, usual === load ? null : [usual, load], false]);
  }
  return found;
}

/**
 * The chained matmul at or before instruction y (program order) whose token left y unordered: the
 * latest one of `chained` (ascending), or -1. A binary search: a round of a large dilated max pool
 * chains thousands of matmuls and its race walk finds as many pairs.
 */
function latestAtOrBefore(chained: readonly number[], y: number): number {
  const n = countAtMost(chained, y);
  return n === 0 ? -1 : chained[n - 1]!;
}
