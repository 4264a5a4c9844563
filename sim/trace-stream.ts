// SPDX-License-Identifier: MIT
/**
 * Fast mode's trace hash in bounded memory: the same sha256 as TraceRecorder.hash() over the whole
 * trace, byte for byte, without keeping the trace. Kept whole, ResNet-50's (8x8) took 7.8 GB.
 *
 * The hash is over each unit's stream in turn, prefixed by its record count, so the counts come
 * first (the tally pass counts them) and then each unit's records are made again, one unit at a
 * time. A unit's instructions record from their start cycles on, so once the next ones all start
 * on cycle B or later, the records before B are final: they are sorted, hashed and dropped, and
 * only the records of the few instructions still running stay (their overlap).
 */
import { createHash, type Hash } from 'node:crypto';
import type { ArrayConfig } from '../src/isa/config.js';
import type { Instruction } from '../src/isa/spec.js';
import { accessPattern, HASH_CHUNK_BYTES, sortedRecords, TraceRecorder, type TraceKernels } from './trace.js';

/** Fields (three per record) pending before the final ones are sorted and hashed: 48 MB. */
const FLUSH_FIELDS = 12 << 20;

/** The instructions of one unit, in the order it runs them, with their start cycles. */
export interface UnitInstructions {
  readonly insns: readonly Instruction[];
  readonly starts: readonly number[];
}

/**
 * TraceRecorder.hash() of the records accessPattern gives each unit's instructions from their
 * starts, with `counts[u]` records on unit u. Start cycles past 2^32 would wrap the uint32 fields
 * (and the whole-trace sort's order with them): such a trace is recorded whole, as before.
 */
export function streamedTraceHash(units: readonly UnitInstructions[], counts: readonly number[], cfg: ArrayConfig, kernels: TraceKernels = {}, flushFields = FLUSH_FIELDS): string {
  const sort = kernels.sort ?? sortedRecords;
  const h = createHash('sha256');
  units.forEach((unit, u) => {
    h.update(new Uint8Array(Uint32Array.of(u, counts[u]!).buffer));
    // the least start from each instruction on: records before it are final
    const bound = new Float64Array(unit.starts.length + 1).fill(Infinity);
    for (let k = unit.starts.length - 1; k >= 0; k--) bound[k] = Math.min(bound[k + 1]!, unit.starts[k]!);
    const rec = new TraceRecorder(kernels);
    let limit = flushFields;
    unit.insns.forEach((insn, k) => {
      if (rec.length(u) >= limit) {
        const kept = flushFinal(h, rec, u, bound[k]!, sort);
        limit = Math.max(flushFields, 2 * kept);
      }
      rec.begin(u, unit.starts[k]!);
      accessPattern(insn, cfg, rec);
    });
    flushFinal(h, rec, u, Infinity, sort);
  });
  return h.digest('hex');
}

/** Sorts the unit's pending records, hashes those before cycle `before` and keeps the rest; returns the fields kept. */
function flushFinal(h: Hash, rec: TraceRecorder, u: number, before: number, sort: (f: Uint32Array) => Uint32Array): number {
  const n = rec.length(u);
  const sorted = sort(rec.fields(u).subarray(0, n));
  // records are sorted by cycle first: the final ones are a prefix
  let lo = 0;
  let hi = n / 3;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[3 * mid]! < before) lo = mid + 1;
    else hi = mid;
  }
  const done = 3 * lo;
  for (let at = 0; at < done * 4; at += HASH_CHUNK_BYTES) h.update(new Uint8Array(sorted.buffer, sorted.byteOffset + at, Math.min(HASH_CHUNK_BYTES, done * 4 - at)));
  // the rest, in order, back to the front of the stream (sorted may be a view the next sort overwrites)
  const rest = sorted.slice(done, n);
  rec.truncate(u, 0);
  for (let i = 0; i < rest.length; i += 3) rec.add(u, rest[i]!, rest[i + 1]!, rest[i + 2]!);
  return rest.length;
}
