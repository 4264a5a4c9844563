// RangeMax (token insertion's per-entry bookkeeping) against a plain array per slot, growth
// included: one slot through `query`, three slots through `queryAll` from a first slot, and runs of
// short ranges (the cells alone answer) before a long one builds the tree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeMax } from '../../../src/passes/range-max.js';

describe('RangeMax', () => {
  it('answers every range query as a plain array of per-cell maxima does', () => {
    const op = fc.tuple(fc.boolean(), fc.nat(70), fc.nat(70));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 60 }), (cells, ops) => {
        const tree = new RangeMax(cells);
        const plain: number[] = [];
        let next = 0;
        for (const [isRaise, a, b] of ops) {
          const [start, end] = [Math.min(a, b), Math.max(a, b)];
          if (isRaise) {
            tree.raise(start, end, next);
            for (let i = start; i < end; i++) plain[i] = next;
            next++;
          } else {
            const want = plain.slice(start, end).reduce((m: number, v) => Math.max(m, v ?? -1), -1);
            expect(tree.query(start, end)).toBe(want);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

// the cells answer queries of at most 16 and raises of at most 1024 cells lift them: the same
// properties with those bounds at 4 and 8, so that the ranges here cross them
for (const [name, make] of [
  ['RangeMax of three slots', (cells: number): RangeMax => new RangeMax(cells, 3)],
  ['RangeMax of three slots, cells answering up to 4 and lifted up to 8', (cells: number): RangeMax => new RangeMax(cells, 3, 4, 8)],
] as const) {
  describe(name, () => {
    it('answers every range query of every slot as plain arrays do', () => {
      // ranges up to 90 cells over up to 40 (growth), raised to increasing values
      const op = fc.tuple(fc.boolean(), fc.nat(90), fc.nat(90), fc.nat(2));
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 80 }), (cells, ops) => {
          const t = make(cells);
          const plain: number[][] = [[], [], []];
          const out = new Int32Array(3);
          let next = 0;
          for (const [isRaise, a, b, slot] of ops) {
            const [start, end] = [Math.min(a, b), Math.max(a, b)];
            if (isRaise) {
              t.raise(start, end, next, slot);
              for (let i = start; i < end; i++) plain[slot]![i] = next;
              next++;
            } else {
              out.fill(-7);
              t.queryAll(start, end, out, slot);
              for (let s = 0; s < 3; s++) {
                const want = s < slot ? -7 : plain[s]!.slice(start, end).reduce((m: number, v) => Math.max(m, v ?? -1), -1);
                expect(out[s]).toBe(want);
              }
            }
          }
        }),
        { numRuns: 300 },
      );
    });

    it('answers as plain arrays do when short ranges come first and a long one late (the tree built from the cells, growth before and after)', () => {
      // mostly ranges of at most 16 cells (the cells alone answer them), now and then a longer one
      const range = fc.oneof({ arbitrary: fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 16 })), weight: 12 }, { arbitrary: fc.tuple(fc.nat(60), fc.integer({ min: 17, max: 80 })), weight: 1 });
      const op = fc.tuple(fc.boolean(), range, fc.nat(2), fc.nat(5));
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 120 }), (cells, ops) => {
          const t = make(cells);
          const plain: number[][] = [[], [], []];
          const out = new Int32Array(3);
          let next = 0;
          for (const [isRaise, [start, length], slot, skip] of ops) {
            const end = start + length;
            if (isRaise) {
              // raised values increase as token insertion's do, with gaps
              next += skip;
              t.raise(start, end, next, slot);
              for (let i = start; i < end; i++) plain[slot]![i] = Math.max(plain[slot]![i] ?? -1, next);
              next++;
            } else {
              out.fill(-7);
              t.queryAll(start, end, out, slot);
              for (let s = 0; s < 3; s++) {
                const want = s < slot ? -7 : plain[s]!.slice(start, end).reduce((m: number, v) => Math.max(m, v ?? -1), -1);
                expect(out[s]).toBe(want);
              }
            }
          }
        }),
        { numRuns: 500 },
      );
    });
  });
}
