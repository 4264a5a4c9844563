// SPDX-License-Identifier: MIT
/**
 * A finished sweep: every point in canonical order plus its Pareto front (minimize cycles per
 * sample, logic area, SRAM bytes and DRAM bandwidth over the feasible points), and its two files,
 * explore.json and explore.csv.
 */
import { internal } from '../diagnostics/error.js';
import { canonicalMeta, canonicalPoint, JsonReader, parseJson, readMeta, readPoint } from './codec.js';
import { paretoFront, type Objective } from './pareto.js';
import type { PointResult, SweepMeta, SweepRun } from './sweep.js';

export const EXPLORE_FORMAT = 'nnchip-explore';
export const EXPLORE_VERSION = 2;

/** The Pareto objectives, all minimized. Infeasible points never reach them. */
export const OBJECTIVES = {
  cyclesPerSample: (p: PointResult): number => (p.cycles ?? Infinity) / p.batch,
  areaLuts: (p: PointResult): number => p.areaLuts ?? Infinity,
  sramBytes: (p: PointResult): number => p.sramBytes,
  dramBytesPerCycle: (p: PointResult): number => p.bandwidth,
} as const satisfies Record<string, Objective<PointResult>>;

export interface ExploreResult {
  readonly meta: SweepMeta;
  /** Every grid point, by index. */
  readonly points: readonly PointResult[];
  /** Indices of the points on the Pareto front, ascending. */
  readonly pareto: readonly number[];
}

/** Assemble a result from a complete set of points (any order). Shared by sweep and merge, so both give equal bytes. */
export function summarize(meta: SweepMeta, points: readonly PointResult[]): ExploreResult {
  const sorted = [...points].sort((a, b) => a.index - b.index).map(canonicalPoint);
  if (sorted.length !== meta.totalPoints || sorted.some((p, i) => p.index !== i)) throw internal(`summarize needs points 0…${meta.totalPoints - 1} exactly once`);
  const front = paretoFront(
    sorted.filter((p) => p.feasible),
    Object.values(OBJECTIVES),
  );
  return { meta: canonicalMeta(meta), points: sorted, pareto: front.map((p) => p.index) };
}

/** The result of an unsharded sweep. */
export function resultOf(run: SweepRun): ExploreResult {
  return summarize(run.meta, run.points);
}

/** The Pareto points, ordered for reading: least area first, then least SRAM, bandwidth, cycles per sample. */
export function frontPoints(r: ExploreResult): PointResult[] {
  const front = r.pareto.map((i) => r.points[i]!);
  const { cyclesPerSample: cps, areaLuts: area } = OBJECTIVES;
  return front.sort((a, b) => area(a) - area(b) || a.sramBytes - b.sramBytes || a.bandwidth - b.bandwidth || cps(a) - cps(b) || a.index - b.index);
}

export function exploreJson(r: ExploreResult): string {
  const doc = { format: EXPLORE_FORMAT, version: EXPLORE_VERSION, objectives: Object.keys(OBJECTIVES), meta: r.meta, pareto: r.pareto, points: r.points };
  return JSON.stringify(doc, null, 2) + '\n';
}

const CSV_COLUMNS: readonly [string, (p: PointResult, onFront: boolean) => string | number | boolean | null][] = [
  ['index', (p) => p.index],
  ['array', (p) => `${p.rows}x${p.cols}`],
  ['rows', (p) => p.rows],
  ['cols', (p) => p.cols],
  ['pes', (p) => p.pes],
  ['sram_kib', (p) => p.sramKiB],
  ['sram_bytes', (p) => p.sramBytes],
  ['act_depth', (p) => p.depths.actDepth],
  ['wgt_depth', (p) => p.depths.wgtDepth],
  ['acc_depth', (p) => p.depths.accDepth],
  ['qnt_depth', (p) => p.depths.qntDepth],
  ['out_depth', (p) => p.depths.outDepth],
  ['bandwidth', (p) => p.bandwidth],
  ['threshold_passes', (p) => p.thresholdPasses],
  ['batch', (p) => p.batch],
  ['base_machine', (p) => p.base],
  ['area_luts', (p) => p.areaLuts],
  ['feasible', (p) => p.feasible],
  ['pareto', (_p, onFront) => onFront],
  ['cycles', (p) => p.cycles],
  ['cycles_per_sample', (p) => (p.cycles === null ? null : p.cycles / p.batch)],
  ['latency_us', (p) => p.latencyUs],
  ['macs', (p) => p.macs],
  ['utilization', (p) => p.utilization],
  ['dram_bytes_read', (p) => p.dramBytesRead],
  ['dram_bytes_written', (p) => p.dramBytesWritten],
  ['peak_sram_bytes', (p) => p.peakSramBytes],
  ['program_hash', (p) => p.programHash],
  ['error', (p) => p.error],
];

/** RFC 4180: quote fields holding a comma, quote or newline. Numbers print in JS shortest round-trip form. */
function csvField(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function exploreCsv(r: ExploreResult): string {
  const front = new Set(r.pareto);
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const p of r.points) lines.push(CSV_COLUMNS.map(([, f]) => csvField(f(p, front.has(p.index)))).join(','));
  return lines.join('\n') + '\n';
}

/** Read an explore.json back (for `nnchip report --explore`); the front is recomputed, not trusted. */
export function parseExploreJson(text: string, file: string): ExploreResult {
  const r = new JsonReader(file, 'explore.json');
  const doc = r.object(parseJson(text, file, 'explore.json'), 'the file');
  if (doc['format'] !== EXPLORE_FORMAT) throw r.fail(`"format" is not "${EXPLORE_FORMAT}" (write it with \`nnchip explore\`)`);
  if (doc['version'] !== EXPLORE_VERSION) throw r.fail(`"version" ${JSON.stringify(doc['version'])} is not ${EXPLORE_VERSION}`);
  const meta = readMeta(doc['meta'], r);
  const points = doc['points'];
  if (!Array.isArray(points)) throw r.fail('"points" is not an array');
  const parsed = points.map((p, i) => readPoint(p, new JsonReader(file, `point ${i}`)));
  if (parsed.length !== meta.totalPoints || parsed.some((p, i) => p.index !== i)) throw r.fail(`"points" must hold points 0…${meta.totalPoints - 1} in order`);
  return summarize(meta, parsed);
}
