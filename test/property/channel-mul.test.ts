// SPDX-License-Identifier: MIT
/**
 * Squeeze-excite (IR channelMul) on random blocks and random machines — array shapes where R and C
 * divide each other or not, buffers small enough to split the gate's spread and the product's
 * lines into several tiles, one or two acc banks, DRAM corners — and random activations (so x's
 * zero point is −128, needing two correction matmuls, or another value):
 * - the product is exact: every stored code of y is clamp(requantize((q_x − zp_x)·q_g) + zp_y) of
 *   the codes of x and of the gate the program stored (isa/numerics.ts, the op's constants);
 * - fast mode = the reference interpreter, the certificate = the simulation on several inputs,
 *   step mode = fast mode where small (sim/prove.ts).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { Activation } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { execute, interpret } from '../../src/isa/interpret.js';
import { requantize } from '../../src/isa/numerics.js';
import { initialDram, type Program } from '../../src/isa/program.js';
import { createState } from '../../src/isa/state.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomSamples, rng } from '../helpers/random-graph.js';
import { seGraph } from '../helpers/se-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);

/** The DRAM after one run of `p` on `x`, instruction by instruction. */
function finalDram(p: Program, x: Int8Array): Uint8Array {
  const s = createState(p.config, initialDram(p, x));
  for (const insn of p.instructions) execute(s, insn, p.config);
  return s.dram;
}

const ACTS: Activation[] = ['relu', 'linear', { fn: 'hardswish' }, 'relu6'];

test('random squeeze-excite blocks on random machines: the product exact; sim = interpret; certificate = simulation', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 6 }), cin: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 26 }), hidden: fc.integer({ min: 1, max: 6 }),
        act: fc.integer({ min: 0, max: ACTS.length - 1 }), hard: fc.boolean(),
        rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 12 }),
        outDepth: fc.constantFrom(6, 16, 64, 1024), accBanks: fc.constantFrom(1, 2), dramBytesPerCycle: fc.constantFrom(1, 3, 8, 64), dramLatency: fc.constantFrom(0, 2, 20),
      }),
      (o) => {
        const graph = seGraph({ ...o, act: ACTS[o.act]!, gate: o.hard ? { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 } : { fn: 'sigmoid' } });
        const samples = randomSamples(8, o.h * o.w * o.cin, o.seed, -1, 1);
        const config = makeConfig({ rows: o.rows, cols: o.cols, outDepth: Math.max(o.outDepth, 2 * o.w), accDepth: 1024, accBanks: o.accBanks, dramBytesPerCycle: o.dramBytesPerCycle, dramLatency: o.dramLatency });
        const { program: p, gemm } = compile(graph, { config, calibration: { samples } });
        const op = gemm.ops.find((g) => g.scaleBy !== undefined)!;
        const [x, g, y] = [gemm.tensors.get('x')!, gemm.tensors.get('g')!, gemm.tensors.get('y')!];
        expect(g.params.zp).toBe(0);
        const region = (name: string) => p.memoryMap.find((r) => r.name === `act:${name}`)!;
        const r = rng(o.seed + 1);
        const n = p.input.rows * p.input.rowBytes;
        const inputs = [new Int8Array(n), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
        for (const codes of inputs) {
          const dram = finalDram(p, codes);
          const at = (name: string, pixel: number, ch: number, stride: number): number => (dram[region(name).start + pixel * stride + ch]! << 24) >> 24;
          const [sx, sy] = [region('x').size / (x.h * x.w), region('y').size / (y.h * y.w)];
          for (let pixel = 0; pixel < x.h * x.w; pixel++) {
            for (let ch = 0; ch < o.c; ch++) {
              const sum = (at('x', pixel, ch, sx) - x.params.zp) * at('g', 0, ch, 0);
              const want = Math.max(op.lo, Math.min(op.hi, requantize(sum, op.mult[ch]!, op.shift[ch]!) + op.zp));
              expect(at('y', pixel, ch, sy), `pixel ${pixel} channel ${ch}`).toBe(want);
            }
          }
          expect(Array.from(simulate(p, codes, { trace: false }).output)).toEqual(Array.from(interpret(p, codes)));
        }
        expect(prove(p, inputs, { randomInputs: 1 }).problems).toEqual([]);
      },
    ),
    { numRuns: 40, seed: SEED },
  );
});
