// SPDX-License-Identifier: MIT
/**
 * The trace hash is over each unit's records in (cycle, code, address) order, whatever order they
 * were recorded in: overlapping ascending runs (fast mode, one per instruction: appended, or merged
 * with the output's tail), and any shuffle at all (step mode). Against a plain sort.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { HASH_CHUNK_BYTES, TraceRecorder } from '../../../sim/trace.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

type Rec = [number, number, number];

/** sha256 as TraceRecorder.hash() defines it, from a plain sort of each unit's records. */
function plainHash(units: Rec[][]): string {
  const h = createHash('sha256');
  units.forEach((recs, u) => {
    const sorted = [...recs].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    h.update(new Uint8Array(Uint32Array.of(u, sorted.length).buffer));
    h.update(new Uint8Array(Uint32Array.from(sorted.flat()).buffer));
  });
  return h.digest('hex');
}

const record = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
/** Runs of records, each ascending (one instruction's accesses from its start), starting anywhere. */
const runs = fc.array(fc.array(record, { maxLength: 12 }).map((r) => r.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])), { maxLength: 12 });

test('records as overlapping ascending runs hash as their plain sort', () => {
  fc.assert(
    fc.property(fc.tuple(runs, runs, runs), (units) => {
      const rec = new TraceRecorder();
      units.forEach((unitRuns, u) => unitRuns.forEach((run) => run.forEach(([cycle, code, addr]) => rec.add(u, cycle, code, addr))));
      expect(rec.hash()).toBe(plainHash(units.map((r) => r.flat())));
    }),
    { numRuns: 300, seed: SEED },
  );
});

test('records in any order hash as their plain sort, and begin()/at() record at the start cycle plus the offset', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (recs, start) => {
      const rec = new TraceRecorder();
      rec.begin(1, start);
      for (const [t, code, addr] of recs) rec.at(t, code, addr);
      expect(rec.length(1)).toBe(3 * recs.length);
      expect(rec.hash()).toBe(plainHash([[], recs.map(([t, code, addr]): Rec => [start + t, code, addr]), []]));
    }),
    { numRuns: 300, seed: SEED },
  );
});

test('a record stream is hashed in pieces of at most HASH_CHUNK_BYTES, under the 2 GiB one Hash.update takes (ResNet-50 on 8x8 was "internal error: data is too long"), to the same digest', () => {
  expect(HASH_CHUNK_BYTES).toBeLessThan(2 ** 31);
  fc.assert(
    fc.property(fc.tuple(runs, runs, runs), fc.integer({ min: 1, max: 40 }), (units, records) => {
      const rec = new TraceRecorder();
      units.forEach((unitRuns, u) => unitRuns.forEach((run) => run.forEach(([cycle, code, addr]) => rec.add(u, cycle, code, addr))));
      // a piece of any whole number of records (12 bytes each) gives the one-piece digest
      expect(rec.hash(undefined, records * 12)).toBe(plainHash(units.map((r) => r.flat())));
    }),
    { numRuns: 100, seed: SEED },
  );
});
