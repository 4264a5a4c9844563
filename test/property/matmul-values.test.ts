/**
 * Fast mode's matmul kernel (sim/matmul-values.ts) = the reference op (isa/ops/matmul.ts) bit for
 * bit, and both = the semantics written out one MAC at a time (overwriting, accumulating, and from
 * a bias entry held over the rows, with its products shifted), over random shapes (odd row counts, column counts off the
 * 4-column panels), sparse tiles, extreme int8 values and int32 wrap-around.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { makeConfig } from '../../src/isa/config.js';
import { execute } from '../../src/isa/interpret.js';
import { mac, wrap32 } from '../../src/isa/numerics.js';
import { createState } from '../../src/isa/state.js';
import { matmulActRow, NO_TOKENS, type InstructionOf } from '../../src/isa/spec.js';
import { matmulScratch, matmulSums } from '../../sim/matmul-values.js';
import { rng } from '../helpers/random-graph.js';
import { int8 } from '../helpers/scheduled-program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251203);

test('matmulSums = the matmul op = one MAC at a time', () => {
  fc.assert(
    fc.property(
      fc.record({ seed: fc.integer({ min: 0, max: 2 ** 30 }), R: fc.oneof(fc.integer({ min: 1, max: 19 }), fc.constant(256)), C: fc.integer({ min: 1, max: 19 }), rows: fc.integer({ min: 1, max: 9 }), inner: fc.integer({ min: 1, max: 4 }), actStride: fc.integer({ min: 0, max: 2 }), mode: fc.constantFrom('overwrite', 'accumulate', 'bias'), shift: fc.constantFrom(0, 0, 1, 7, 15), deadRows: fc.double({ min: 0, max: 1, noNaN: true }), deadCols: fc.double({ min: 0, max: 1, noNaN: true }) }),
      ({ seed, R, C, rows, inner, actStride, mode, shift, deadRows, deadCols }) => {
        const r = rng(seed);
        const cfg = makeConfig({ rows: R, cols: C, actDepth: 64, wgtDepth: 2 * R, accDepth: 16 });
        const s = createState(cfg, new Uint8Array(0));
        const dead = { rows: Array.from({ length: R }, () => r() < deadRows), cols: Array.from({ length: C }, () => r() < deadCols) };
        for (let i = 0; i < s.act.length; i++) s.act[i] = int8(r);
        for (let i = 0; i < s.wgt.length; i++) s.wgt[i] = dead.rows[Math.floor(i / C) % R] || dead.cols[i % C] ? 0 : int8(r);
        // accumulators near the int32 ends, so the sums wrap
        for (let i = 0; i < s.acc.length; i++) s.acc[i] = r() < 0.5 ? 2 ** 31 - 1 - Math.floor(r() * 1000) : Math.floor(r() * 2 ** 32) | 0;
        const insn: InstructionOf<'matmul'> = { op: 'matmul', ...NO_TOKENS, wgt: Math.floor(r() * R), act: Math.floor(r() * 3), actStride, actOuter: Math.floor(r() * 4), inner, acc: Math.floor(r() * 4), rows, accumulate: mode === 'accumulate' ? 1 : 0, bias: mode === 'bias' ? 1 : 0, shift, chain: 0 };
        const expected = Int32Array.from(s.acc);
        // fast mode's sums, before its commit shifts them (sim/fast.ts)
        const unshifted = new Int32Array(rows * C);
        // a bias matmul's rows all start from entry acc as it was before row 0 is written
        const held = s.acc.slice(insn.acc * C, (insn.acc + 1) * C);
        const start = (m: number, c: number): number => (mode === 'accumulate' ? s.acc[(insn.acc + m) * C + c]! : mode === 'bias' ? held[c]! : 0);
        for (let m = 0; m < rows; m++)
          for (let c = 0; c < C; c++) {
            let sum = 0;
            for (let k = 0; k < R; k++) sum = mac(sum, s.act[matmulActRow(insn, m) * R + k]!, s.wgt[(insn.wgt + k) * C + c]!);
            unshifted[m * C + c] = wrap32(start(m, c) + sum);
            expected[(insn.acc + m) * C + c] = wrap32(start(m, c) + wrap32(sum * 2 ** shift));
          }
        // matmulSums adds onto what the machine starts each row from (fast.ts copies a bias entry over the rows first)
        const sums = Int32Array.from({ length: rows * C }, (_, j) => start(Math.floor(j / C), j % C));
        matmulSums(s.act, s.wgt, insn, R, C, sums, matmulScratch(R, C));
        expect(Array.from(sums)).toEqual(Array.from(unshifted));
        execute(s, insn, cfg);
        expect(Array.from(s.acc)).toEqual(Array.from(expected));
      },
    ),
    { numRuns: 400, seed: SEED },
  );
});
