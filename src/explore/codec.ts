// SPDX-License-Identifier: MIT
/**
 * Canonical JSON forms of sweep metas and point results (fixed key order, so equal data gives
 * equal bytes) and the checked readers that turn parsed JSON back into them.
 */
import { containerCount, fmtInt, MAX_JSON_DEPTH, nestedDeeperThan, NnchipError, shortName, shownValue } from '../diagnostics/error.js';
import { DEFAULT_CONFIG, validateConfig, type ArrayConfig } from '../isa/config.js';
import { fullGrid, MAX_GRID_POINTS, type Depths, type Grid } from './grid.js';
import type { PointResult, SweepMeta } from './sweep.js';
import { duplicateKey, withoutBom } from '../util/json-text.js';

const DEPTH_KEYS = ['actDepth', 'wgtDepth', 'accDepth', 'qntDepth', 'outDepth'] as const;
const FIGURE_KEYS = ['cycles', 'latencyUs', 'macs', 'utilization', 'dramBytesRead', 'dramBytesWritten', 'peakSramBytes'] as const;

export function canonicalMeta(m: SweepMeta): SweepMeta {
  const base = Object.fromEntries(Object.keys(DEFAULT_CONFIG).map((k) => [k, m.base[k as keyof ArrayConfig]])) as unknown as ArrayConfig;
  const g = fullGrid(m.grid, base);
  const grid: Grid = { arrays: g.arrays.map((a) => ({ rows: a.rows, cols: a.cols })), sramKiB: [...g.sramKiB], bandwidth: [...g.bandwidth], thresholdPasses: [...g.thresholdPasses], batch: [...g.batch] };
  return { model: m.model, fingerprint: m.fingerprint, base, grid, totalPoints: m.totalPoints, ...(m.maxInstructions === undefined ? {} : { maxInstructions: m.maxInstructions }) };
}

export function canonicalPoint(p: PointResult): PointResult {
  const depths = Object.fromEntries(DEPTH_KEYS.map((k) => [k, p.depths[k]])) as unknown as Depths;
  return {
    index: p.index,
    rows: p.rows,
    cols: p.cols,
    pes: p.pes,
    sramKiB: p.sramKiB,
    sramBytes: p.sramBytes,
    depths,
    bandwidth: p.bandwidth,
    thresholdPasses: p.thresholdPasses,
    batch: p.batch,
    base: p.base,
    areaLuts: p.areaLuts,
    feasible: p.feasible,
    cycles: p.cycles,
    latencyUs: p.latencyUs,
    macs: p.macs,
    utilization: p.utilization,
    dramBytesRead: p.dramBytesRead,
    dramBytesWritten: p.dramBytesWritten,
    peakSramBytes: p.peakSramBytes,
    layerCycles: p.layerCycles === null ? null : [...p.layerCycles],
    programHash: p.programHash,
    error: p.error,
  };
}

/** Reads fields out of parsed JSON; any mismatch is one NN502 error naming the file and the field. */
export class JsonReader {
  constructor(
    private readonly file: string,
    private readonly where: string,
  ) {}

  fail(why: string): NnchipError {
    return new NnchipError('NN502', `${this.where}: ${why}`, { file: this.file });
  }

  object(v: unknown, what: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fail(`${what} is not a JSON object`);
    return v as Record<string, unknown>;
  }

  number(o: Record<string, unknown>, key: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(`"${key}" is not a number`);
    return v;
  }

  numberOrNull(o: Record<string, unknown>, key: string): number | null {
    return o[key] === null ? null : this.number(o, key);
  }

  string(o: Record<string, unknown>, key: string): string {
    const v = o[key];
    if (typeof v !== 'string') throw this.fail(`"${key}" is not a string`);
    return v;
  }

  numbers(o: Record<string, unknown>, key: string): number[] {
    const v = o[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw this.fail(`"${key}" is not an array of numbers`);
    return v as number[];
  }
}

export function readMeta(v: unknown, r: JsonReader): SweepMeta {
  const o = r.object(v, 'the sweep description');
  const g = r.object(o['grid'], '"grid"');
  const arrays = g['arrays'];
  if (!Array.isArray(arrays)) throw r.fail('"grid.arrays" is not an array');
  const grid: Grid = {
    arrays: arrays.map((a) => {
      const ao = r.object(a, 'an array shape');
      return { rows: r.number(ao, 'rows'), cols: r.number(ao, 'cols') };
    }),
    sramKiB: r.numbers(g, 'sramKiB'),
    bandwidth: r.numbers(g, 'bandwidth'),
    thresholdPasses: r.numbers(g, 'thresholdPasses'),
    batch: r.numbers(g, 'batch'),
  };
  const bo = r.object(o['base'], '"base"');
  let base: ArrayConfig;
  try {
    base = validateConfig({ ...DEFAULT_CONFIG, ...bo } as ArrayConfig);
  } catch (e) {
    throw r.fail(`"base" is not a machine configuration (${(e as Error).message})`);
  }
  // the point count follows from the grid (every combination, then the base machine): a file's own
  // count was trusted, and 10^15 was allocated as a list of indices (NN901 "Invalid array length")
  const points = [grid.arrays, grid.sramKiB, grid.bandwidth, grid.thresholdPasses, grid.batch].reduce((a, axis) => a * (axis?.length ?? 1), 1) + 1;
  if (points > MAX_GRID_POINTS) throw r.fail(`the grid has ${fmtInt(points)} points, over the limit of ${fmtInt(MAX_GRID_POINTS)}`);
  const totalPoints = r.number(o, 'totalPoints');
  if (totalPoints !== points) throw r.fail(`"totalPoints" is ${totalPoints} but the grid has ${points} points`);
  const limit = o['maxInstructions'] === undefined ? {} : { maxInstructions: r.number(o, 'maxInstructions') };
  return canonicalMeta({ model: r.string(o, 'model'), fingerprint: r.string(o, 'fingerprint'), base, grid, totalPoints, ...limit });
}

export function readPoint(v: unknown, r: JsonReader): PointResult {
  const o = r.object(v, 'a point');
  const d = r.object(o['depths'], '"depths"');
  const depths = Object.fromEntries(DEPTH_KEYS.map((k) => [k, r.number(d, k)])) as unknown as Depths;
  const figures = Object.fromEntries(FIGURE_KEYS.map((k) => [k, r.numberOrNull(o, k)])) as Record<(typeof FIGURE_KEYS)[number], number | null>;
  const feasible = o['feasible'];
  if (typeof feasible !== 'boolean') throw r.fail('"feasible" is not true or false');
  const base = o['base'];
  if (typeof base !== 'boolean') throw r.fail('"base" is not true or false');
  const layerCycles = o['layerCycles'] === null ? null : r.numbers(o, 'layerCycles');
  const programHash = o['programHash'] === null ? null : r.string(o, 'programHash');
  const error = o['error'] === null ? null : r.string(o, 'error');
  if (feasible !== (figures.cycles !== null) || feasible !== (error === null)) throw r.fail('a point must have figures exactly when it is feasible');
  // sizes and cycles are plotted on log scales: a 0 or a negative one is no point nnchip wrote
  const notPositive = ['rows', 'cols', 'pes', 'sramKiB', 'sramBytes', 'bandwidth', 'thresholdPasses', 'batch', 'cycles', 'areaLuts'].find((k) => o[k] !== null && o[k] !== undefined && !(typeof o[k] === 'number' && o[k] > 0));
  if (notPositive !== undefined) throw r.fail(`"${notPositive}" is ${shownValue(o[notPositive])}; expected a positive number`);
  return canonicalPoint({
    index: r.number(o, 'index'),
    rows: r.number(o, 'rows'),
    cols: r.number(o, 'cols'),
    pes: r.number(o, 'pes'),
    sramKiB: r.number(o, 'sramKiB'),
    sramBytes: r.number(o, 'sramBytes'),
    depths,
    bandwidth: r.number(o, 'bandwidth'),
    thresholdPasses: r.number(o, 'thresholdPasses'),
    batch: r.number(o, 'batch'),
    base,
    areaLuts: r.numberOrNull(o, 'areaLuts'),
    feasible,
    ...figures,
    layerCycles,
    programHash,
    error,
  });
}

const MAX_CONTAINERS = 2 ** 23;

/** Parse JSON text or fail with NN502 naming the file (and the line for JSON lines). */
export function parseJson(text: string, file: string, where: string): unknown {
  // a sweep of the most points (1,000,000) holds about 3.4 million: each is an object JSON.parse makes before any check
  if (containerCount(text, MAX_CONTAINERS) > MAX_CONTAINERS) throw new NnchipError('NN502', `${where}: holds over ${fmtInt(MAX_CONTAINERS)} objects and arrays, more than a sweep of the most points writes`, { file });
  try {
    const json: unknown = JSON.parse(withoutBom(text));
    const twice = duplicateKey(text);
    if (twice !== undefined) throw new NnchipError('NN502', `${where}: "${shortName(twice.key)}" is given twice in one object${twice.at === '' ? '' : ` (at ${shortName(twice.at)})`}`, { file });
    if (nestedDeeperThan(json)) throw new NnchipError('NN502', `${where}: `+`nests arrays or objects over ${MAX_JSON_DEPTH} levels deep`, { file });
    return json;
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN502', `${where}: invalid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
}
