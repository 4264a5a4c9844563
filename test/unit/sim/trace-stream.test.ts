// SPDX-License-Identifier: MIT
/**
 * Fast mode's streamed trace hash (sim/trace-stream.ts) is TraceRecorder.hash() of the whole trace,
 * byte for byte, however small the pending window: flushed after every few records the final ones
 * are a prefix of each sort, and the rest (pipelined instructions still running) stays. With the
 * JS and the WebAssembly kernels; and fast mode's hash through it is step mode's, as is the hash of
 * the records fast mode's counters pass keeps (within TRACE_KEPT).
 */
import { expect, test } from 'vitest';
import { wasmTraceKernels } from '../../../src/cli/trace-kernels.js';
import { parseListing } from '../../../src/isa/asm.js';
import { makeConfig } from '../../../src/isa/config.js';
import type { Program } from '../../../src/isa/program.js';
import { TRACE_KEPT } from '../../../sim/fast.js';
import { FETCH, planOf } from '../../../sim/plan.js';
import { streamedTraceHash, type UnitInstructions } from '../../../sim/trace-stream.js';
import { accessPattern, TraceRecorder } from '../../../sim/trace.js';
import { simulate } from '../../../sim/simulate.js';
import { compile } from '../../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';
import type { Instruction } from '../../../src/isa/spec.js';

function programOf(side: number, batch: number, seed: number): Program {
  return compile(randomMlp([24, 17, 9], seed), { config: makeConfig({ rows: side, cols: side }), calibration: { samples: randomSamples(4, 24, seed + 1) }, batch }).program;
}

/** The whole trace as fast mode recorded it before (kept, then sorted and hashed), and the per-unit instruction lists and counts. */
function wholeAndUnits(p: Program): { whole: string; units: UnitInstructions[]; counts: number[] } {
  const plan = planOf(p);
  const rec = new TraceRecorder();
  const units: { insns: Instruction[]; starts: number[] }[] = [0, 1, 2].map(() => ({ insns: [], starts: [] }));
  p.instructions.forEach((insn, i) => {
    const u = plan.unit[i]!;
    if (u === FETCH) return;
    const start = plan.schedule.timings[i]!.start;
    rec.begin(u, start);
    accessPattern(insn, p.config, rec);
    units[u]!.insns.push(insn);
    units[u]!.starts.push(start);
  });
  return { whole: rec.hash(), units, counts: [0, 1, 2].map((u) => rec.length(u) / 3) };
}

test.each([
  [2, 1, 3],
  [4, 2, 5],
  [8, 3, 7],
])('side %i, batch %i: the streamed hash is the whole trace\'s, flushing every 3 to 3000 fields, JS and WebAssembly kernels', (side, batch, seed) => {
  const p = programOf(side, batch, seed);
  const { whole, units, counts } = wholeAndUnits(p);
  expect(counts[1]!).toBeGreaterThan(100); // the windows of 3 to 300 fields below flush many times over the compute stream
  for (const flush of [3, 30, 300, 3000]) {
    expect(streamedTraceHash(units, counts, p.config, {}, flush)).toBe(whole);
    expect(streamedTraceHash(units, counts, p.config, wasmTraceKernels, flush)).toBe(whole);
  }
  // a wrong count is a different hash (the counts are hashed, not assumed)
  expect(streamedTraceHash(units, [counts[0]!, counts[1]! + 1, counts[2]!], p.config, {}, 30)).not.toBe(whole);
  const x = new Int8Array(24 * batch);
  // a first run without the trace caches the plan and its counts; the hash asked for later streams from those
  const again = programOf(side, batch, seed);
  expect(simulate(again, x, { trace: false }).traceHash).toBeNull();
  expect(simulate(again, x).traceHash).toBe(whole);
  expect(simulate(p, x).traceHash).toBe(whole);
  expect(simulate(p, x, { mode: 'step' }).traceHash).toBe(whole);
  // the counters' pass keeps its records for the hash (made once) while they fit TRACE_KEPT; past
  // it they are dropped midway and the hash streams: the same hash and counters either way
  const kept = simulate(programOf(side, batch, seed), x);
  const limit = TRACE_KEPT.fields;
  try {
    TRACE_KEPT.fields = 60;
    const dropped = simulate(programOf(side, batch, seed), x);
    expect(dropped.traceHash).toBe(whole);
    expect(dropped.stats).toEqual(kept.stats);
    expect(dropped.stats).toEqual(simulate(p, x, { mode: 'step' }).stats);
  } finally {
    TRACE_KEPT.fields = limit;
  }
});

test('a record on the cycle the next instruction starts stays pending: that one may record before it (a lower code on the same cycle)', () => {
  const cfg = makeConfig({ rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 });
  const [a, b] = parseListing('load buf=0 sram=0 rows=1 dram=0 stride=4\nload buf=0 sram=1 rows=1 dram=4 stride=4') as [Instruction, Instruction];
  // a reads DRAM on cycle 0 and writes act row 0 on cycle 3 (latency 3, one beat); b starts on 3 and reads DRAM then (code 0, before a's write)
  const whole = new TraceRecorder();
  for (const [insn, start] of [[a, 0], [b, 3]] as const) {
    whole.begin(0, start);
    accessPattern(insn, cfg, whole);
  }
  expect(whole.records(0).filter((r) => r[0] === 3).length).toBe(2);
  const units = [{ insns: [a, b], starts: [0, 3] }, { insns: [], starts: [] }, { insns: [], starts: [] }];
  expect(streamedTraceHash(units, [4, 0, 0], cfg, {}, 3)).toBe(whole.hash());
});
