/**
 * Double-buffered PE weights (docs/hardware.md): consecutive matmuls start max(R, rows + 1) apart,
 * each accumulating onto the acc rows the one before it is still writing, and a threshold waits
 * until every matmul in flight completed; a bias matmul in the chain reads its bias entry after the
 * matmul before it wrote it. Step mode (shadow registers, write wave, swap bit, held bias) and fast
 * mode must compute exactly what the reference interpreter does, in the same cycles.
 */
import { describe, expect, test } from 'vitest';
import { listingProgram } from '../../helpers/listing-program.js';
import { makeConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import type { Program } from '../../../src/isa/program.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import { simulate } from '../../../sim/index.js';
import { rng } from '../../helpers/random-graph.js';
import { expectSameRun } from './same-run.js';

/**
 * Three weight tiles, `rows` act rows, and a chain of four accumulating matmuls onto the same acc
 * rows; with `biasAt`, the second one is a bias matmul at acc entry biasAt (its bias: the first
 * one's row biasAt, written while it is in flight) and the last two accumulate onto its rows.
 */
function chain(R: number, C: number, rows: number, seed: number, biasAt?: number): Program {
  const at = biasAt ?? 0;
  const second = biasAt === undefined ? 'accumulate=1' : 'accumulate=0 bias=1';
  const W = 0;
  const Q = W + 3 * R * C;
  const IN = Q + 4 * C;
  const OUT = IN + rows * R;
  const asm = `
    load buf=0 sram=0 rows=${rows} dram=${IN} stride=${R}
    load buf=3 sram=0 rows=1 dram=${Q} stride=0
    load buf=1 sram=0 rows=${3 * R} dram=${W} stride=${C} | pushNext
    matmul wgt=0 act=0 actStride=1 acc=0 rows=${rows} accumulate=0 inner=${rows} actOuter=0 | popPrev
    matmul wgt=${R} act=0 actStride=1 acc=${at} rows=${rows} ${second} inner=${rows} actOuter=0
    matmul wgt=${2 * R} act=0 actStride=1 acc=${at} rows=${rows} accumulate=1 inner=${rows} actOuter=0
    matmul wgt=0 act=0 actStride=1 acc=${at} rows=${rows} accumulate=1 inner=${rows} actOuter=0
    threshold acc=${at} out=0 qnt=0 rows=${rows} zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext
    store sram=0 rows=${rows} dram=${OUT} stride=${C} | popPrev
    halt`;
  const r = rng(seed);
  const constants = new Uint8Array(IN);
  for (let i = 0; i < 3 * R * C; i++) constants[W + i] = Math.floor(r() * 256);
  const view = new DataView(constants.buffer);
  for (let c = 0; c < C; c++) {
    view.setUint16(Q + 4 * c, 2 ** 14 + c, true);
    constants[Q + 4 * c + 2] = 22;
  }
  return listingProgram(asm, makeConfig({ rows: R, cols: C, dramBytesPerCycle: 64, dramLatency: 2, actDepth: 64, wgtDepth: 64, accDepth: 64, outDepth: 64 }), constants, { IN: IN, inRows: rows, OUT: OUT, outRows: rows });
}

describe('pipelined matmuls', () => {
  const cases = [
    [1, 1, 1],
    [3, 2, 1],
    [3, 2, 2],
    [2, 5, 4],
    [4, 4, 9],
  ] as const;
  // the bias entry: the first matmul's row 0 or its last row (the one it writes last)
  const withBias = cases.flatMap(([R, C, rows]) => [...new Set([0, rows - 1])].map((at) => [R, C, rows, at] as const));
  test.each([...cases.map(([R, C, rows]) => [R, C, rows, undefined] as const), ...withBias])('R=%i C=%i rows=%i bias at %s: issue interval max(R, rows + 1), threshold after the last completion, step = fast = reference', (R, C, rows, biasAt) => {
    const p = chain(R, C, rows, R * 100 + C * 10 + rows, biasAt);
    const { timings } = scheduleTimes(p.instructions, p.config);
    const mm = p.instructions.flatMap((insn, i) => (insn.op === 'matmul' ? [timings[i]!] : []));
    for (let k = 1; k < mm.length; k++) {
      expect(mm[k]!.start - mm[k - 1]!.start).toBe(Math.max(R, rows + 1));
      expect(mm[k]!.start).toBeLessThan(mm[k - 1]!.end); // they overlap
    }
    const th = timings[p.instructions.findIndex((i) => i.op === 'threshold')]!;
    expect(th.start).toBe(mm[mm.length - 1]!.end);
    const r = rng(rows);
    const x = Int8Array.from({ length: rows * R }, () => Math.floor(r() * 256) - 128);
    const fast = simulate(p, x);
    expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
    expect(fast.output.some((v) => v !== 0 && v !== -128 && v !== 127)).toBe(true); // the sums are visible, not clamped away
    expectSameRun(simulate(p, x, { mode: 'step' }), fast);
  });
});
