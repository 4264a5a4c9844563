// SPDX-License-Identifier: MIT
/**
 * What both modes precompute once per Program (cached): validation, the timing.ts schedule, the
 * fast mode's event order, layer membership, and the stall accounting the schedule implies.
 */
import { NnchipError } from '../src/diagnostics/error.js';
import { layerCycles } from '../src/isa/cost.js';
import { checkProgram } from '../src/isa/interpret.js';
import type { Program } from '../src/isa/program.js';
import type { ArrayConfig } from '../src/isa/config.js';
import { accessesOf, conflicts } from '../src/isa/effects.js';
import { CHANNEL_DELAY, CHANNELS, channelOf, type Channel, type Instruction, type InstructionOf } from '../src/isa/spec.js';
import { UNIT_OF } from '../src/isa/ops/index.js';
import { chainedTokenAt, popsChained, scheduleTimes, type Schedule } from '../src/isa/timing.js';
import { F, newCounters, NFIELDS, UNIT_INDEX } from './stats.js';

/** Unit numbers used in typed arrays: the three workers, then fetch (halt). */
export const FETCH = 3;

export interface Plan {
  readonly program: Program;
  readonly schedule: Schedule;
  /** Per instruction: unit number (UNIT_INDEX, or FETCH) and counter block offset (layer · NFIELDS). */
  readonly unit: Uint8Array;
  readonly block: Int32Array;
  /** Fast-mode events `i·2 + phase` (phase 0 commits the writes at end, 1 takes the reads at start), in time order. */
  readonly events: Int32Array;
  /** Busy and stall counters implied by the schedule (fast mode reports these). */
  readonly timingCounters: Float64Array;
  readonly layerCycles: readonly number[];
}

const cache = new WeakMap<Program, Plan>();

export function planOf(p: Program): Plan {
  let plan = cache.get(p);
  if (plan === undefined) cache.set(p, (plan = makePlan(p)));
  return plan;
}

/** Instruction → counter block: the layer the compiler tagged it with (Program.insnLayer). */
export function layerBlocks(p: Program): Int32Array {
  return Int32Array.from(p.insnLayer, (l) => Math.min(l, p.layers.length) * NFIELDS);
}

function makePlan(p: Program): Plan {
  const problem = checkProgram(p);
  if (problem !== null) throw new NnchipError('NN404', `invalid program: ${problem}`);
  let schedule: Schedule;
  try {
    schedule = scheduleTimes(p.instructions, p.config);
  } catch (e) {
    throw new NnchipError('NN404', `invalid program: ${e instanceof NnchipError ? e.detail.replace(/^internal error: /, '') : String(e)}`);
  }
  const n = p.instructions.length;
  const unit = Uint8Array.from(p.instructions, (insn) => {
    const u = UNIT_OF[insn.op];
    return u === 'fetch' ? FETCH : UNIT_INDEX[u];
  });
  const block = layerBlocks(p);
  const start = schedule.timings.map((t) => t.start);
  const end = schedule.timings.map((t) => t.end);
  return {
    program: p,
    schedule,
    unit,
    block,
    events: fastEvents(p, unit, start, end),
    timingCounters: timingCounters(p, schedule, unit, block),
    layerCycles: layerCycles(p, start, end),
  };
}

function fastEvents(p: Program, unit: Uint8Array, start: readonly number[], end: readonly number[]): Int32Array {
  const { reads, commits } = eventTimes(p.instructions, p.config, start, end);
  return eventOrder(unit, reads, commits);
}

/**
 * When fast mode takes each instruction's reads and commits its writes: at its start and its end,
 * but for chaining (isa/chain.ts), where a matmul starts while a load it reads from still writes:
 * the load's writes land at once when its first row does (timing.ts chainedTokenAt), and the
 * matmul reads once that has happened for each such load, and not before the previous matmul
 * (fast mode pairs a matmul's reads and its commit in order). Both stay sound: whatever reads the
 * load's entries before it in program order has ended before it starts (tokens), and the race check
 * proves the matmul's first access to each such entry comes after the entry is written, so after
 * the load's first row and before the matmul's own end.
 */
export function eventTimes(insns: readonly Instruction[], cfg: ArrayConfig, start: readonly number[], end: readonly number[]): { reads: readonly number[]; commits: readonly number[] } {
  if (!insns.some((insn) => insn.op === 'matmul' && insn.chain === 1)) return { reads: start, commits: end };
  const reads = start.slice();
  const commits = end.slice();
  const loads: number[] = [];
  let previous = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (insn.op === 'load') loads.push(i);
    if (insn.op !== 'matmul') continue;
    let at = Math.max(start[i]!, previous);
    const mine = accessesOf(insn, cfg);
    // loads end in program order: only the last few can end after this matmul starts
    for (let k = loads.length - 1; k >= 0 && end[loads[k]!]! > start[i]!; k--) {
      const x = loads[k]!;
      if (!conflicts(accessesOf(insns[x]!, cfg), mine)) continue;
      commits[x] = chainedTokenAt(insns[x] as InstructionOf<'load'>, start[x]!, cfg);
      at = Math.max(at, commits[x]!);
    }
    reads[i] = previous = at;
  }
  return { reads, commits };
}

/**
 * The events `i·2 + phase` of the workers' instructions (phase 1 at its start, 0 at its end) by
 * time, then phase (commits before reads), then instruction. Sorted as numbers, time · 2^26 +
 * phase · 2^25 + i, by the typed array's own sort (a comparator called 80 k times, cold, cost more
 * than the rest of the plan), while every such key is an exact double; else by that comparator.
 */
export function eventOrder(unit: Uint8Array, start: readonly number[], end: readonly number[]): Int32Array {
  const keys: number[] = [];
  for (let i = 0; i < unit.length; i++) if (unit[i] !== FETCH) keys.push(i * 2, i * 2 + 1);
  const timeOf = (ev: number): number => (ev & 1 ? start[ev >> 1]! : end[ev >> 1]!);
  let latest = 0;
  for (let i = 0; i < unit.length; i++) if (unit[i] !== FETCH) latest = Math.max(latest, start[i]!, end[i]!);
  if (latest >= 2 ** 27 || unit.length >= 2 ** 25) return Int32Array.from(keys.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b));
  const packed = new Float64Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const ev = keys[k]!;
    packed[k] = timeOf(ev) * 2 ** 26 + (ev & 1) * 2 ** 25 + (ev >> 1);
  }
  packed.sort();
  const events = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const key = packed[k]!;
    const i = key % 2 ** 25;
    events[k] = i * 2 + (key % 2 ** 26 >= 2 ** 25 ? 1 : 0);
  }
  return events;
}

/**
 * Busy and stall cycles from the timestamps alone, per unit and cause, with the same per-cycle
 * definitions step mode observes: a unit free for its next instruction (timing.ts free[i]) is
 * `starved` until that instruction has been fetched, then waits on the first missing token (popPrev
 * before popNext); a queue head whose unit is not free yet counts `unitBusy`; a busy cycle (one with an
 * instruction in flight) counts for the oldest one in flight; fetch cycles lost to a full queue count `queueFull`.
 */
function timingCounters(p: Program, s: Schedule, unit: Uint8Array, block: Int32Array): Float64Array {
  const c = newCounters(p.layers.length);
  const pushTimes = Object.fromEntries(CHANNELS.map((ch) => [ch, [] as number[]])) as Record<Channel, number[]>;
  const chainTimes: number[] = [];
  const pops = Object.fromEntries(CHANNELS.map((ch) => [ch, 0])) as Record<Channel, number>;
  const last = [-1, -1, -1];
  const insns = p.instructions;
  const timings = s.timings;
  // a plain loop: it runs once per program, cold, in every `nnchip sim`
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const t = timings[i]!;
    const u = unit[i]!;
    const b = block[i]!;
    if (u === FETCH) continue;
    if (i > 0) c[b + F.queueFull + u]! += t.fetch - timings[i - 1]!.fetch - 1;
    const name = UNIT_OF[insn.op] as 'load' | 'compute' | 'store';
    const prev = last[u]! < 0 ? null : timings[last[u]!]!;
    const idleFrom = t.free;
    const arrived = t.fetch + 1;
    c[b + F.busy + u]! += t.busy;
    c[b + F.starved + u]! += Math.max(0, Math.min(t.start, arrived) - idleFrom);
    if (prev !== null) c[b + F.unitBusy + u]! += Math.max(0, t.free - Math.max(prev.start, arrived));
    const waitFrom = Math.max(idleFrom, arrived);
    let waited = 0;
    for (const [f, flag] of POP_FLAGS.entries()) {
      if (!insn[flag]) continue;
      const ch = channelOf(name, flag);
      const k = pops[ch]++;
      const pushed = (popsChained(insn, f) ? chainTimes : pushTimes[ch])[k]!;
      const cycles = Math.max(0, Math.min(pushed, t.start) - waitFrom - waited);
      c[b + F.tokenWait + CHANNEL_INDEX[ch]]! += cycles;
      waited += cycles;
    }
    for (const flag of PUSH_FLAGS) {
      if (!insn[flag]) continue;
      const ch = channelOf(name, flag);
      pushTimes[ch].push(t.end + CHANNEL_DELAY[ch]);
      if (ch === 'loadToCompute') chainTimes.push(chainedTokenAt(insn as InstructionOf<'load'>, t.start, p.config));
    }
    last[u] = i;
  }
  return c;
}

const POP_FLAGS = ['popPrev', 'popNext'] as const;
const PUSH_FLAGS = ['pushPrev', 'pushNext'] as const;
const CHANNEL_INDEX = Object.fromEntries(CHANNELS.map((ch, k) => [ch, k])) as Record<Channel, number>;
