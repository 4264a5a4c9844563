/**
 * Hoisting (passes/schedule.ts): a load moves up past compute and store instructions it does not
 * conflict with, but not past one that already has two hoisted loads right before it (the loads
 * emitted there do not count) — fetch is in program order and stops on a full load queue, so
 * loads piled ahead of a matmul hold back its fetch.
 */
import { expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../../../src/isa/spec.js';
import { hoistLoads } from '../../../src/passes/schedule.js';

const cfg = makeConfig({ rows: 4, cols: 4 });
const load = (sram: number): Instruction => ({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram, rows: 1, dram: 16 * sram, stride: 4 });
const matmul = (acc: number): Instruction => ({ op: 'matmul', ...NO_TOKENS, wgt: 0, act: 0, actStride: 1, acc, rows: 1, accumulate: 1, inner: 1, actOuter: 0, bias: 0, shift: 0, chain: 0 });

test('independent loads after two matmuls: two hoisted ones join each matmul, the rest stay behind', () => {
  // the matmuls read act entry 0 only; loads 1..6 write other entries; L0 is the first matmul's own
  const list = [load(0), matmul(0), matmul(1), ...[1, 2, 3, 4, 5, 6].map(load)].map((insn) => ({ insn, layer: 0 }));
  const order = hoistLoads(list, cfg).map(({ insn }) => (insn.op === 'load' ? `L${insn.sram}` : `M${(insn as Instruction & { acc: number }).acc}`));
  expect(order).toEqual(['L0', 'L1', 'L2', 'M0', 'L3', 'L4', 'M1', 'L5', 'L6']);
});

test('a load that conflicts still stops at the conflict', () => {
  const list = [load(0), matmul(0), load(0)].map((insn) => ({ insn, layer: 0 }));
  expect(hoistLoads(list, cfg).map(({ insn }) => insn.op)).toEqual(['load', 'matmul', 'load']);
});
