/**
 * The threshold op (isa/ops/threshold.ts, each lane's requantize terms read once per instruction
 * and a pooled row's window taps once per row) = its semantics written out one lane at a time:
 * numerics.ts `threshold` of the max over poolRow's taps (or of the acc row), or `tableStep`;
 * over random windows and paddings, every u8 shift, u16 multipliers, int32 extremes and clamps.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { makeConfig } from '../../src/isa/config.js';
import { execute } from '../../src/isa/interpret.js';
import { tableStep, threshold } from '../../src/isa/numerics.js';
import { encodePoolGeometry, poolOf, poolRow, tableSteps } from '../../src/isa/ops/index.js';
import { createState } from '../../src/isa/state.js';
import { NO_TOKENS, type InstructionOf } from '../../src/isa/spec.js';
import { rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261204);

test('the threshold op = numerics.threshold (or tableStep) one lane at a time, pooled or not', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 30 }),
        C: fc.integer({ min: 1, max: 19 }),
        rows: fc.integer({ min: 1, max: 9 }),
        mode: fc.constantFrom('plain', 'pool', 'table'),
        kh: fc.integer({ min: 1, max: 4 }),
        kw: fc.integer({ min: 1, max: 4 }),
        overlap: fc.integer({ min: 0, max: 3 }),
        pad: fc.integer({ min: 0, max: 3 }),
        line: fc.integer({ min: 1, max: 9 }),
        steps: fc.integer({ min: 1, max: 5 }),
      }),
      ({ seed, C, rows, mode, kh, kw, overlap, pad, line, steps }) => {
        const r = rng(seed);
        const cfg = makeConfig({ rows: 4, cols: C, accDepth: 1024, qntDepth: 4, outDepth: 16 });
        const s = createState(cfg, new Uint8Array(0));
        // accumulators near the int32 ends as well as small ones
        for (let i = 0; i < s.acc.length; i++) s.acc[i] = r() < 0.3 ? (r() < 0.5 ? 2 ** 31 - 1 - Math.floor(r() * 1000) : -(2 ** 31) + Math.floor(r() * 1000)) : Math.floor(r() * 2 ** 20) - 2 ** 19;
        for (let i = 0; i < s.qntMult.length; i++) {
          s.qntMult[i] = Math.floor(r() * 65536);
          s.qntShift[i] = Math.floor(r() * 256);
        }
        const lo = Math.floor(r() * 40) - 128;
        const hi = 127 - Math.floor(r() * 40);
        const common = { op: 'threshold' as const, ...NO_TOKENS, acc: Math.floor(r() * 4), out: Math.floor(r() * 4), qnt: Math.floor(r() * 4), rows, zp: Math.floor(r() * 256) - 128, lo, hi };
        const pooled = { ...common, table: line, poolH: kh - 1, poolW: kw - 1, steps: encodePoolGeometry({ overlapH: Math.min(overlap, kh - 1), overlapW: Math.min(overlap, kw - 1), padTop: Math.min(pad, kh - 1), padLeft: Math.min(pad, kw - 1) }) };
        const insn: InstructionOf<'threshold'> =
          mode === 'plain' ? { ...common, table: 0, poolH: 0, poolW: 0, steps: 0 } : mode === 'table' ? { ...common, table: 40 + Math.floor(r() * 8), poolH: 0, poolW: 0, steps } : pooled;
        const pool = poolOf(insn);
        if (pool !== null && (pool.pw < 1 || pool.sh < 1 || pool.sw < 1)) return; // no whole window in a line: checkProgram refuses it
        const expected = Int8Array.from(s.out);
        for (let m = 0; m < rows; m++)
          for (let c = 0; c < C; c++) {
            let y: number;
            if (tableSteps(insn) > 0) y = tableStep(s.acc[(insn.acc + m) * C + c]!, s.acc, insn.table * C + c, C, tableSteps(insn));
            else {
              let x = -Infinity;
              if (pool === null) x = s.acc[(insn.acc + m) * C + c]!;
              else for (let ky = 0; ky < pool.kh; ky++) for (let kx = 0; kx < pool.kw; kx++) x = Math.max(x, s.acc[(insn.acc + poolRow(pool, m, ky, kx)) * C + c]!);
              y = threshold(x, s.qntMult[insn.qnt * C + c]!, s.qntShift[insn.qnt * C + c]!, insn.zp, lo, hi);
            }
            expected[(insn.out + m) * C + c] = y;
          }
        execute(s, insn, cfg);
        expect(Array.from(s.out)).toEqual(Array.from(expected));
      },
    ),
    { numRuns: 400, seed: SEED },
  );
});
