// SPDX-License-Identifier: MIT
/**
 * Are a program's dependency tokens sufficient? The units run concurrently, so a program computes
 * what the reference interpreter computes only when every pair of instructions on different units
 * that touch one address (RAW, WAR, WAW) is ordered by tokens. Checked with vector clocks.
 */
import type { ArrayConfig } from './config.js';
import { accessesOf, conflicts, type Access } from './effects.js';
import { UNIT_OF } from './ops/index.js';
import { channelOf, CHANNELS, HAS_NEXT, HAS_PREV, type Channel, type Instruction } from './spec.js';

const WORKERS = ['load', 'compute', 'store'] as const;
type Worker = (typeof WORKERS)[number];

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
  for (const [i, insn] of insns.entries()) {
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch' && i !== insns.length - 1) return `instruction ${i} is a halt before the end of the program`;
    for (const flag of ['popPrev', 'pushPrev'] as const) if (insn[flag] && !HAS_PREV[unit]) return `instruction ${i} (${insn.op}) sets ${flag}, but its unit has no previous unit`;
    for (const flag of ['popNext', 'pushNext'] as const) if (insn[flag] && !HAS_NEXT[unit]) return `instruction ${i} (${insn.op}) sets ${flag}, but its unit has no next unit`;
  }
  return checkRaces(insns, accesses ?? insns.map((insn) => accessesOf(insn, cfg)));
}

/**
 * Vector clocks: clock[v] = how many instructions of unit v have ended before an instruction
 * starts (program order on its own unit, plus whatever the tokens it pops carry). A pop takes the
 * token of the matching push, which must come earlier in the program (else the machine deadlocks).
 */
function checkRaces(insns: readonly Instruction[], accesses: readonly (readonly Access[])[]): string | null {
  const members: Record<Worker, number[]> = { load: [], compute: [], store: [] };
  const lastEnd: Record<Worker, number[]> = { load: [0, 0, 0], compute: [0, 0, 0], store: [0, 0, 0] };
  const pushes = Object.fromEntries(CHANNELS.map((c) => [c, [] as number[][]])) as Record<Channel, number[][]>;
  const pops = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
  const budget = Math.max(MIN_UNORDERED_PAIRS, UNORDERED_PAIRS_PER_INSN * insns.length);
  let compared = 0;
  for (const [i, insn] of insns.entries()) {
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch') continue;
    const start = [...lastEnd[unit]];
    for (const flag of ['popPrev', 'popNext'] as const) {
      if (!insn[flag]) continue;
      const ch = channelOf(unit, flag);
      const token = pushes[ch][pops[ch]++];
      if (token === undefined) return `instruction ${i} (${insn.op}) pops ${ch} before any matching push: the program would deadlock`;
      for (let v = 0; v < 3; v++) start[v] = Math.max(start[v]!, token[v]!);
    }
    for (const [v, other] of WORKERS.entries()) {
      if (other === unit) continue;
      const list = members[other];
      compared += list.length - start[v]!;
      if (compared > budget) return `more than ${budget} instruction pairs run unordered: too few dependency tokens to check`;
      for (let k = start[v]!; k < list.length; k++) {
        const a = list[k]!;
        if (conflicts(accesses[a]!, accesses[i]!)) return `instructions ${a} (${insns[a]!.op}) and ${i} (${insn.op}) touch the same memory with no token ordering them`;
      }
    }
    const me = WORKERS.indexOf(unit);
    members[unit].push(i);
    const end = [...start];
    end[me] = members[unit].length;
    lastEnd[unit] = end;
    for (const flag of ['pushPrev', 'pushNext'] as const) if (insn[flag]) pushes[channelOf(unit, flag)].push(end);
  }
  return null;
}
