// SPDX-License-Identifier: MIT
/** Which grid points a shard `i/N` owns: index mod N = i (round-robin, so big arrays spread evenly). */
import { NnchipError } from '../diagnostics/error.js';

export interface Shard {
  /** 0-based: 0 … count−1 (Kubernetes JOB_COMPLETION_INDEX and `seq 0 N-1` count the same way). */
  readonly index: number;
  readonly count: number;
}

/** The most shards one sweep may be cut into (a sanity bound, far above any real cluster job). */
export const MAX_SHARDS = 1_000_000;

export function inShard(pointIndex: number, shard: Shard): boolean {
  return pointIndex % shard.count === shard.index;
}

/** Parse `i/N` with 0 ≤ i < N. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 0 && index < count)) {
    throw new NnchipError('NN801', `--shard "${text}" must be i/N with 0 ≤ i < N ≤ ${MAX_SHARDS} (shards count from 0)`);
  }
  return { index, count };
}
