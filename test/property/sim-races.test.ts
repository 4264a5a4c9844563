/**
 * Fast mode on programs with missing tokens (races): it must compute exactly the concurrent
 * semantics it documents — every instruction reads at its start and writes at its end, commits of
 * a cycle before its reads, except that a matmul adds onto the acc rows at its end (consecutive
 * matmuls overlap, the next one accumulating onto what the previous one writes) and a bias matmul
 * reads its bias entry there too — so that a missing token changes the values. The oracle below
 * runs interpret.ts's execute() on a snapshot of the machine taken at each start and copies the
 * instruction's footprint (spec.ts) back at its end.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { createState, execute, interpret, type MachineState } from '../../src/isa/interpret.js';
import { initialDram, readTensor, type Program } from '../../src/isa/program.js';
import { loadBufferOf, type Instruction } from '../../src/isa/spec.js';
import { UNIT_OF } from '../../src/isa/ops/index.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { parseListing } from '../../src/isa/asm.js';
import { simulate } from '../../sim/index.js';
import { rng } from '../helpers/random-graph.js';
import { racyRandomProgram, strippedMlp } from '../helpers/racy-program.js';
import { withBiasMatmuls } from '../unit/sim/bias-program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251123);

const clone = (s: MachineState): MachineState => ({
  dram: s.dram.slice(),
  act: s.act.slice(),
  wgt: s.wgt.slice(),
  acc: s.acc.slice(),
  qntMult: s.qntMult.slice(),
  qntShift: s.qntShift.slice(),
  out: s.out.slice(),
});

/** Copy what `insn` writes (its footprint in spec.ts) from `from` into `to`. */
function commitFootprint(insn: Instruction, from: MachineState, to: MachineState, cfg: ArrayConfig): void {
  const { rows: R, cols: C } = cfg;
  const entries = <T extends Int8Array | Int32Array | Uint16Array | Uint8Array>(a: T, b: T, first: number, n: number, lanes: number): void => {
    b.set(a.subarray(first * lanes, (first + n) * lanes), first * lanes);
  };
  switch (insn.op) {
    case 'load': {
      const buf = loadBufferOf(insn.buf);
      if (buf === 'act') entries(from.act, to.act, insn.sram, insn.rows, R);
      else if (buf === 'wgt') entries(from.wgt, to.wgt, insn.sram, insn.rows, C);
      else if (buf === 'acc') entries(from.acc, to.acc, insn.sram, insn.rows, C);
      else (entries(from.qntMult, to.qntMult, insn.sram, insn.rows, C), entries(from.qntShift, to.qntShift, insn.sram, insn.rows, C));
      return;
    }
    case 'store':
      for (let i = 0; i < insn.rows; i++) to.dram.set(from.dram.subarray(insn.dram + i * insn.stride, insn.dram + i * insn.stride + C), insn.dram + i * insn.stride);
      return;
    case 'matmul': {
      // `from` holds the bare sums (executed without accumulate and bias at the start); a bias matmul starts from entry acc as it is now
      const o = insn.acc * C;
      const held = to.acc.slice(o, o + C);
      for (let j = 0; j < insn.rows * C; j++) to.acc[o + j] = insn.accumulate ? (to.acc[o + j]! + from.acc[o + j]!) | 0 : insn.bias ? (held[j % C]! + from.acc[o + j]!) | 0 : from.acc[o + j]!;
      return;
    }
    case 'threshold':
      return entries(from.out, to.out, insn.out, insn.rows, C);
    case 'sync':
    case 'halt':
      return;
  }
}

function concurrentReference(p: Program, x: Int8Array): Int8Array {
  const { timings } = scheduleTimes(p.instructions, p.config);
  const events: [number, number, number][] = [];
  p.instructions.forEach((insn, i) => {
    if (UNIT_OF[insn.op] !== 'fetch') events.push([timings[i]!.start, 1, i], [timings[i]!.end, 0, i]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const s = createState(p.config, initialDram(p, x));
  const pending = new Map<number, MachineState>();
  for (const [, phase, i] of events) {
    const insn = p.instructions[i]!;
    if (phase === 1) {
      const view = clone(s);
      execute(view, insn.op === 'matmul' ? { ...insn, accumulate: 0, bias: 0 } : insn, p.config);
      pending.set(i, view);
    } else commitFootprint(insn, pending.get(i)!, s, p.config);
  }
  return readTensor(s.dram, p.outputs[0]!);
}


describe('races: fast mode computes its documented concurrent semantics', () => {
  test('random programs with no tokens at all, some with bias matmuls', () => {
    let differs = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 30 }), fc.boolean(), (seed, dramLatency, withBias) => {
        const racy = racyRandomProgram(seed, dramLatency);
        const p = withBias ? { ...racy, instructions: withBiasMatmuls(racy.instructions, rng(seed + 1)) } : racy;
        const r = rng(seed);
        const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
        const got = Array.from(simulate(p, x, { trace: false }).output);
        expect(got).toEqual(Array.from(concurrentReference(p, x)));
        if (got.join() !== Array.from(interpret(p, x)).join()) differs++;
      }),
      { numRuns: 150, seed: SEED },
    );
    // the races are real: without tokens, sequential and concurrent results often part ways
    expect(differs).toBeGreaterThan(10);
  });

  test('a compiled MLP with its tokens stripped computes something else than the reference', () => {
    const { p, racy, x } = strippedMlp();
    const got = Array.from(simulate(racy, x).output);
    expect(got).toEqual(Array.from(concurrentReference(racy, x)));
    expect(got).not.toEqual(Array.from(interpret(racy, x)));
    expect(Array.from(simulate(p, x).output)).toEqual(Array.from(interpret(p, x)));
  });

  test('a load reads DRAM at its start even when a store lands on its source while it runs', () => {
    // C = 4, one byte per cycle: the first store (zeros from the untouched out buffer) lands on Y
    // in the middle of the acc load that reads Y; sequentially the load would see the zeros
    const Y = 0;
    const Q = 16;
    const asm = `
      store sram=0 rows=1 dram=${Y} stride=0
      load buf=2 sram=0 rows=1 dram=${Y} stride=0
      load buf=3 sram=0 rows=1 dram=${Q} stride=0 | pushNext
      threshold acc=0 out=1 qnt=0 rows=1 zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | popPrev pushNext
      store sram=1 rows=1 dram=40 stride=0 | popPrev
      halt`;
    const constants = new Uint8Array(32);
    new DataView(constants.buffer).setInt32(Y, 300, true);
    new DataView(constants.buffer).setUint16(Q, 2 ** 14, true);
    constants[Q + 2] = 9;
    const p: Program = {
      config: makeConfig({ rows: 2, cols: 4, dramBytesPerCycle: 1, dramLatency: 10 }),
      instructions: parseListing(asm),
      dramSize: 48,
      constants,
      input: { name: 'x', shape: [2], dram: 32, rows: 1, rowBytes: 2, rowStride: 2, scale: 1, zp: 0 },
      outputs: [{ name: 'y', shape: [4], dram: 40, rows: 1, rowBytes: 4, rowStride: 4, scale: 1, zp: 0 }],
      layers: [],
      insnLayer: parseListing(asm).map(() => 0),
      memoryMap: [],
      notes: [],
    };
    const x = new Int8Array(2);
    const got = Array.from(simulate(p, x).output);
    expect(got).toEqual(Array.from(concurrentReference(p, x)));
    expect(got).not.toEqual(Array.from(interpret(p, x)));
  });
});
