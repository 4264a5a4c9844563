/**
 * Bias matmuls (the ISA's bias bit) in the WebAssembly plan (plan/ops.ts biasCopy, mergeBiasLoads,
 * foldBiasRows): the compiler's form — a one-row bias load into a tile's first acc entry, then a
 * matmul with bias = 1 — plans to exactly the kernel calls of the replicated load it replaces in
 * both builds (the `pairs` GEMM reads the bias from DRAM, both copies gone), and the rewrites
 * stand back when the bias row's DRAM source is overwritten, when the loaded entry is read before
 * the matmul, or when no copy wrote it. Every case bit-exact against the reference interpreter in all four builds.
 */
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../../src/backends/wasm/instance.js';
import type { KernelOp } from '../../../../src/backends/wasm/plan/kernel-ops.js';
import { kernelOps } from '../../../../src/backends/wasm/plan/ops.js';
import { planMemory } from '../../../../src/backends/wasm/plan/memory.js';
import { makeConfig } from '../../../../src/isa/config.js';
import { interpret } from '../../../../src/isa/interpret.js';
import type { Program } from '../../../../src/isa/program.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../../../../src/isa/spec.js';
import { denseProgram } from '../../../helpers/dense-program.js';
import { toBiasForm } from './bias-form.js';

/** The SIMD build's kernel calls (or the scalar build's: no packed weights, no taps). */
const plan = (p: Program, simd = true): KernelOp[] => kernelOps(p, planMemory(p), { rewrite: true, pack: simd, taps: simd }).ops;
const folded = (ops: readonly KernelOp[]): number => ops.filter((o) => o.kind === 'gemm' && o.bias !== undefined).length;
const accCopies = (p: Program, ops: readonly KernelOp[]): number => ops.filter((o) => o.kind === 'copy' && o.dst >= planMemory(p).base.acc && o.dst < planMemory(p).base.qnt).length;

/** WASM (SIMD and scalar, fused and not, two runs of each instance) = the reference interpreter. */
async function expectAgreement(p: Program): Promise<void> {
  const n = p.input.rows * p.input.rowBytes;
  const inputs = [Int8Array.from({ length: n }, (_, i) => ((i * 89) % 256) - 128), new Int8Array(n).fill(127)];
  for (const v of [{ simd: true }, { simd: false }, { simd: true, fuse: false }, { simd: false, fuse: false }]) {
    const m = await instantiate(emitWasm(p, v));
    for (const x of inputs) expect(Array.from(m.runRaw(x)), JSON.stringify(v)).toEqual(Array.from(interpret(p, x)));
  }
}

/** A dense layer in bias form; `at(tile)` gives the index of the given column tile's one-row bias load. */
function biasDense(m: number, k: number, n: number, rows: number, cols: number): { p: Program; at: (tile: number) => number } {
  const p = toBiasForm(denseProgram({ m, k, n, config: makeConfig({ rows, cols, actDepth: 4096 }), seed: m * 100 + n }));
  const loads = p.instructions.flatMap((i, j) => (i.op === 'load' && i.buf === LOAD_BUFFERS.acc ? [j] : []));
  return { p, at: (tile) => loads[tile]! };
}

const insertAfter = (p: Program, at: number, insns: Instruction[]): Program => {
  const instructions = [...p.instructions.slice(0, at + 1), ...insns, ...p.instructions.slice(at + 1)];
  return { ...p, instructions, insnLayer: instructions.map(() => 0) };
};

describe('bias matmuls', () => {
  // rows: 1 (no copy over the rows), blocks of 4 and 2 rows with 1-3 left; columns: tails, 8- and 16-column strips
  const shapes: [number, number, number, number, number][] = [[1, 20, 24, 8, 8], [2, 16, 20, 8, 8], [7, 33, 17, 8, 8], [5, 40, 40, 16, 16], [9, 31, 29, 4, 7], [4, 64, 48, 16, 24]];

  test.each(shapes)('%i×%i×%i on %ix%i: the bias form plans to the replicated load\'s kernel calls; bit-exact', async (m, k, n, rows, cols) => {
    const original = denseProgram({ m, k, n, config: makeConfig({ rows, cols, actDepth: 4096 }), seed: m * 100 + n });
    const { p } = biasDense(m, k, n, rows, cols);
    expect(p.instructions.filter((i) => i.op === 'matmul' && i.bias === 1).length).toBe(Math.ceil(n / cols));
    expect(plan(p)).toEqual(plan(original));
    expect(plan(p, false)).toEqual(plan(original, false));
    if (m > 1) expect(folded(plan(p))).toBe(Math.ceil(n / cols));
    expect(Array.from(interpret(p, new Int8Array(m * k).fill(3)))).toEqual(Array.from(interpret(original, new Int8Array(m * k).fill(3))));
    await expectAgreement(p);
  });

  test('forty act loads between the bias load and the bias matmul (a conv tile\'s window lines): still the replicated load\'s calls', async () => {
    const { p, at } = biasDense(5, 40, 40, 8, 8);
    const lines: Instruction[] = Array.from({ length: 40 }, (_, j) => ({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: 4000 + j, rows: 1, dram: p.input.dram, stride: 0 }));
    const q = insertAfter(p, at(2), lines);
    expect(folded(plan(q))).toBe(folded(plan(p)));
    expect(accCopies(q, plan(q))).toBe(accCopies(p, plan(p)));
    await expectAgreement(q);
  });

  test('a store over the bias row in DRAM before the bias matmul: that GEMM does not read the bias from DRAM', async () => {
    const { p, at } = biasDense(5, 40, 40, 8, 8);
    const load = p.instructions[at(2)]!;
    if (load.op !== 'load') throw new Error('not a load');
    // out entry 0 holds the first tile's outputs, which are not its bias bytes
    const q = insertAfter(p, at(2), [{ op: 'store', ...NO_TOKENS, sram: 0, rows: 1, dram: load.dram, stride: 0 }]);
    expect(folded(plan(q))).toBe(folded(plan(p)) - 1);
    await expectAgreement(q);
  });

  test('the loaded first row read before the bias matmul (its requantized bias stored over an output): the load stays, the GEMM still folds', async () => {
    const { p, at } = biasDense(5, 40, 40, 8, 8);
    const load = p.instructions[at(1)]!;
    if (load.op !== 'load') throw new Error('not a load');
    const q = insertAfter(p, at(1), [
      { op: 'threshold', ...NO_TOKENS, acc: load.sram, out: load.sram, qnt: 0, rows: 1, zp: 0, lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 },
      { op: 'store', ...NO_TOKENS, sram: load.sram, rows: 1, dram: p.outputs[0]!.dram, stride: 0 },
    ]);
    expect(folded(plan(q))).toBe(folded(plan(p)));
    expect(accCopies(q, plan(q))).toBe(accCopies(p, plan(p)) + 1);
    await expectAgreement(q);
  });

  test('no copy wrote the first row (the bias is what acc held): the copy over the rows stays', async () => {
    const { p, at } = biasDense(5, 40, 40, 8, 8);
    const instructions = p.instructions.filter((_, i) => i !== at(3));
    const q = { ...p, instructions, insnLayer: instructions.map(() => 0) };
    expect(folded(plan(q))).toBe(folded(plan(p)) - 1);
    expect(accCopies(q, plan(q))).toBe(accCopies(p, plan(p)) + 1);
    await expectAgreement(q);
  });
});
