/**
 * WASM = reference interpreter on programs the compiler does not emit: random valid programs
 * (extreme requantization parameters, strided loads, stores over constants, two-level act
 * addresses, fusable and non-fusable matmul chains, tap chains, bias matmuls) and multi-row dense layers (the 4-row GEMM
 * blocks and column tails). Both builds, fused and unfused, on repeated runs of one instance.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { denseProgram } from '../helpers/dense-program.js';
import { buildWasm, emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import type { Program } from '../../src/isa/program.js';
import { rng } from '../helpers/random-graph.js';
import { randomProgram } from '../unit/backends/wasm/random-program.js';
import { planMemory } from '../../src/backends/wasm/plan/memory.js';
import { kernelOps } from '../../src/backends/wasm/plan/ops.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251123);

function inputsFor(p: Program, seed: number): Int8Array[] {
  const n = p.input.rows * p.input.rowBytes;
  const r = rng(seed);
  return [Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128), new Int8Array(n).fill(127), new Int8Array(n), new Int8Array(n).fill(-128)];
}

/**
 * Each variant's instance runs every input in turn: state left by one run must not leak into the
 * next. runRaw gives a new array, or fills the one it is given (strided outputs included).
 */
async function expectAgreement(p: Program, inputs: readonly Int8Array[]): Promise<void> {
  const variants = [
    { simd: true },
    { simd: false },
    { simd: true, fuse: false },
    { simd: false, fuse: false },
  ];
  const modules = await Promise.all(variants.map((v) => instantiate(emitWasm(p, v))));
  for (const x of inputs) {
    const want = Array.from(interpret(p, x));
    modules.forEach((m, i) => {
      expect(Array.from(m.runRaw(x)), JSON.stringify(variants[i])).toEqual(want);
      const into = new Int8Array(want.length).fill(0x55);
      expect(m.runRaw(x, into)).toBe(into);
      expect(Array.from(into), JSON.stringify(variants[i])).toEqual(want);
    });
  }
}

describe('random programs', () => {
  test('fast-check: any valid program, any input class', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const p = randomProgram(seed, undefined, { tables: true });
        await expectAgreement(p, inputsFor(p, seed));
      }),
      { numRuns: 250, seed: SEED },
    );
  });

  test('fast-check: programs of tap chains (GEMMs over taps in the SIMD build: act rows and weights anywhere, R odd or even, one row or several)', async () => {
    let fused = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        // R ≤ 4: the kernel with the K loop unrolled (k = R); 5, 8, 9, 16: the K loop (odd k, k past 8); C ≤ 4: strips without high lanes
        const shape = { rows: [1, 2, 3, 4, 4, 5, 8, 9, 16][seed % 9]!, cols: [1, 3, 4, 5, 8, 9, 16, 17][(seed >> 3) % 8]! };
        const p = randomProgram(seed, shape, { taps: true });
        if (buildWasm(p).stats.tapGemms > 0) fused++;
        expect(buildWasm(p, { simd: false }).stats.tapGemms).toBe(0);
        await expectAgreement(p, inputsFor(p, seed));
      }),
      { numRuns: 150, seed: SEED },
    );
    expect(fused).toBeGreaterThan(75);
  });

  test('fast-check: programs with bias matmuls (rows 1 and many, acc anywhere, bias loaded just before or not, accumulating or overwriting matmuls after), tap chains in half', async () => {
    // how often a bias matmul's GEMM in the SIMD build reads its bias from DRAM (`pairs`: its copies
    // folded away), is a GEMM over taps, or (any other kernel) follows a copy of the bias over its rows:
    // from the first row's DRAM source over all of them (mergeBiasLoads), or from the first row over the rest
    const reached = { pairs: 0, taps: 0, fromDram: 0, fromFirstRow: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const p = randomProgram(seed, undefined, { tables: true, taps: seed % 2 === 0, bias: true });
        const C = p.config.cols;
        const plan = planMemory(p);
        const { ops } = kernelOps(p, plan, { rewrite: true, pack: true, taps: true });
        const biasAcc = new Set(p.instructions.flatMap((i) => (i.op === 'matmul' && i.bias === 1 && i.rows > 1 ? [plan.base.acc + 4 * C * i.acc] : [])));
        const gemms = ops.filter((o) => o.kind === 'gemm' && biasAcc.has(o.acc));
        const copies = ops.filter((o) => o.kind === 'copy' && o.srcStride === 0 && o.bytes === 4 * C);
        if (gemms.some((g) => g.kind === 'gemm' && g.bias !== undefined)) reached.pairs++;
        if (gemms.some((g) => g.kind === 'gemm' && g.taps !== undefined)) reached.taps++;
        if (copies.some((o) => o.kind === 'copy' && biasAcc.has(o.dst) && o.src < p.dramSize)) reached.fromDram++;
        if (copies.some((o) => o.kind === 'copy' && biasAcc.has(o.src) && o.dst === o.src + 4 * C)) reached.fromFirstRow++;
        await expectAgreement(p, inputsFor(p, seed));
      }),
      { numRuns: 200, seed: SEED },
    );
    expect(reached.pairs).toBeGreaterThan(9);
    expect(reached.taps).toBeGreaterThan(30);
    expect(reached.fromDram).toBeGreaterThan(80);
    expect(reached.fromFirstRow).toBeGreaterThan(12);
  });
});

describe('multi-row dense layers', () => {
  const cases: [number, number, number, number, number][] = [
    // m, k, n, rows, cols: row blocks of 4 plus 1-3 left over, odd K, column tails of 1-7
    [1, 5, 3, 1, 1],
    [7, 13, 9, 3, 5],
    [9, 33, 17, 8, 8],
    [6, 40, 20, 16, 4],
    [13, 24, 40, 8, 16],
    [5, 17, 31, 5, 12],
    // `pairs` kernel: 16-column strips, then 8, then a 1-7 column tail; blocks of 2 (C ≥ 16) or 4 rows
    [5, 33, 61, 8, 29],
    [4, 31, 48, 16, 24],
    [3, 64, 32, 16, 32],
    [11, 19, 23, 4, 7],
    // K > 16·127: the act sums are widened from i16 lanes more than once
    [3, 4101, 9, 4, 8],
    // acts widened into the unused weight buffer in K chunks (kernels/pairs-wide.ts): chunk tails of 6 acts, odd K
    [5, 6, 20, 6, 16],
    [4, 60, 20, 7, 16],
  ];
  test.each(cases)('%i×%i×%i on %ix%i', async (m, k, n, rows, cols) => {
    const p = denseProgram({ m, k, n, config: makeConfig({ rows, cols, actDepth: 4096 }), seed: m * 1000 + k });
    await expectAgreement(p, inputsFor(p, n));
  });

  test('requantization extremes: shift 0 (no rounding) and shift 48+ (every value rounds to 0)', async () => {
    for (const shift of [0, 1, 31, 47, 48, 62, 63, 64, 200, 255]) {
      const p = denseProgram({ m: 3, k: 20, n: 10, config: makeConfig({ rows: 4, cols: 4 }), seed: shift, shift });
      await expectAgreement(p, inputsFor(p, shift));
    }
  });
});
