// SPDX-License-Identifier: MIT
/**
 * A matmul's, a load's and a store's trace records, as TraceRecorder writes them straight into its
 * stream (fast mode's trace pass), are the ones ACCESS_PATTERN emits one at() call at a time to any
 * other sink: same cycles, codes and addresses in the same order, from any start cycle, after
 * records already on the unit and across the stream's growth (uint32 wrap-around included).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import type { Instruction, InstructionOf } from '../../../src/isa/spec.js';
import type { ArrayConfig } from '../../../src/isa/config.js';
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

/** What `insn` records on unit `unit` from cycle `start` through TraceRecorder (after `before` records already there) and through a plain sink. */
function bothWays(cfg: ArrayConfig, insn: Instruction, unit: number, start: number, before: number): void {
  const expected: number[] = [];
  const sink: AccessSink = { at: (t, code, addr) => void expected.push((start + t) >>> 0, code, addr >>> 0) };
  accessPattern(insn, cfg, sink);
  const rec = new TraceRecorder();
  for (let k = 0; k < before; k++) rec.add(unit, k, 0, k); // records already there, and a stream that must grow
  rec.begin(unit, start);
  accessPattern(insn, cfg, rec);
  expect(rec.length(unit)).toBe(3 * before + expected.length);
  expect([...rec.fields(unit).subarray(3 * before, rec.length(unit))]).toEqual(expected);
  expect([...rec.fields(unit).subarray(0, 3 * before)]).toEqual(Array.from({ length: before }, (_, k) => [k, 0, k]).flat());
}

const header = { popPrev: false, popNext: false, pushPrev: false, pushNext: false };

test('TraceRecorder.matmul writes the records ACCESS_PATTERN.matmul emits', () => {
  fc.assert(
    fc.property(side, side, matmul, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 1500 }), (rows, cols, m, start, before) => {
      bothWays(makeConfig({ rows, cols }), { op: 'matmul', ...header, ...m } as unknown as InstructionOf<'matmul'>, 1, start, before);
    }),
    { numRuns: 300, seed: SEED },
  );
});

// DRAM timing where the read and write streams meet on one cycle (latency 0, one beat) and where they do not
const dram = fc.record({ dramBytesPerCycle: fc.constantFrom(1, 2, 3, 8, 16, 4096), dramLatency: fc.constantFrom(0, 1, 2, 5, 20) });
const rowsField = fc.integer({ min: 1, max: 400 });
const address = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const stride = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));

test('TraceRecorder.dmaRows writes the records ACCESS_PATTERN.load emits, to every buffer', () => {
  fc.assert(
    fc.property(side, side, dram, fc.integer({ min: 0, max: 3 }), rowsField, fc.integer({ min: 0, max: 60000 }), address, stride, address, fc.integer({ min: 0, max: 1500 }), (rows, cols, d, buf, n, sram, dramAt, step, start, before) => {
      const insn = { op: 'load', ...header, buf, sram, rows: n, dram: dramAt, stride: step } as unknown as InstructionOf<'load'>;
      bothWays(makeConfig({ rows, cols, ...d }), insn, 0, start, before);
    }),
    { numRuns: 300, seed: SEED },
  );
});

test('TraceRecorder.dmaRows writes the records ACCESS_PATTERN.store emits', () => {
  fc.assert(
    fc.property(side, side, dram, rowsField, fc.integer({ min: 0, max: 60000 }), address, stride, address, fc.integer({ min: 0, max: 1500 }), (rows, cols, d, n, sram, dramAt, step, start, before) => {
      const insn = { op: 'store', ...header, sram, rows: n, dram: dramAt, stride: step } as unknown as InstructionOf<'store'>;
      bothWays(makeConfig({ rows, cols, ...d }), insn, 2, start, before);
    }),
    { numRuns: 300, seed: SEED },
  );
});
