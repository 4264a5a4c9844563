// SPDX-License-Identifier: MIT
/**
 * What both modes precompute once per Program (cached): validation, the timing.ts schedule, the
 * fast mode's event order, layer membership, and the stall accounting the schedule implies.
 */
import { NnchipError } from '../src/diagnostics/error.js';
import { layerCycles } from '../src/isa/cost.js';
import { checkProgram } from '../src/isa/interpret.js';
import type { Program } from '../src/isa/program.js';
import { CHANNEL_DELAY, CHANNELS, channelOf, type Channel } from '../src/isa/spec.js';
import { UNIT_OF } from '../src/isa/ops/index.js';
import { scheduleTimes, type Schedule } from '../src/isa/timing.js';
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
    events: eventOrder(unit, start, end),
    timingCounters: timingCounters(p, schedule, unit, block),
    layerCycles: layerCycles(p, start, end),
  };
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
    for (const flag of POP_FLAGS) {
      if (!insn[flag]) continue;
      const ch = channelOf(name, flag);
      const pushed = pushTimes[ch][pops[ch]++]!;
      const cycles = Math.max(0, Math.min(pushed, t.start) - waitFrom - waited);
      c[b + F.tokenWait + CHANNEL_INDEX[ch]]! += cycles;
      waited += cycles;
    }
    for (const flag of PUSH_FLAGS) {
      if (!insn[flag]) continue;
      const ch = channelOf(name, flag);
      pushTimes[ch].push(t.end + CHANNEL_DELAY[ch]);
    }
    last[u] = i;
  }
  return c;
}

const POP_FLAGS = ['popPrev', 'popNext'] as const;
const PUSH_FLAGS = ['pushPrev', 'pushNext'] as const;
const CHANNEL_INDEX = Object.fromEntries(CHANNELS.map((ch, k) => [ch, k])) as Record<Channel, number>;
