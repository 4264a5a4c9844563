/**
 * prove(): holds on compiled programs (figures = the certificate of cost.ts) and fails on a
 * data-dependent simulation, a trace that changes with the data, a program with a missing token,
 * and a step mode that disagrees.
 */
import { describe, expect, test } from 'vitest';
import { certify } from '../../../src/isa/cost.js';
import { OPS } from '../../../src/isa/ops/index.js';
import { makeConfig } from '../../../src/isa/config.js';
import type { Program } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { prove, simulate, type SimulateFn } from '../../../sim/index.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';
import { oneTile } from './one-tile.js';

const graph = randomMlp([12, 9, 4], 21);
const program = compile(graph, { config: makeConfig({ rows: 4, cols: 4, dramLatency: 5 }), calibration: { samples: randomSamples(8, 12, 22) } }).program;

describe('prove', () => {
  test('holds on a compiled program: every input agrees and every figure equals the certificate', () => {
    const samples = [Int8Array.from({ length: 12 }, (_, i) => i * 9 - 50)];
    const r = prove(program, samples, { randomInputs: 3 });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    // zero, max, min, 3 random, 1 sample, then the step-mode cross-check of the first
    expect(r.inputsTried.map((t) => `${t.kind}/${t.mode}`)).toEqual(['zero/fast', 'max/fast', 'min/fast', 'random/fast', 'random/fast', 'random/fast', 'sample/fast', 'zero/step']);
    const cert = certify(program);
    expect(r.cycles).toBe(cert.cycles);
    expect(r.programHash).toBe(cert.programHash);
    expect(r.figures.every((f) => f.certified === f.simulated)).toBe(true);
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('fails when the cycle count depends on the data', () => {
    const sneaky: SimulateFn = (p, x, o) => {
      const r = simulate(p, x, o);
      return x[0] === 127 ? { ...r, cycles: r.cycles + 1 } : r;
    };
    const r = prove(program, [], { simulate: sneaky, stepCheck: false });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`max input: ${r.cycles + 1} cycles, but ${r.cycles} on the all-zero input`);
  });

  test('fails when the address trace depends on the data', () => {
    const sneaky: SimulateFn = (p, x, o) => {
      const r = simulate(p, x, o);
      return x[0] === -128 ? { ...r, traceHash: '0'.repeat(64) } : r;
    };
    const r = prove(program, [], { simulate: sneaky, stepCheck: false });
    expect(r.problems).toEqual(['min input: the memory-address trace differs from the all-zero input\'s']);
  });

  test('fails when a counter depends on the data, or disagrees with the certificate', () => {
    const sneaky: SimulateFn = (p, x, o) => {
      const r = simulate(p, x, o);
      return x.some((v) => v > 100) ? { ...r, stats: { ...r.stats, dramBytesRead: r.stats.dramBytesRead + 1 } } : r;
    };
    const r = prove(program, [], { simulate: sneaky, stepCheck: false });
    expect(r.problems[0]).toBe('max input: the counters differ from the all-zero input\'s');
    const always: SimulateFn = (p, x, o) => {
      const s = simulate(p, x, o);
      return { ...s, stats: { ...s.stats, sramReads: { ...s.stats.sramReads, wgt: s.stats.sramReads.wgt + 2 } } };
    };
    const wgtReads = certify(program).sramReads.wgt;
    expect(prove(program, [], { simulate: always, stepCheck: false }).problems).toEqual([`sramReads.wgt: the certificate says ${wgtReads}, the simulation ${wgtReads + 2}`]);
  });

  test('fast mode tallies its counters apart from the certificate: a wrong op-record count fails the proof', () => {
    // the certificate's counters come from the op records alone; fast mode counts the accesses of
    // trace.ts's per-cycle table, so a broken record shows up as a disagreement, without step mode
    const record = OPS.matmul as { count: (typeof OPS.matmul)['count'] };
    const original = record.count;
    record.count = (insn, cfg, tally) => {
      original(insn, cfg, tally);
      tally.sramReads.act += 1;
    };
    try {
      const r = prove(program, [], { stepCheck: false });
      const matmuls = program.instructions.filter((i) => i.op === 'matmul').length;
      const simulated = simulate(program, new Int8Array(12)).stats.sramReads.act;
      expect(r.problems).toEqual([`sramReads.act: the certificate says ${simulated + matmuls}, the simulation ${simulated}`]);
    } finally {
      record.count = original;
    }
  });

  test('fails on a program with a missing dependency token (the matmul races the weight load)', () => {
    // the act load hands its token to the matmul; the wgt load behind it has none, so the
    // matmul starts while the weights are still in flight and reads the empty buffer
    const base = oneTile({ R: 4, C: 3, M: 2, L: 30, B: 2 }, 9);
    const racy: Program = {
      ...base,
      instructions: base.instructions.map((i, k) => (k === 2 ? { ...i, pushNext: true } : k === 3 ? { ...i, pushNext: false } : i)),
    };
    const r = prove(racy, []);
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => /differ from the reference interpreter/.test(p))).toBe(true);
    // and the correctly tokenized original proves
    expect(prove(base, []).problems).toEqual([]);
  });

  test('fails when step mode disagrees with fast mode', () => {
    const sneaky: SimulateFn = (p, x, o) => {
      const r = simulate(p, x, o);
      return o?.mode === 'step' ? { ...r, cycles: r.cycles - 1 } : r;
    };
    const r = prove(program, [], { simulate: sneaky, stepCheck: true });
    expect(r.problems).toEqual(['step mode disagrees with fast mode on the all-zero input (outputs, cycles, trace or counters)']);
  });
});
