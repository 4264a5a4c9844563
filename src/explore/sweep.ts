// SPDX-License-Identifier: MIT
/**
 * Evaluating grid points with the static certificate (isa/cost.ts): one compile per point, no
 * simulation. A point whose buffers cannot hold the model (NN403) is recorded as infeasible.
 */
import { createHash, type Hash } from 'node:crypto';
import { NnchipError } from '../diagnostics/error.js';
import type { Graph } from '../ir/graph.js';
import { DEFAULT_CONFIG, type ArrayConfig } from '../isa/config.js';
import { certify } from '../isa/cost.js';
import { lowerForMachine, quantizeGraph, type Quantized } from '../passes/pipeline.js';
import type { Calibration } from '../passes/quantize.js';
import { gridPoints, sramBytes, type Depths, type Grid, type GridPoint } from './grid.js';
import { inShard, type Shard } from './shard-spec.js';
import { BUFFER_LIST } from '../isa/spec.js';

/** What identifies a sweep: shards may only be merged when their metas are equal. */
export interface SweepMeta {
  readonly model: string;
  /** sha256 of the model graph and the calibration data: shards of one sweep agree on it. */
  readonly fingerprint: string;
  readonly base: ArrayConfig;
  readonly grid: Grid;
  readonly totalPoints: number;
}

/** One evaluated grid point. Figures are null when the point is infeasible. */
export interface PointResult {
  readonly index: number;
  readonly rows: number;
  readonly cols: number;
  readonly pes: number;
  readonly sramKiB: number;
  /** Bytes of SRAM the configuration really has (the Pareto objective). */
  readonly sramBytes: number;
  readonly depths: Depths;
  readonly bandwidth: number;
  readonly feasible: boolean;
  readonly cycles: number | null;
  readonly latencyUs: number | null;
  readonly macs: number | null;
  readonly utilization: number | null;
  readonly dramBytesRead: number | null;
  readonly dramBytesWritten: number | null;
  /** Sum over the SRAM buffers of the peak bytes the memory map uses. */
  readonly peakSramBytes: number | null;
  readonly layerCycles: readonly number[] | null;
  readonly programHash: string | null;
  /** `NN403: …` for an infeasible point. */
  readonly error: string | null;
}

export interface SweepInput {
  readonly model: string;
  readonly graph: Graph;
  readonly calibration: Calibration;
  readonly grid: Grid;
  /** Fields the grid does not set (latency, queue depth, clock); defaults to DEFAULT_CONFIG. */
  readonly base?: ArrayConfig;
}

export interface SweepOptions {
  /** Evaluate only this deterministic slice of the points. */
  readonly shard?: Shard;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SweepRun {
  readonly meta: SweepMeta;
  readonly shard: Shard;
  readonly points: readonly PointResult[];
}

/** Feed a value to a hash: typed arrays as raw bytes (fast for weights), everything else as JSON. */
function hashValue(h: Hash, v: unknown): void {
  if (ArrayBuffer.isView(v)) {
    h.update(`<${v.constructor.name}:${v.byteLength}>`).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (Array.isArray(v)) {
    h.update(`[${v.length}`);
    for (const e of v) hashValue(h, e);
    h.update(']');
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, e] of Object.entries(v)) {
      h.update(JSON.stringify(k));
      hashValue(h, e);
    }
    h.update('}');
  } else h.update(JSON.stringify(v) ?? 'undefined');
}

/** Identifies the model and its calibration (samples as float64, whatever array type holds them). */
export function modelFingerprint(graph: Graph, calibration: Calibration): string {
  const h = createHash('sha256');
  hashValue(h, graph);
  hashValue(h, 'samples' in calibration ? calibration.samples.map((s) => Float64Array.from(s)) : calibration.inputRange);
  return h.digest('hex');
}

function depthsOf(c: ArrayConfig): Depths {
  return { actDepth: c.actDepth, wgtDepth: c.wgtDepth, accDepth: c.accDepth, qntDepth: c.qntDepth, outDepth: c.outDepth };
}

/**
 * Lower for one point and certify; NN403 (does not fit) becomes an infeasible record. Quantization
 * does not depend on the machine, so a sweep quantizes once and passes the result to every point.
 */
export function evaluatePoint(quantized: Quantized, point: GridPoint): PointResult {
  const cfg = point.config;
  const head = { index: point.index, rows: cfg.rows, cols: cfg.cols, pes: cfg.rows * cfg.cols, sramKiB: point.sramKiB, sramBytes: sramBytes(cfg), depths: depthsOf(cfg), bandwidth: cfg.dramBytesPerCycle };
  try {
    const { program } = lowerForMachine(quantized, cfg);
    const cert = certify(program);
    const srams = BUFFER_LIST;
    return {
      ...head,
      feasible: true,
      cycles: cert.cycles,
      latencyUs: cert.cycles / cfg.clockMhz,
      macs: cert.macs,
      utilization: cert.utilization,
      dramBytesRead: cert.dramBytesRead,
      dramBytesWritten: cert.dramBytesWritten,
      peakSramBytes: srams.reduce((a, b) => a + cert.peakBytes[b], 0),
      layerCycles: cert.layers.map((l) => l.cycles),
      programHash: cert.programHash,
      error: null,
    };
  } catch (e) {
    if (!(e instanceof NnchipError) || e.code !== 'NN403') throw e;
    const where = e.layer === undefined ? '' : `layer "${e.layer}": `;
    const none = { cycles: null, latencyUs: null, macs: null, utilization: null, dramBytesRead: null, dramBytesWritten: null, peakSramBytes: null, layerCycles: null, programHash: null };
    return { ...head, feasible: false, ...none, error: `${e.code}: ${where}${e.detail}` };
  }
}

/** Evaluate every point of the grid (or of one shard of it), in canonical order. */
export function sweep(input: SweepInput, opts: SweepOptions = {}): SweepRun {
  const base = input.base ?? DEFAULT_CONFIG;
  const all = gridPoints(input.grid, base);
  const shard = opts.shard ?? { index: 0, count: 1 };
  const mine = all.filter((p) => inShard(p.index, shard));
  const meta: SweepMeta = { model: input.model, fingerprint: modelFingerprint(input.graph, input.calibration), base, grid: input.grid, totalPoints: all.length };
  const points: PointResult[] = [];
  opts.onProgress?.(0, mine.length);
  const quantized = mine.length > 0 ? quantizeGraph(input.graph, input.calibration) : null;
  for (const p of mine) {
    points.push(evaluatePoint(quantized!, p));
    opts.onProgress?.(points.length, mine.length);
  }
  return { meta, shard, points };
}
