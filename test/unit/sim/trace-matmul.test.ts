// SPDX-License-Identifier: MIT
/**
 * A matmul's trace records, as TraceRecorder writes them straight into its stream (fast mode's
 * trace pass), are the ones ACCESS_PATTERN.matmul emits one at() call at a time to any other
 * sink: same cycles, codes and addresses in the same order, from any start cycle, after records
 * already on the unit and across the stream's growth (uint32 wrap-around included).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import type { InstructionOf } from '../../../src/isa/spec.js';
import { accessPattern, TraceRecorder, type AccessSink } from '../../../sim/trace.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261204);

const side = fc.constantFrom(1, 2, 3, 4, 8, 16);
const matmul = fc.record({
  rows: fc.integer({ min: 1, max: 300 }),
  inner: fc.integer({ min: 1, max: 40 }),
  act: fc.integer({ min: 0, max: 5000 }),
  actStride: fc.integer({ min: 0, max: 9 }),
  actOuter: fc.integer({ min: 0, max: 400 }),
  wgt: fc.integer({ min: 0, max: 5000 }),
  acc: fc.integer({ min: 0, max: 5000 }),
  accumulate: fc.boolean(),
  bias: fc.boolean(),
}).map((m) => ({ ...m, bias: m.bias && !m.accumulate })); // a bias matmul reads only its first acc row

test('TraceRecorder.matmul writes the records ACCESS_PATTERN.matmul emits', () => {
  fc.assert(
    fc.property(side, side, matmul, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 1500 }), (rows, cols, m, start, before) => {
      const cfg = makeConfig({ rows, cols });
      const insn = { op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, ...m } as unknown as InstructionOf<'matmul'>;
      const expected: number[] = [];
      const sink: AccessSink = { at: (t, code, addr) => void expected.push((start + t) >>> 0, code, addr) };
      accessPattern(insn, cfg, sink);
      const rec = new TraceRecorder();
      for (let k = 0; k < before; k++) rec.add(1, k, 0, k); // records already there, and a stream that must grow
      rec.begin(1, start);
      accessPattern(insn, cfg, rec);
      expect(rec.length(1)).toBe(3 * before + expected.length);
      expect([...rec.fields(1).subarray(3 * before, rec.length(1))]).toEqual(expected);
      expect([...rec.fields(1).subarray(0, 3 * before)]).toEqual(Array.from({ length: before }, (_, k) => [k, 0, k]).flat());
    }),
    { numRuns: 300, seed: SEED },
  );
});
