// SPDX-License-Identifier: MIT
/**
 * Simulation statistics. Both modes bump one flat Float64Array of named counters per layer (cheap
 * in hot loops); buildStats turns it into the readable per-layer and total objects.
 */
import type { CostFigures } from '../src/isa/cost.js';
import type { Program } from '../src/isa/program.js';
import { BUFFER_LIST, CHANNELS, entryBytes, SPACES, WORK_UNITS, type Channel, type Space, type WorkUnit } from '../src/isa/spec.js';

/** Memory spaces in trace-code order: SPACES order (dram first, then the buffers). */
const indexOf = <K extends string>(list: readonly K[]): { readonly [k in K]: number } => Object.fromEntries(list.map((k, i) => [k, i])) as { [k in K]: number };
export const SPACE_INDEX = indexOf(SPACES);
/** Work units in typed arrays, in WORK_UNITS order. */
export const UNIT_INDEX = indexOf(WORK_UNITS);

/** Offsets of the counters inside one layer's block; `+ index` for the per-buffer/unit/channel ones. */
export const F = {
  arrayMacs: 0,
  dramBytesRead: 1,
  dramBytesWritten: 2,
  sramReads: 3, // + SPACE_INDEX - 1
  sramWrites: 8, // + SPACE_INDEX - 1
  busy: 13, // + UNIT_INDEX
  unitBusy: 16, // + UNIT_INDEX: cycles the queue head waited because its unit was still busy
  starved: 19, // + UNIT_INDEX: idle unit, next instruction not fetched yet
  queueFull: 22, // + UNIT_INDEX: fetch stalled because this unit's queue was full
  tokenWait: 25, // + channel index in CHANNELS: idle unit, queue head waiting for this token
} as const;
export const NFIELDS = F.tokenWait + CHANNELS.length;

export interface StallStats {
  readonly tokenWait: Record<Channel, number>;
  readonly queueFull: Record<WorkUnit, number>;
  readonly unitBusy: Record<WorkUnit, number>;
  readonly starved: Record<WorkUnit, number>;
}

export interface Counters extends CostFigures {
  readonly stalls: StallStats;
}

export interface LayerStats extends Counters {
  readonly name: string;
}

export interface SimStats extends Counters {
  readonly latencyUs: number;
  /** High-water mark of the bytes each memory was accessed at (entries × entry width for buffers). */
  readonly peakBytes: Record<Space, number>;
  readonly layers: readonly LayerStats[];
}

/** What one mode hands back before the statistics are assembled. */
export interface RawRun {
  readonly output: Int8Array;
  readonly cycles: number;
  readonly counters: Float64Array;
  readonly layerCycles: readonly number[];
  /** Per SPACES entry: one past the highest entry (dram: byte) accessed. */
  readonly peakEntries: Float64Array;
  readonly traceHash: string | null;
}

export function emptyPeaks(): Float64Array {
  return new Float64Array(SPACES.length);
}

/** Peak entries → bytes (dram is already in bytes). */
export function peakBytesOf(rows: number, cols: number, peakEntries: Float64Array): Record<Space, number> {
  return record(SPACES, (i) => (i === 0 ? peakEntries[0]! : peakEntries[i]! * entryBytes(BUFFER_LIST[i - 1]!, rows, cols)));
}

/** Counter blocks: one per layer, plus a last block for instructions outside every layer (halt). */
export function newCounters(layerCount: number): Float64Array {
  return new Float64Array((layerCount + 1) * NFIELDS);
}

function record<K extends string>(keys: readonly K[], get: (i: number) => number): Record<K, number> {
  return Object.fromEntries(keys.map((k, i) => [k, get(i)])) as Record<K, number>;
}

function countersOf(c: Float64Array, base: number, cycles: number, macs: number, pes: number): Counters {
  return {
    cycles,
    macs,
    arrayMacs: c[base + F.arrayMacs]!,
    utilization: cycles === 0 ? 0 : macs / (pes * cycles),
    dramBytesRead: c[base + F.dramBytesRead]!,
    dramBytesWritten: c[base + F.dramBytesWritten]!,
    sramReads: record(BUFFER_LIST, (i) => c[base + F.sramReads + i]!),
    sramWrites: record(BUFFER_LIST, (i) => c[base + F.sramWrites + i]!),
    busyCycles: record(WORK_UNITS, (i) => c[base + F.busy + i]!),
    stalls: {
      tokenWait: record(CHANNELS, (i) => c[base + F.tokenWait + i]!),
      queueFull: record(WORK_UNITS, (i) => c[base + F.queueFull + i]!),
      unitBusy: record(WORK_UNITS, (i) => c[base + F.unitBusy + i]!),
      starved: record(WORK_UNITS, (i) => c[base + F.starved + i]!),
    },
  };
}

/** Turn counter blocks, layer cycles, total cycles and peak accesses into the readable statistics. */
export function buildStats(p: Program, c: Float64Array, lcycles: readonly number[], cycles: number, peakBytes: Record<Space, number>): SimStats {
  const pes = p.config.rows * p.config.cols;
  const total = new Float64Array(NFIELDS);
  for (let b = 0; b < c.length; b += NFIELDS) for (let f = 0; f < NFIELDS; f++) total[f]! += c[b + f]!;
  const macs = p.layers.reduce((a, l) => a + l.macs, 0);
  return {
    ...countersOf(total, 0, cycles, macs, pes),
    latencyUs: cycles / p.config.clockMhz,
    peakBytes,
    layers: p.layers.map((l, i) => ({ name: l.name, ...countersOf(c, i * NFIELDS, lcycles[i] ?? 0, l.macs, pes) })),
  };
}

/** Stall cycles summed over every cause (fetch stalls on full queues included). */
export function totalStalls(s: StallStats): number {
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return sum(s.tokenWait) + sum(s.queueFull) + sum(s.unitBusy) + sum(s.starved);
}
