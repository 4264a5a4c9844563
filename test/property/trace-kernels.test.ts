// SPDX-License-Identifier: MIT
/**
 * The CLI's trace kernels in WebAssembly (src/cli/trace-kernels.ts) give sim/trace.ts's records:
 * the sort gives sortedRecords' — which trace-order.test.ts holds to a plain sort — on overlapping
 * ascending runs (fast mode), any order at all (step mode), ties, fields past 2^31 (unsigned), and
 * streams that make its memory grow; a matmul's records are TraceRecorder.matmul's (which
 * trace-matmul.test.ts holds to ACCESS_PATTERN.matmul), from any start cycle, past 2^32 too; the
 * module validates (wabt). And a simulation hashes its trace the same with them.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { traceKernelsModule, wasmRecordSort, wasmTraceKernels } from '../../src/cli/trace-kernels.js';
import type { InstructionOf } from '../../src/isa/spec.js';
import { sortedRecords, TraceRecorder } from '../../sim/trace.js';
import { simulate } from '../../sim/simulate.js';
import { makeConfig } from '../../src/isa/config.js';
import { tensorSize, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

type Rec = [number, number, number];
const byRecord = (a: Rec, b: Rec): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Cycles near each other (so runs overlap and tie), codes 0-11, addresses anywhere in uint32. */
const record = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 11 }), fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })));
const ascendingRuns = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 100 }), fc.array(record, { maxLength: 30 })).map(([base, r]) => r.map(([t, c, a]): Rec => [base > 2 ** 31 ? base + t : t, c, a]).sort(byRecord)),
  { maxLength: 20 },
);

const fieldsOf = (recs: readonly Rec[]): Uint32Array => Uint32Array.from(recs.flat());

test('the WebAssembly sort gives sortedRecords\' records: overlapping ascending runs, any order, ties, unsigned fields', () => {
  fc.assert(
    fc.property(ascendingRuns, fc.array(record, { maxLength: 80 }), (runs, shuffled) => {
      for (const recs of [runs.flat(), shuffled]) {
        const fields = fieldsOf(recs);
        const want = Array.from(sortedRecords(fields.slice()));
        expect(want).toEqual([...recs].sort(byRecord).flat());
        expect(Array.from(wasmRecordSort(fields.slice()))).toEqual(want);
      }
    }),
    { numRuns: 400, seed: SEED },
  );
});

test('a stream larger than the memory so far grows it, and an empty one is empty', () => {
  expect(Array.from(wasmRecordSort(new Uint32Array(0)))).toEqual([]);
  // 60 k records (720 kB, three times over: 2.2 MB of memory), as runs of 100 that overlap by half
  const recs: Rec[] = [];
  for (let r = 0; r < 600; r++) for (let k = 0; k < 100; k++) recs.push([r * 50 + k, (r + k) % 12, r]);
  const fields = fieldsOf(recs);
  const want = sortedRecords(fields.slice());
  const got = wasmRecordSort(fields.slice());
  expect(got.length).toBe(want.length);
  expect(got.every((v: number, k: number) => v === want[k])).toBe(true);
  // and a small one again after it (the memory keeps its size)
  expect(Array.from(wasmRecordSort(Uint32Array.of(5, 1, 1, 2, 3, 4)))).toEqual([2, 3, 4, 5, 1, 1]);
});

test('the WebAssembly matmul records are TraceRecorder.matmul\'s, after records already on the unit and across the stream\'s growth', () => {
  const matmul = fc.record({
    rows: fc.integer({ min: 1, max: 300 }),
    inner: fc.integer({ min: 1, max: 40 }),
    act: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    actStride: fc.integer({ min: 0, max: 9 }),
    actOuter: fc.integer({ min: 0, max: 400 }),
    wgt: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    acc: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    accumulate: fc.boolean(),
    bias: fc.boolean(),
  }).map((m) => ({ ...m, bias: m.bias && !m.accumulate })); // a bias matmul reads only its first acc row
  const side = fc.constantFrom(1, 2, 3, 4, 8, 16, 256);
  fc.assert(
    fc.property(side, side, matmul, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 1500 }), (R, C, m, start, before) => {
      const insn = { op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, ...m } as unknown as InstructionOf<'matmul'>;
      const streams = [new TraceRecorder(), new TraceRecorder(wasmTraceKernels)].map((rec) => {
        for (let k = 0; k < before; k++) rec.add(1, k, 0, k);
        rec.begin(1, start);
        rec.matmul(insn, R, C);
        rec.add(1, 7, 1, 7); // and the stream goes on after it
        return Array.from(rec.fields(1).subarray(0, rec.length(1)));
      });
      expect(streams[1]).toEqual(streams[0]);
    }),
    { numRuns: 300, seed: SEED },
  );
});

test('a trace hashes the same sorted either way', () => {
  fc.assert(
    fc.property(fc.tuple(ascendingRuns, ascendingRuns, fc.array(record, { maxLength: 40 })), ([load, compute, store]) => {
      const rec = new TraceRecorder();
      [load.flat(), compute.flat(), store].forEach((recs, u) => recs.forEach(([cycle, code, addr]) => rec.add(u, cycle, code, addr)));
      expect(rec.hash(wasmRecordSort)).toBe(rec.hash());
    }),
    { numRuns: 200, seed: SEED },
  );
});

test('a simulation hashes its trace the same with the WebAssembly kernels (random MLPs, batches, arrays)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(2, 4, 8), fc.constantFrom(1, 3), (seed, side, batch) => {
      // two compiles of one model: the trace hash is cached per program object
      const [p, q] = [0, 1].map(() => compile(randomMlp([10, 7, 3], seed), { config: makeConfig({ rows: side, cols: side }), calibration: { samples: randomSamples(4, 10, seed + 1) }, batch }).program) as [Program, Program];
      const x = new Int8Array(tensorSize(p.input)).map((_, k) => (k * 31 + seed) % 256);
      expect(simulate(p, x, { traceKernels: wasmTraceKernels }).traceHash).toBe(simulate(q, x).traceHash);
    }),
    { numRuns: 12, seed: SEED },
  );
});

test('the module validates', async () => {
  const wabt = await (await import('wabt')).default();
  const m = wabt.readWasm(traceKernelsModule(), { readDebugNames: false });
  expect(() => m.validate()).not.toThrow();
  m.destroy();
});
