// SPDX-License-Identifier: MIT
/**
 * Evaluating grid points with the static certificate (isa/cost.ts): one compile per point, no
 * simulation. A point that is not a legal machine (NN402), whose buffers cannot hold the model
 * (NN403), whose batch the model cannot take (NN306) or whose batch is too large for a program or
 * for --max-memory (NN308) is recorded as infeasible with its reason.
 */
import { createHash, type Hash } from 'node:crypto';
import { NnchipError } from '../diagnostics/error.js';
import { maxOf, type Graph } from '../ir/graph.js';
import { DEFAULT_CONFIG, type ArrayConfig } from '../isa/config.js';
import { DEFAULT_LIMITS } from '../ir/limits.js';
import { entryBytes } from '../isa/spec.js';
import { certify } from '../isa/cost.js';
import { lowerForMachine, quantizeGraph, type Quantized } from '../passes/pipeline.js';
import type { Calibration } from '../passes/quantize.js';
import { estimateArea } from './area.js';
import { gridPoints, sramBytes, sramDepths, type Depths, type Grid, type GridPoint } from './grid.js';
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
  /** --max-instructions, when not the default (DEFAULT_LIMITS.maxInstructions): a point predicted over it is infeasible (NN406). */
  readonly maxInstructions?: number;
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
  readonly thresholdPasses: number;
  readonly batch: number;
  /** The base machine (DEFAULT_CONFIG or --config), evaluated as the last point. */
  readonly base: boolean;
  /** Logic area estimate in iCE40 LUTs (explore/area.ts); null when the point is not a legal machine. */
  readonly areaLuts: number | null;
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

/** One independently compiled program of a workload. */
export interface SweepPart {
  readonly graph: Graph;
  readonly calibration: Calibration;
}

export interface SweepInput {
  readonly model: string;
  readonly graph: Graph;
  readonly calibration: Calibration;
  /**
   * Further independent programs whose figures add to the first one's at every point: the layers
   * of a SCALE-Sim topology after the first (each reads its own input, as in SCALE-Sim).
   */
  readonly moreParts?: readonly SweepPart[];
  readonly grid: Grid;
  /** Fields the grid does not set (latency, queue depth, clock); defaults to DEFAULT_CONFIG. */
  readonly base?: ArrayConfig;
  /** Instructions a point's lowering may take, predicted before emitting (default DEFAULT_LIMITS.maxInstructions). */
  readonly maxInstructions?: number;
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

/** A workload of several parts: the hash of every part's fingerprint, in order. */
function workloadFingerprint(input: SweepInput): string {
  const first = modelFingerprint(input.graph, input.calibration);
  if (input.moreParts === undefined || input.moreParts.length === 0) return first;
  const h = createHash('sha256').update(first);
  for (const p of input.moreParts) h.update(modelFingerprint(p.graph, p.calibration));
  return h.digest('hex');
}

function depthsOf(c: ArrayConfig): Depths {
  return { actDepth: c.actDepth, wgtDepth: c.wgtDepth, accDepth: c.accDepth, qntDepth: c.qntDepth, outDepth: c.outDepth };
}

/** Codes that make a point infeasible instead of failing the sweep: illegal machine, too small, batch refused. */
const INFEASIBLE_CODES: ReadonlySet<string> = new Set(['NN306', 'NN308', 'NN402', 'NN403', 'NN406']);

const NO_FIGURES = { cycles: null, latencyUs: null, macs: null, utilization: null, dramBytesRead: null, dramBytesWritten: null, peakSramBytes: null, layerCycles: null, programHash: null };

function infeasible(e: unknown): { feasible: false; error: string } & typeof NO_FIGURES {
  if (!(e instanceof NnchipError) || !INFEASIBLE_CODES.has(e.code)) throw e;
  const where = e.layer === undefined ? '' : `layer "${e.layer}": `;
  return { feasible: false, ...NO_FIGURES, error: `${e.code}: ${where}${e.detail}` };
}

/**
 * Lower every part for one point and certify; the parts' figures add up (peak SRAM: the largest).
 * A part that does not fit, or a refused batch, makes the point infeasible with the reason.
 * Quantization does not depend on the machine, so a sweep quantizes once per batch size.
 */
export function evaluatePoint(parts: Quantized | NnchipError | readonly (Quantized | NnchipError)[], point: GridPoint, maxInstructions = DEFAULT_LIMITS.maxInstructions): PointResult {
  const quantized = Array.isArray(parts) ? (parts as readonly (Quantized | NnchipError)[]) : [parts as Quantized | NnchipError];
  const cfg = point.config;
  const depths = cfg === null ? sramDepths(point.sramKiB, point) : depthsOf(cfg);
  const shape = { index: point.index, rows: point.rows, cols: point.cols, pes: point.rows * point.cols, sramKiB: point.sramKiB };
  const knobs = { bandwidth: point.bandwidth, thresholdPasses: point.thresholdPasses, batch: point.batch, base: point.base };
  if (cfg === null) {
    const bytes = (['act', 'wgt', 'acc', 'qnt', 'out'] as const).reduce((a, b) => a + depths[`${b}Depth`] * entryBytes(b, point.rows, point.cols), 0);
    return { ...shape, sramBytes: bytes, depths, ...knobs, areaLuts: null, feasible: false, ...NO_FIGURES, error: point.error ?? 'not a legal machine' };
  }
  const head = { ...shape, sramBytes: sramBytes(cfg), depths, ...knobs, areaLuts: estimateArea(cfg).logicLuts };
  const refused = quantized.find((q) => q instanceof NnchipError);
  if (refused !== undefined) return { ...head, ...infeasible(refused) };
  try {
    const srams = BUFFER_LIST;
    const certs = (quantized as readonly Quantized[]).map((q) => certify(lowerForMachine(q, cfg, 'auto', { ...DEFAULT_LIMITS, maxInstructions }).program));
    const total = (f: (c: (typeof certs)[number]) => number): number => certs.reduce((a, c) => a + f(c), 0);
    const cycles = total((c) => c.cycles);
    const macs = total((c) => c.macs);
    const programHash = certs.length === 1 ? certs[0]!.programHash : createHash('sha256').update(certs.map((c) => c.programHash).join(',')).digest('hex');
    return {
      ...head,
      feasible: true,
      cycles,
      latencyUs: cycles / cfg.clockMhz,
      macs,
      utilization: certs.length === 1 ? certs[0]!.utilization : macs / (cfg.rows * cfg.cols * cycles),
      dramBytesRead: total((c) => c.dramBytesRead),
      dramBytesWritten: total((c) => c.dramBytesWritten),
      peakSramBytes: maxOf(certs.map((c) => srams.reduce((a, b) => a + c.peakBytes[b], 0))),
      layerCycles: certs.flatMap((c) => c.layers.map((l) => l.cycles)),
      programHash,
      error: null,
    };
  } catch (e) {
    return { ...head, ...infeasible(e) };
  }
}

/** Quantize once per batch size (quantization does not depend on the machine); a refused batch is kept as its error. */
function quantizer(input: SweepInput): (batch: number) => (Quantized | NnchipError)[] {
  const parts: SweepPart[] = [input, ...(input.moreParts ?? [])];
  const cache = new Map<number, (Quantized | NnchipError)[]>();
  const one = (part: SweepPart, batch: number): Quantized | NnchipError => {
    try {
      return quantizeGraph(part.graph, part.calibration, false, batch);
    } catch (e) {
      if (!(e instanceof NnchipError) || !INFEASIBLE_CODES.has(e.code)) throw e;
      return e;
    }
  };
  return (batch) => {
    let q = cache.get(batch);
    if (q === undefined) cache.set(batch, (q = parts.map((p) => one(p, batch))));
    return q;
  };
}

/** Evaluate every point of the grid (or of one shard of it), in canonical order. */
export function sweep(input: SweepInput, opts: SweepOptions = {}): SweepRun {
  const base = input.base ?? DEFAULT_CONFIG;
  const all = gridPoints(input.grid, base);
  const shard = opts.shard ?? { index: 0, count: 1 };
  const mine = all.filter((p) => inShard(p.index, shard));
  const maxInstructions = input.maxInstructions ?? DEFAULT_LIMITS.maxInstructions;
  const limit = maxInstructions === DEFAULT_LIMITS.maxInstructions ? {} : { maxInstructions };
  const meta: SweepMeta = { model: input.model, fingerprint: workloadFingerprint(input), base, grid: input.grid, totalPoints: all.length, ...limit };
  const points: PointResult[] = [];
  opts.onProgress?.(0, mine.length);
  const quantized = quantizer(input);
  for (const p of mine) {
    points.push(evaluatePoint(quantized(p.batch), p, maxInstructions));
    opts.onProgress?.(points.length, mine.length);
  }
  return { meta, shard, points };
}
