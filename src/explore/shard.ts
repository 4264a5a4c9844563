// SPDX-License-Identifier: MIT
/**
 * Shard files (JSON lines: one header line, then one point per line) and merging them back into
 * the ExploreResult an unsharded sweep gives, after checking that the shards fit together.
 */
import { NnchipError } from '../diagnostics/error.js';
import { canonicalMeta, canonicalPoint, JsonReader, parseJson, readMeta, readPoint } from './codec.js';
import { summarize, type ExploreResult } from './results.js';
import { inShard, MAX_SHARDS } from './shard-spec.js';
import type { SweepRun } from './sweep.js';

export const SHARD_FORMAT = 'nnchip-explore-shard';
export const SHARD_VERSION = 2;

/** The file name a shard writes: explore-shard-0003-of-0016.jsonl (zero-padded so `ls` sorts them). */
export function shardFileName(run: Pick<SweepRun, 'shard'>): string {
  const width = String(run.shard.count - 1).length;
  const pad = (n: number): string => String(n).padStart(Math.max(4, width), '0');
  return `explore-shard-${pad(run.shard.index)}-of-${pad(run.shard.count)}.jsonl`;
}

export function shardJsonl(run: SweepRun): string {
  const header = { format: SHARD_FORMAT, version: SHARD_VERSION, shard: { index: run.shard.index, count: run.shard.count }, meta: canonicalMeta(run.meta) };
  return [header, ...run.points.map(canonicalPoint)].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

export function parseShardJsonl(text: string, file: string): SweepRun {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const r = new JsonReader(file, 'line 1');
  if (lines.length === 0) throw r.fail('the shard file is empty');
  const header = r.object(parseJson(lines[0]!, file, 'line 1'), 'the header');
  if (header['format'] !== SHARD_FORMAT) throw r.fail(`"format" is not "${SHARD_FORMAT}" (write shards with \`nnchip explore --shard i/N\`)`);
  if (header['version'] !== SHARD_VERSION) throw r.fail(`"version" ${JSON.stringify(header['version'])} is not ${SHARD_VERSION}`);
  const so = r.object(header['shard'], '"shard"');
  const shard = { index: r.number(so, 'index'), count: r.number(so, 'count') };
  if (!(Number.isInteger(shard.count) && shard.count >= 1 && shard.count <= MAX_SHARDS && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) throw r.fail('"shard" must be {index, count} with 0 ≤ index < count');
  const meta = readMeta(header['meta'], r);
  const points = lines.slice(1).map((l, i) => {
    const where = `line ${i + 2}`;
    const p = readPoint(parseJson(l, file, where), new JsonReader(file, where));
    if (!Number.isInteger(p.index) || p.index < 0 || p.index >= meta.totalPoints || !inShard(p.index, shard)) {
      throw new JsonReader(file, where).fail(`point ${p.index} does not belong to shard ${shard.index}/${shard.count}`);
    }
    return p;
  });
  return { meta, shard, points };
}

function mergeError(why: string): NnchipError {
  return new NnchipError('NN502', `cannot merge the shards: ${why}`);
}

const range = (ns: readonly number[]): string => (ns.length > 3 ? `${ns.slice(0, 3).join(', ')}, … (${ns.length} in all)` : ns.join(', '));

/**
 * Merge shard runs into the result of the unsharded sweep. Every shard 0…N−1 of one sweep (same
 * model fingerprint, grid, base configuration and N) must be present exactly once, complete.
 */
export function mergeShards(runs: readonly SweepRun[]): ExploreResult {
  const first = runs[0];
  if (first === undefined) throw mergeError('no shard files given');
  const metaText = JSON.stringify(canonicalMeta(first.meta));
  const count = first.shard.count;
  const seen = new Map<number, SweepRun>();
  for (const run of runs) {
    if (JSON.stringify(canonicalMeta(run.meta)) !== metaText) throw mergeError(`shard ${run.shard.index}/${run.shard.count} comes from a different sweep (model, calibration, grid or base configuration differ)`);
    if (run.shard.count !== count) throw mergeError(`shards were cut ${count} and ${run.shard.count} ways`);
    if (seen.has(run.shard.index)) throw mergeError(`shard ${run.shard.index}/${count} is given twice`);
    seen.set(run.shard.index, run);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) throw mergeError(`shard${missing.length > 1 ? 's' : ''} ${range(missing)} of ${count} missing`);
  const points = runs.flatMap((r) => r.points);
  const have = new Set(points.map((p) => p.index));
  if (have.size !== points.length) throw mergeError('a grid point appears twice');
  const absent = Array.from({ length: first.meta.totalPoints }, (_, i) => i).filter((i) => !have.has(i));
  if (absent.length > 0) throw mergeError(`grid point${absent.length > 1 ? 's' : ''} ${range(absent)} missing (a shard file is truncated)`);
  return summarize(first.meta, points);
}
