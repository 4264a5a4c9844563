// SPDX-License-Identifier: MIT
/**
 * Chaining (isa/chain.ts, timing.ts chainedTokenAt, passes/chain.ts): a chained matmul takes its
 * load's token the cycle after the load wrote its first row; the race check takes it only where the
 * schedule shows every entry written before the matmul touches it; the compiler chains where the
 * program gets faster.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { interpret } from '../../../src/isa/interpret.js';
import type { Program } from '../../../src/isa/program.js';
import { loadBufferOf, type InstructionOf } from '../../../src/isa/spec.js';
import { chainedTokenAt, scheduleTimes } from '../../../src/isa/timing.js';
import { validateProgram } from '../../../src/isa/validate.js';
import { compile } from '../../../src/passes/pipeline.js';
import { simulate } from '../../../sim/index.js';
import { chainedCount, chainWherever, convPair, stridedShortcut, validates } from '../../helpers/chain.js';
import { failure } from '../../helpers/errors.js';
import { randomSamples } from '../../helpers/random-graph.js';

const IDEAL: Partial<ArrayConfig> = { rows: 32, cols: 8, dramBytesPerCycle: 4096, dramLatency: 0, accBanks: 2 };

/** Two 3×3 convolutions of 8 channels over a 12×12 map (on 32x32: 11 matmuls chained). */
function compiled(config: Partial<ArrayConfig>, side = 12): Program {
  const graph = convPair(5, side, 8, 8);
  return compile(graph, { config: makeConfig(config), calibration: { samples: randomSamples(3, side * side * 8, 6, -1, 1) } }).program;
}

/** The chain bits cleared (the tokens stay where the pass put them: on a tile's window rather than its bias row, where it moved one). */
const unchained = (p: Program): Program => ({ ...p, instructions: p.instructions.map((i) => (i.op === 'matmul' && i.chain === 1 ? { ...i, chain: 0 } : i)) });

/** For each chained matmul: the load whose token it pops (the k-th pop takes the k-th push). */
function poppedLoads(p: Program): Map<number, number> {
  const out = new Map<number, number>();
  const pushers: number[] = [];
  let k = 0;
  p.instructions.forEach((insn, i) => {
    if (insn.op === 'load' && insn.pushNext) pushers.push(i);
    if (insn.op === 'matmul' && insn.popPrev) {
      const load = pushers[k++]!;
      if (insn.chain === 1) out.set(i, load);
    }
  });
  return out;
}

describe('chaining', () => {
  const p = compiled(IDEAL);

  test('the compiler chains matmuls that waited for their loads, and the program gets faster', () => {
    expect(chainedCount(p)).toBeGreaterThan(0);
    expect(certify(p).cycles).toBeLessThan(certify(unchained(p)).cycles);
  });

  test('a chained matmul starts when its load has written its first row (not when it ends), and the race check takes it', () => {
    const s = scheduleTimes(p.instructions, p.config);
    const popped = poppedLoads(p);
    expect(popped.size).toBe(chainedCount(p));
    for (const [mm, ld] of popped) {
      const load = p.instructions[ld] as InstructionOf<'load'>;
      expect(chainedTokenAt(load, s.timings[ld]!.start, p.config)).toBe(s.timings[ld]!.start + 1); // latency 0, one beat a row
      expect(s.timings[mm]!.start).toBeGreaterThanOrEqual(s.timings[ld]!.start + 1);
    }
    // some start before their load has ended: the stream follows the DMA
    expect([...popped].some(([mm, ld]) => s.timings[mm]!.start < s.timings[ld]!.end)).toBe(true);
    expect(() => validateProgram(p)).not.toThrow();
  });

  test('fast = step = interpret on the chained program, with the certificate\'s cycles', () => {
    const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, (_, i) => ((i * 29) % 256) - 128);
    const fast = simulate(p, x);
    const step = simulate(p, x, { mode: 'step' });
    expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
    expect(Array.from(step.output)).toEqual(Array.from(fast.output));
    expect([step.cycles, step.traceHash, step.stats]).toEqual([fast.cycles, fast.traceHash, fast.stats]);
    expect(fast.cycles).toBe(certify(p).cycles);
  });

  test('on slower DRAM (eight beats an act row) the same chains would read rows before they land: refused, naming the entry and the cycles', () => {
    const slow: Program = { ...p, config: makeConfig({ ...p.config, dramBytesPerCycle: 4 }) };
    const e = failure(() => validateProgram(slow));
    expect(e.code).toBe('NN404');
    expect(e.message).toMatch(/matmul \d+ touches (act|wgt|acc) entry \d+ at cycle \d+, before load \d+ writes it \(cycle \d+\): a chained token does not order them/);
    // compiled for that machine, the program chains only where the schedule allows it
    expect(validates(compiled({ ...IDEAL, dramBytesPerCycle: 4 }))).toBe(true);
  });

  test('a chain the compiler did not set is taken where the schedule allows it, refused where it does not', () => {
    const slow = compiled({ ...IDEAL, dramBytesPerCycle: 4, dramLatency: 3 });
    const candidates = slow.instructions.filter((i) => i.op === 'matmul' && i.popPrev && i.chain === 0).length;
    const forced = chainWherever(slow);
    expect(chainedCount(forced)).toBeGreaterThan(chainedCount(slow));
    expect(chainedCount(forced)).toBeLessThan(chainedCount(slow) + candidates);
  });

  test('a window loaded line by line (a 1×1 stride-2 convolution): the token moves to a load before its lines, the matmul streams behind all of them', () => {
    const graph = stridedShortcut(3, 16, 8, 8);
    const q = compile(graph, { config: makeConfig(IDEAL), calibration: { samples: randomSamples(3, 16 * 16 * 8, 6, -1, 1) } }).program;
    const s = scheduleTimes(q.instructions, q.config);
    const popped = poppedLoads(q);
    // a chained matmul whose window's line loads all come after the load it pops
    const moved = [...popped].filter(([mm, ld]) => q.instructions.slice(ld + 1, mm).filter((i) => i.op === 'load' && loadBufferOf(i.buf) === 'act').length >= 2);
    expect(moved.length).toBeGreaterThan(0);
    for (const [mm] of moved) {
      const lastLine = Math.max(...q.instructions.slice(0, mm).flatMap((i, k) => (i.op === 'load' && loadBufferOf(i.buf) === 'act' ? [k] : [])));
      expect(s.timings[mm]!.start).toBeLessThan(s.timings[lastLine]!.start);
    }
    expect(validates(q)).toBe(true);
    const x = Int8Array.from({ length: q.input.rows * q.input.rowBytes }, (_, i) => ((i * 31) % 256) - 128);
    const fast = simulate(q, x);
    const step = simulate(q, x, { mode: 'step' });
    expect(Array.from(fast.output)).toEqual(Array.from(interpret(q, x)));
    expect([step.cycles, Array.from(step.output)]).toEqual([fast.cycles, Array.from(fast.output)]);
    expect(fast.cycles).toBe(certify(q).cycles);
  });

  test('no load long enough to gain: the program is not chained (nor scheduled twice)', () => {
    const small = compiled({ rows: 4, cols: 4 }, 6);
    expect(chainedCount(small)).toBe(0);
  });
});
