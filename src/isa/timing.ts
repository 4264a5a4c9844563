// SPDX-License-Identifier: MIT
/**
 * The cycle semantics of the ISA (docs/hardware.md explains them cycle by cycle): how long each
 * instruction occupies its unit, and the issue rules that turn a Program into exact per-instruction
 * timestamps. This is the single timing definition: the certificate (cost.ts), the simulator's
 * fast mode, and — through co-simulation tests — the RTL are all held to it.
 *
 * Issue rules (f = fetch cycle, s = start, e = end = completion; cycles count from 0 after reset):
 *   f[0] = 0;  f[i] = max(f[i-1] + 1, s[q] + 1)   q = the instruction queueDepth places earlier in
 *                                                 the same unit's queue (a full queue stalls fetch)
 *   s[i] = max(f[i] + 1, free[i], e[p] + CHANNEL_DELAY[channel] for each token i pops,
 *              where the k-th pop on a channel takes the token of the k-th push on it;
 *              the delay is 1 on storeToLoad, the store's last DRAM beat landing, else 0;
 *              a chained matmul's popPrev takes it at s[p] + loadRowWrittenAt(p, 0) + 1 instead,
 *              the cycle after load p wrote its first row: chainedTokenAt)
 *   free[i] = s[j] + occupancy(j)   if j, the previous instruction of the same unit, has the same op
 *                                   and that op pipelines (its record has `occupancy`: matmul)
 *           = max(s[j] + THRESHOLD_TAIL_FROM, e[j] − reach)   if i is a matmul and j a threshold
 *                                   that lets it in (requantize mode), reach = duration(i) − 1 when
 *                                   they touch different acc banks (accBanksApart: each bank has its
 *                                   own read port, and i still completes after j), else
 *                                   matmulAccLead (j has read every acc row before i's first acc access)
 *           = max(the slot, e of the earlier matmuls on its acc bank, e − rows[i] of the earlier
 *             matmuls it must complete after (besideCompletesAfter), e of the earlier thresholds and syncs)
 *                                   if i is a requantize-mode threshold on a two-bank machine
 *                                   (thresholdBesideFrom; the slot: s[j] + occupancy(j) when j is a matmul)
 *           = max e[j'] over every earlier instruction j' of the unit   otherwise
 *   e[i] = s[i] + duration(i)       (an instruction's writes and token pushes land at e[i])
 *   total cycles = max(f[halt] + 1, max e[i])
 * Within a unit, completions stay in program order (e[j] < e[i] for j before i), but for a threshold
 * beside matmuls on the other acc bank, which may complete first where besideCompletesAfter allows:
 * docs/hardware.md.
 */
import { internal } from '../diagnostics/error.js';
import { accSplit, type ArrayConfig } from './config.js';
import { opOf, UNIT_OF } from './ops/index.js';
import { matmulAccLead, matmulIssueInterval } from './ops/matmul.js';
import { ListMemo } from './list-memo.js';
import { loadRowWrittenAt } from './ops/load.js';
import { THRESHOLD_TAIL_FROM, thresholdLetsMatmulIn } from './ops/threshold.js';
import { CHANNEL_DELAY, channelOf, CHANNELS, type Channel, type Instruction, type InstructionOf, type Unit } from './spec.js';

/** Cycles from an instruction's start to its completion (its op record's `duration`). */
/**
 * Chaining: a matmul with `chain` set takes the token of the load it pops (popPrev) in the cycle
 * after that load wrote its first row (`start` its start), not at its end, so its stream follows the
 * DMA row by row. Nothing in the hardware keeps the stream behind the DMA: the race check proves
 * from this schedule that every entry the matmul (or anything ordered after it only through it)
 * touches is written first (isa/chain.ts).
 */
export function chainedTokenAt(load: InstructionOf<'load'>, start: number, cfg: ArrayConfig): number {
  return start + loadRowWrittenAt(load, 0, cfg) + 1;
}

/** Whether pop flag `f` (0 popPrev, 1 popNext) of an instruction takes its token chained. */
export function popsChained(insn: Instruction, f: number): boolean {
  return f === 0 && insn.op === 'matmul' && insn.chain === 1;
}

export function duration(insn: Instruction, cfg: ArrayConfig): number {
  return opOf(insn).duration(insn, cfg);
}

/**
 * Whether a matmul and the requantize-mode threshold before it read different acc banks (accBanks 2):
 * the threshold's bank is its `acc` field's half (checkProgram holds its reads to that half), the
 * matmul's acc rows all lie in the other. Decided from the two instructions' fields alone.
 */
export function accBanksApart(th: InstructionOf<'threshold'>, mm: InstructionOf<'matmul'>, cfg: ArrayConfig): boolean {
  if (cfg.accBanks !== 2) return false;
  const split = accSplit(cfg);
  return th.acc >= split ? mm.acc + mm.rows <= split : mm.acc >= split;
}

/** The acc banks a matmul's rows touch: [bank 0, bank 1] (one bank: bank 0 only). */
export function matmulAccBanks(mm: InstructionOf<'matmul'>, cfg: ArrayConfig): readonly [boolean, boolean] {
  const split = accSplit(cfg);
  return [mm.acc < split, mm.acc + mm.rows > split];
}

/**
 * Whether a threshold beside a matmul in flight on the other acc bank must complete after it (it then
 * waits until the matmul is within its rows of completing): when it pushes toward the load unit, or
 * when both push toward the store unit. A token carries "every earlier instruction of the pushing
 * unit ended" (isa/ordering.ts counts a unit's instructions as ending in program order), and the load
 * unit writes what a matmul reads and writes (act, wgt, acc), so a token to it must not come before a
 * matmul ends. A store touches only the out buffer and DRAM, which no matmul touches, so a threshold
 * may tell the store unit its out rows are ready before the matmuls beside it end — but a channel's
 * pushes must land in program order (a pop takes the k-th push; the RTL counts them), so not before a
 * matmul's own push to the store unit (docs/hardware.md).
 */
export const besideCompletesAfter = (th: Instruction, mm: Instruction): boolean => th.pushPrev || (th.pushNext && mm.pushNext);

/**
 * When a requantize-mode threshold on a two-bank machine may start (else: once every earlier
 * instruction of the unit completed): once the unit's slot is free (`slotFree`: the previous
 * matmul's issue interval, or every earlier threshold and sync completed) and every earlier matmul
 * touching its bank completed; and once the other bank's matmuls it must complete after
 * (besideCompletesAfter: all of them if it pushes toward the load unit, else those that push toward
 * the store unit if it does, `pushNextEnd` their latest completion) complete within its `rows`
 * cycles: its duration exceeds its rows, so it completes after them.
 */
export function thresholdBesideFrom(th: InstructionOf<'threshold'>, slotFree: number, bankEnd: readonly [number, number], pushNextEnd: number, cfg: ArrayConfig): number {
  const b = th.acc >= accSplit(cfg) ? 1 : 0;
  const after = th.pushPrev ? bankEnd[1 - b]! : th.pushNext ? pushNextEnd : 0;
  return Math.max(slotFree, bankEnd[b]!, after - th.rows);
}

/** Whether a threshold may start beside matmuls in flight on the other acc bank (thresholdBesideFrom). */
export function thresholdGoesBeside(th: InstructionOf<'threshold'>, cfg: ArrayConfig): boolean {
  return cfg.accBanks === 2 && thresholdLetsMatmulIn(th);
}

/**
 * How many cycles before a requantize-mode threshold completes the matmul after it may start:
 * matmulAccLead (its first acc access comes after the threshold's last acc read), or, on the other
 * acc bank, all but one of the matmul's cycles (it streams beside the threshold and completes after
 * it, so completions and token pushes stay in program order).
 */
export function thresholdTailReach(th: InstructionOf<'threshold'>, mm: InstructionOf<'matmul'>, cfg: ArrayConfig): number {
  return accBanksApart(th, mm, cfg) ? duration(mm, cfg) - 1 : matmulAccLead(cfg);
}

/**
 * When a unit may start `next` after `prev` (its previous instruction) started at `prevStart` and
 * completes at `prevEnd`: after prev's issue interval if both have an op that pipelines; a matmul
 * after a threshold that lets it in, once the threshold is within thresholdTailReach of completing
 * (beside the other bank's matmuls it may complete before them: its own completion counts); else
 * once all earlier ones completed (`unitDone`).
 */
export function unitFreeAt(prev: Instruction, prevStart: number, prevEnd: number, unitDone: number, next: Instruction, cfg: ArrayConfig): number {
  if (next.op === 'matmul' && prev.op === 'threshold' && thresholdLetsMatmulIn(prev)) return Math.max(prevStart + THRESHOLD_TAIL_FROM, prevEnd - thresholdTailReach(prev, next, cfg));
  const occupancy = opOf(prev).occupancy;
  return occupancy !== undefined && prev.op === next.op ? prevStart + (occupancy as (i: Instruction, c: ArrayConfig) => number)(prev, cfg) : unitDone;
}

export interface InsnTiming {
  readonly fetch: number;
  readonly start: number;
  readonly end: number;
  /** When its unit was free to start it (free[i] above; 0 for a unit's first instruction and for halt). */
  readonly free: number;
  /** Its share of its unit's busy cycles: the cycles of [start, end) no earlier instruction of the unit covers. */
  readonly busy: number;
}

export interface Schedule {
  readonly timings: readonly InsnTiming[];
  readonly cycles: number;
}

/** scheduleTimes' figures as typed arrays, entry i for instruction i (certify reads these: no object per instruction). */
export interface ScheduleArrays {
  readonly fetch: Float64Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly free: Float64Array;
  readonly busy: Float64Array;
  readonly cycles: number;
}

/** Exact timestamps of every instruction (no data needed: the program has no data-dependent control). */
export function scheduleTimes(insns: readonly Instruction[], cfg: ArrayConfig): Schedule {
  const a = scheduleArrays(insns, cfg);
  const timings: InsnTiming[] = new Array<InsnTiming>(insns.length);
  for (let i = 0; i < insns.length; i++) timings[i] = { fetch: a.fetch[i]!, start: a.start[i]!, end: a.end[i]!, free: a.free[i]!, busy: a.busy[i]! };
  return { timings, cycles: a.cycles };
}

/** The work units by number (scheduleArrays keeps its per-unit state in arrays); fetch is 3. */
const UNIT_NUMBER: Readonly<Record<Unit, number>> = { load: 0, compute: 1, store: 2, fetch: 3 };
const WORK_UNIT_LIST = ['load', 'compute', 'store'] as const;
/** Each op's unit number (one keyed read per instruction). */
const UNIT_NUMBER_OF_OP: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(UNIT_OF).map(([op, u]) => [op, UNIT_NUMBER[u]]));
/** Unit u's channel number for popPrev, popNext, pushPrev, pushNext at [4u, 4u + 4) (−1: none on that side): the flags read by name, no channelOf per token. */
const TOKEN_CHANNEL: readonly number[] = WORK_UNIT_LIST.flatMap((u) =>
  (['popPrev', 'popNext', 'pushPrev', 'pushNext'] as const).map((f) => {
    try {
      return CHANNELS.indexOf(channelOf(u, f));
    } catch {
      return -1;
    }
  }),
);

/** The one channel a chained pop takes from (popsChained). */
const LOAD_TO_COMPUTE = CHANNELS.indexOf('loadToCompute');

/** Each channel's CHANNEL_DELAY, by channel number. */
const DELAY: readonly number[] = CHANNELS.map((ch) => CHANNEL_DELAY[ch]);

/** Unit u's channel for token flag f (popPrev, popNext, pushPrev, pushNext), or channelOf's error when it has none there. */
function channelNumber(u: number, f: number, insn: Instruction): number {
  const ch = TOKEN_CHANNEL[4 * u + f]!;
  if (ch < 0) channelOf(WORK_UNIT_LIST[u]!, (['popPrev', 'popNext', 'pushPrev', 'pushNext'] as const)[f]!);
  if (ch < 0) throw internal(`${insn.op} has no channel there`);
  return ch;
}

/**
 * scheduleTimes' rules, written into typed arrays: per unit, its last instruction, the latest
 * completion and the starts of its last queueDepth instructions (a ring: fetch waits for the start
 * queueDepth places earlier in the unit's queue); per channel, the completions of its pushes.
 */
export function scheduleArrays(insns: readonly Instruction[], cfg: ArrayConfig): ScheduleArrays {
  return knownSchedules.get(insns, cfg) ?? computeSchedule(insns, cfg);
}

/** Schedules of deep-frozen lists (list-memo.ts): the chain pass's, which validation and the certificate read again. */
const knownSchedules = new ListMemo<ScheduleArrays>();

/** Keep `s`, scheduleArrays(insns, cfg), for the next stage that asks (only if `insns` is deep-frozen). */
export function rememberSchedule(insns: readonly Instruction[], cfg: ArrayConfig, s: ScheduleArrays): void {
  knownSchedules.remember(insns, cfg, s);
}

function computeSchedule(insns: readonly Instruction[], cfg: ArrayConfig): ScheduleArrays {
  const n = insns.length;
  const fetchAt = new Float64Array(n);
  const startAt = new Float64Array(n);
  const endAt = new Float64Array(n);
  const freeAt = new Float64Array(n);
  const busyOf = new Float64Array(n);
  const depth = cfg.queueDepth;
  const unitEnd = [0, 0, 0];
  const lastInsn: (Instruction | undefined)[] = [undefined, undefined, undefined];
  const lastStart = [0, 0, 0];
  const issued = [0, 0, 0];
  const recentStarts = [new Float64Array(depth), new Float64Array(depth), new Float64Array(depth)];
  // per channel (CHANNELS's order): the completions of its pushes, and how many were popped
  const pushTimes: number[][] = CHANNELS.map(() => []);
  // the same pushes' chained times (loadToCompute: chainedTokenAt; no other channel is popped chained)
  const chainTimes: number[] = [];
  const popCount = CHANNELS.map(() => 0);
  // the compute unit's latest completions: of matmuls touching each acc bank, of thresholds and syncs
  const bankEnd: [number, number] = [0, 0];
  let matmulPushNextEnd = 0;
  const lastEnd = [0, 0, 0];
  let soloEnd = 0;
  let prevFetch = -1;
  let cycles = 0;
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    const u = UNIT_NUMBER_OF_OP[insn.op]!;
    let fetch = prevFetch + 1;
    if (u === 3) {
      prevFetch = fetch;
      fetchAt[i] = fetch;
      startAt[i] = fetch;
      endAt[i] = fetch + 1;
      cycles = Math.max(cycles, fetch + 1);
      continue;
    }
    const ring = recentStarts[u]!;
    const k = issued[u]!;
    if (k >= depth) fetch = Math.max(fetch, ring[k % depth]! + 1);
    prevFetch = fetch;
    const last = lastInsn[u];
    let free = last === undefined ? 0 : unitFreeAt(last, lastStart[u]!, lastEnd[u]!, unitEnd[u]!, insn, cfg);
    if (last !== undefined && insn.op === 'threshold' && thresholdGoesBeside(insn, cfg)) {
      const slot = last.op === 'matmul' ? lastStart[u]! + matmulIssueInterval(last.rows, cfg) : 0;
      free = thresholdBesideFrom(insn, Math.max(slot, soloEnd), bankEnd, matmulPushNextEnd, cfg);
    }
    let start = Math.max(fetch + 1, free);
    if (insn.popPrev || insn.popNext) {
      for (let f = 0; f < 2; f++) {
        if (!(f === 0 ? insn.popPrev : insn.popNext)) continue;
        const ch = channelNumber(u, f, insn);
        const k = popCount[ch]!++;
        const t = popsChained(insn, f) ? chainTimes[k] : pushTimes[ch]![k];
        if (t === undefined) throw internal(`instruction ${i} (${insn.op}) pops ${CHANNELS[ch]} before any matching push: the program would deadlock`);
        start = Math.max(start, t);
      }
    }
    const end = start + duration(insn, cfg);
    for (let f = 2; f < 4; f++) {
      if (!(f === 2 ? insn.pushPrev : insn.pushNext)) continue;
      const ch = channelNumber(u, f, insn);
      pushTimes[ch]!.push(end + DELAY[ch]!);
      if (ch === LOAD_TO_COMPUTE) chainTimes.push(chainedTokenAt(insn as InstructionOf<'load'>, start, cfg));
    }
    ring[k % depth] = start;
    issued[u] = k + 1;
    lastInsn[u] = insn;
    lastStart[u] = start;
    if (u === 1) {
      if (insn.op === 'matmul') {
        const [lo, hi] = matmulAccBanks(insn, cfg);
        if (lo) bankEnd[0] = Math.max(bankEnd[0], end);
        if (hi) bankEnd[1] = Math.max(bankEnd[1], end);
        if (insn.pushNext) matmulPushNextEnd = Math.max(matmulPushNextEnd, end);
      } else soloEnd = Math.max(soloEnd, end);
    }
    busyOf[i] = Math.max(0, end - Math.max(start, unitEnd[u]!));
    lastEnd[u] = end;
    unitEnd[u] = Math.max(unitEnd[u]!, end);
    fetchAt[i] = fetch;
    startAt[i] = start;
    endAt[i] = end;
    freeAt[i] = free;
    cycles = Math.max(cycles, end);
  }
  return { fetch: fetchAt, start: startAt, end: endAt, free: freeAt, busy: busyOf, cycles };
}
