// SPDX-License-Identifier: MIT
/**
 * Squeeze-excite (a map times a per-channel gate computed from it, IR channelMul): the gate is
 * spread to DRAM and loaded as the diagonal weight tiles of the product (passes/lower-emit.ts),
 * no new instruction. Reference = sim (fast and step, with the certificate) = WASM (SIMD and
 * scalar) on arrays where R = C, R divides C, C divides R and neither does (2x3: the tile rows are C
 * apart, which WASM reads from DRAM in place); int8 follows float.
 * (RTL: test/cosim/channel-mul.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, tensorSize } from '../../src/isa/program.js';
import { spreadPitch } from '../../src/passes/lower-dram.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomSamples, rng } from '../helpers/random-graph.js';
import { seGraph, type SeOptions } from '../helpers/se-graph.js';

const CASES: [string, SeOptions][] = [
  ['relu block (zp −128: correction 64 × 2), sigmoid gate', { h: 5, w: 6, cin: 3, c: 12, hidden: 4, act: 'relu', gate: { fn: 'sigmoid' }, seed: 1 }],
  ['hard-swish block, hard-sigmoid gate, 1x1 projection', { h: 4, w: 4, cin: 2, c: 20, hidden: 5, act: { fn: 'hardswish' }, gate: { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 }, seed: 2, project: 6 }],
  ['linear block (zp near 0), sigmoid gate', { h: 3, w: 7, cin: 4, c: 9, hidden: 3, act: 'linear', gate: { fn: 'sigmoid' }, seed: 3 }],
];

describe.each(CASES)('%s', (_, o) => {
  const graph = seGraph(o);
  const size = o.h * o.w * o.cin;
  const samples = randomSamples(24, size, 7, -1, 1);
  // 2x3: P − 1 = C, rows that WASM reads straight from DRAM (plan/ops.ts translate)
  test.each([[8, 8], [4, 8], [8, 4], [3, 5], [2, 3], [1, 1]] as const)('reference = sim (fast, step, certificate) = WASM on %ix%i, int8 ≈ float', async (rows, cols) => {
    const { program: p } = compile(graph, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true });
    // the product's weights are loaded from the gate's spread bytes (rows P − 1 apart), not constants
    expect(p.instructions.some((i) => i.op === 'load' && i.buf === 1 && i.stride === spreadPitch(rows, cols) - 1)).toBe(true);
    const r = rng(11);
    const n = tensorSize(p.input);
    const inputs = [...samples.slice(0, 4).map((x) => quantizeInput(p, x)), new Int8Array(n).fill(-128), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
    const modules = await Promise.all([true, false].map((simd) => instantiate(emitWasm(p, { simd }))));
    for (const x of inputs) {
      const want = Array.from(interpret(p, x));
      expect(Array.from(simulate(p, x, { trace: false }).output)).toEqual(want);
      for (const m of modules) expect(Array.from(m.runRaw(x))).toEqual(want);
    }
    expect(prove(p, inputs.slice(0, 3), { randomInputs: 1, stepCheck: true }).problems).toEqual([]);
    // int8 follows float: a few output steps (conv, squeeze, two dense layers, the gate, the product)
    let worst = 0;
    let peak = 0;
    for (const x of samples.slice(0, 12)) {
      const got = dequantizeOutput(p, interpret(p, quantizeInput(p, x)));
      const want = evaluateOutput(graph, x);
      for (let i = 0; i < want.length; i++) [worst, peak] = [Math.max(worst, Math.abs(got[i]! - want[i]!)), Math.max(peak, Math.abs(want[i]!))];
    }
    expect(worst).toBeLessThan(4 * p.outputs[0]!.scale + 0.03 * peak);
  });
});
