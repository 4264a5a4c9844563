// SPDX-License-Identifier: MIT
/**
 * Are a program's dependency tokens sufficient? The units run concurrently, so a program computes
 * what the reference interpreter computes only when every pair of instructions on different units
 * that touch one address (RAW, WAR, WAW) is ordered by tokens. Checked with vector clocks.
 */
import type { ArrayConfig } from './config.js';
import { chainProblem } from './chain.js';
import { accessesOf, conflicts, type Access } from './effects.js';
import { ListMemo } from './list-memo.js';
import { UNIT_OF } from './ops/index.js';
import { channelOf, CHANNELS, HAS_NEXT, HAS_PREV, type Channel, type Instruction, type Unit } from './spec.js';
import { popsChained } from './timing.js';

/**
 * Unordered instruction pairs the check may compare, per instruction and in all, before it gives
 * up: tokens so sparse make a program this check cannot vouch for in reasonable time. Compiled
 * programs compare 1 to 4 pairs per instruction.
 */
export const UNORDERED_PAIRS_PER_INSN = 64;
export const MIN_UNORDERED_PAIRS = 20_000_000;

/**
 * The first ordering problem of the instruction list, or null: token flags, deadlock, races.
 * `accesses`: each instruction's accessesOf, when the caller has them already (checkProgram's collect).
 */
export function checkOrdering(insns: readonly Instruction[], cfg: ArrayConfig, accesses?: readonly (readonly Access[])[]): string | null {
  // plain loops: a program read from a file is checked once, cold, in every `nnchip sim`
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch' && i !== insns.length - 1) return `instruction ${i} is a halt before the end of the program`;
    if (!HAS_PREV[unit] && (insn.popPrev || insn.pushPrev)) return `instruction ${i} (${insn.op}) sets ${insn.popPrev ? 'popPrev' : 'pushPrev'}, but its unit has no previous unit`;
    if (!HAS_NEXT[unit] && (insn.popNext || insn.pushNext)) return `instruction ${i} (${insn.op}) sets ${insn.popNext ? 'popNext' : 'pushNext'}, but its unit has no next unit`;
  }
  if (raceFree.get(insns, cfg) === true) return null;
  return checkRaces(insns, cfg, accesses === undefined ? recentAccesses(insns, cfg) : (i) => accesses[i]!);
}

/** Deep-frozen lists checkRaces would pass (list-memo.ts): the chain pass's, which it has just checked. */
const raceFree = new ListMemo<true>();

/**
 * For the chain pass: `insns` passed the race walk and every pair it left to the schedule held on
 * `cfg` — checkRaces' two steps — so validation need not walk it again (kept only if deep-frozen).
 */
export function rememberRaceFree(insns: readonly Instruction[], cfg: ArrayConfig): void {
  raceFree.remember(insns, cfg, true);
}

/** Accesses the race check keeps: an instruction's own and those of the unordered ones just before it. */
const RECENT = 1 << 12;

/**
 * Each instruction's accessesOf as the race check asks for it, the latest RECENT of them kept (it
 * compares an instruction with the unordered ones just before it; further back they are derived
 * again): half a million lists kept alive cost the collector more than deriving them.
 */
export function recentAccesses(insns: readonly Instruction[], cfg: ArrayConfig): (i: number) => readonly Access[] {
  const index = new Int32Array(RECENT).fill(-1);
  const lists: (readonly Access[])[] = [];
  return (i) => {
    const slot = i & (RECENT - 1);
    if (index[slot] === i) return lists[slot]!;
    const list = accessesOf(insns[i]!, cfg);
    index[slot] = i;
    lists[slot] = list;
    return list;
  };
}

/** Work units by number: load 0, compute 1, store 2 (−1: fetch, which no clock counts). */
const WORKER_NUMBER: Readonly<Record<Unit, number>> = { load: 0, compute: 1, store: 2, fetch: -1 };
/** Each op's worker number (one keyed read per instruction, not UNIT_OF's and then WORKER_NUMBER's). */
const WORKER_OF_OP: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(UNIT_OF).map(([op, u]) => [op, WORKER_NUMBER[u]]));
/** Channels by number (CHANNELS' order): each one's pushes and pops in arrays. */
const CHANNEL_NUMBER = Object.fromEntries(CHANNELS.map((c, i) => [c, i])) as Readonly<Record<Channel, number>>;
/**
 * The channel number of worker w's popPrev, popNext, pushPrev and pushNext at [4w, 4w + 4) (−1: the
 * unit has none on that side; the flags check before the race check refuses such a flag): the
 * flags read by name, no channelOf per token.
 */
const TOKEN_CHANNEL: readonly number[] = (['load', 'compute', 'store'] as const).flatMap((u) => (['popPrev', 'popNext', 'pushPrev', 'pushNext'] as const).map((f) => ((f.endsWith('Prev') ? HAS_PREV[u] : HAS_NEXT[u]) ? CHANNEL_NUMBER[channelOf(u, f)] : -1)));

/**
 * Vector clocks: clock[v] = how many instructions of unit v have ended before an instruction
 * starts (program order on its own unit, plus whatever the tokens it pops carry). A pop takes the
 * token of the matching push, which must come earlier in the program (else the machine deadlocks).
 * (Clocks are three numbers in flat arrays: lastEnd[3u + v] for unit u's last instruction, a
 * channel's k-th push at [3k, 3k + 3) of its list; no array per instruction.)
 * A chained pop (a matmul's, timing.ts popsChained) takes its token while the load that pushed it
 * still runs: it counts that load as started, not ended (its clock p + ½). Whatever such a clock
 * leaves unordered and touches what those loads touch is checked against the schedule instead
 * (isa/chain.ts).
 */
function checkRaces(insns: readonly Instruction[], cfg: ArrayConfig, accessesAt: (i: number) => readonly Access[]): string | null {
  const found = unorderedPairs(insns, accessesAt);
  return typeof found === 'string' ? found : found.length === 0 ? null : chainProblem(insns, cfg, found);
}

/**
 * The race check's walk: a race's description, or the conflicting pairs (flat, earlier first) that
 * only chained tokens leave unordered, for the schedule to decide (isa/chain.ts; passes/chain.ts).
 */
export function unorderedPairs(insns: readonly Instruction[], accessesAt: (i: number) => readonly Access[]): string | number[] {
  const members: number[][] = [[], [], []];
  const lastEnd = new Float64Array(9);
  const pushes = CHANNELS.map((): number[] => []);
  const pops = CHANNELS.map(() => 0);
  const budget = Math.max(MIN_UNORDERED_PAIRS, UNORDERED_PAIRS_PER_INSN * insns.length);
  const start = new Float64Array(3);
  const chained: number[] = [];
  let compared = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const me = WORKER_OF_OP[insn.op]!;
    if (me < 0) continue;
    for (let v = 0; v < 3; v++) start[v] = lastEnd[3 * me + v]!;
    for (let f = 0; f < 2; f++) {
      if (!(f === 0 ? insn.popPrev : insn.popNext)) continue;
      const ch = TOKEN_CHANNEL[4 * me + f]!;
      const k = pops[ch]!++;
      const token = pushes[ch]!;
      if (3 * k >= token.length) return `instruction ${i} (${insn.op}) pops ${CHANNELS[ch]} before any matching push: the program would deadlock`;
      for (let v = 0; v < 3; v++) start[v] = Math.max(start[v]!, token[3 * k + v]! - (v === 0 && popsChained(insn, f) ? 0.5 : 0));
    }
    const mine = accessesAt(i);
    for (let v = 0; v < 3; v++) {
      if (v === me) continue;
      const list = members[v]!;
      const from = Math.floor(start[v]!);
      compared += list.length - from;
      if (compared > budget) return `more than ${budget} instruction pairs run unordered: too few dependency tokens to check`;
      for (let k = from; k < list.length; k++) {
        const a = list[k]!;
        if (!conflicts(accessesAt(a), mine)) continue;
        if (from === start[v]) return `instructions ${a} (${insns[a]!.op}) and ${i} (${insn.op}) touch the same memory with no token ordering them`;
        chained.push(a, i);
      }
    }
    members[me]!.push(i);
    start[me] = members[me]!.length;
    for (let v = 0; v < 3; v++) lastEnd[3 * me + v] = start[v]!;
    if (insn.pushPrev) pushes[TOKEN_CHANNEL[4 * me + 2]!]!.push(start[0]!, start[1]!, start[2]!);
    if (insn.pushNext) pushes[TOKEN_CHANNEL[4 * me + 3]!]!.push(start[0]!, start[1]!, start[2]!);
  }
  return chained;
}
