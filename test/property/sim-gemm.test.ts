/**
 * Fast mode's matmul values on the WebAssembly SIMD GEMM (src/backends/wasm/gemm-module.ts, the
 * runtime's kernel, injected as SimOptions.gemm): gemmSums = matmulSums (the plain JS oracle, itself
 * checked one MAC at a time in matmul-values.test.ts) over random shapes, sparse tiles (the live
 * box, narrow kernel widths, the out scratch) and int32 wrap-around (for a bias matmul, in the
 * columns it returns); and whole random programs (some with bias matmuls) and sparse MLPs simulate
 * with it exactly as without it and as the reference interpreter.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { gemmModule, wasmGemm } from '../../src/backends/wasm/gemm-module.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { NO_TOKENS, type InstructionOf } from '../../src/isa/spec.js';
import { compile } from '../../src/passes/pipeline.js';
import { simulate } from '../../sim/index.js';
import { gemmScratch, gemmSums, matmulScratch, matmulSums } from '../../sim/matmul-values.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';
import { int8, scheduledRandomProgram } from '../helpers/scheduled-program.js';
import { biasRandomProgram } from '../unit/sim/bias-program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

test('gemmSums = matmulSums: live box, every kernel width, act row addressing', () => {
  fc.assert(
    fc.property(
      fc.record({ seed: fc.integer({ min: 0, max: 2 ** 30 }), R: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(256)), C: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(256)), rows: fc.integer({ min: 1, max: 11 }), inner: fc.integer({ min: 1, max: 4 }), actStride: fc.integer({ min: 0, max: 2 }), deadRows: fc.double({ min: 0, max: 1, noNaN: true }), deadCols: fc.double({ min: 0, max: 1, noNaN: true }), bias: fc.boolean() }),
      ({ seed, R, C, rows, inner, actStride, deadRows, deadCols, bias }) => {
        const r = rng(seed);
        const actLanes = 48 * R; // the last act row is at most entry 2 + 10·3 + 3·2
        const wgtLanes = 2 * R * C;
        const [actAt, wgtAt, sumsAt] = [0, actLanes, actLanes + wgtLanes + ((4 - ((actLanes + wgtLanes) % 4)) % 4)];
        const g = gemmScratch(wasmGemm(sumsAt + 4 * rows * C, R, C), R, C);
        const act = new Int8Array(g.g.memory, actAt, actLanes);
        const wgt = new Int8Array(g.g.memory, wgtAt, wgtLanes);
        const dead = { rows: Array.from({ length: R }, () => r() < deadRows), cols: Array.from({ length: C }, () => r() < deadCols) };
        for (let i = 0; i < act.length; i++) act[i] = int8(r);
        for (let i = 0; i < wgt.length; i++) wgt[i] = dead.rows[Math.floor(i / C) % R] || dead.cols[i % C] ? 0 : int8(r);
        const insn: InstructionOf<'matmul'> = { op: 'matmul', ...NO_TOKENS, wgt: Math.floor(r() * R), act: Math.floor(r() * 3), actStride, actOuter: Math.floor(r() * 4), inner, acc: 0, rows, accumulate: 0, bias: bias ? 1 : 0, shift: 0, chain: 0 };
        const expected = new Int32Array(rows * C);
        matmulSums(act, wgt, insn, R, C, expected, matmulScratch(R, C));
        const sums = new Int32Array(g.g.memory, sumsAt, rows * C);
        // a bias matmul's commit adds only the columns gemmSums returns (the others add 0), so it leaves the others as they were
        if (bias) for (let j = 0; j < sums.length; j++) sums[j] = Math.floor(r() * 2 ** 32) | 0;
        const window = gemmSums(actAt, wgtAt, insn, R, C, sums, g);
        const [from, to] = [window % 65536, Math.floor(window / 65536)];
        const inWindow = (j: number): boolean => j % C >= from && j % C < to;
        if (bias) for (let j = 0; j < sums.length; j++) if (!inWindow(j)) sums[j] = 0;
        expect(Array.from(sums)).toEqual(Array.from(expected));
      },
    ),
    { numRuns: 300, seed: SEED },
  );
});

test('random programs, some with bias matmuls: fast mode with the WebAssembly GEMM = without it = interpret (outputs, cycles, counters, trace)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), (seed, queueDepth, withBias) => {
      const { p, x } = withBias ? biasRandomProgram(seed, queueDepth) : scheduledRandomProgram(seed, queueDepth);
      const wasm = simulate(p, x, { gemm: wasmGemm });
      const js = simulate(p, x);
      expect(Array.from(wasm.output)).toEqual(Array.from(interpret(p, x)));
      expect([wasm.cycles, wasm.traceHash, wasm.stats]).toEqual([js.cycles, js.traceHash, js.stats]);
    }),
    { numRuns: 80, seed: SEED },
  );
});

test('sparse MLPs on random arrays: fast mode with the WebAssembly GEMM = interpret', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (sizes, seed, side, density) => {
      const graph = randomMlp(sizes, seed, ['relu', 'linear']);
      const r = rng(seed + 3);
      for (const node of graph.nodes) {
        if (node.op !== 'dense') continue;
        const [k, n] = node.kernel.shape as [number, number];
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) if (r() > density) node.kernel.data[i * n + j] = 0;
      }
      const p = compile(graph, { config: makeConfig({ rows: side, cols: side }), calibration: { samples: randomSamples(8, sizes[0]!, seed + 1, -1, 1) } }).program;
      for (const x of [new Int8Array(p.input.rows * p.input.rowBytes).fill(127), Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128)]) {
        expect(Array.from(simulate(p, x, { gemm: wasmGemm }).output)).toEqual(Array.from(interpret(p, x)));
      }
    }),
    { numRuns: 40, seed: SEED },
  );
});

test('the GEMM module is valid WebAssembly for wabt, for square and odd arrays', async () => {
  const wabt = await (await import('wabt')).default();
  for (const [R, C] of [[1, 1], [4, 4], [8, 8], [9, 17], [32, 32], [256, 256]] as const) {
    const { bytes, widths } = gemmModule(1000, R, C);
    expect(widths[widths.length - 1]).toBe(C);
    const m = wabt.readWasm(bytes, { simd: true, bulk_memory: true });
    try {
      m.validate();
    } finally {
      m.destroy();
    }
  }
});
