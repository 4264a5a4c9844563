// RangeMax (token insertion's per-entry bookkeeping) against a plain array per slot, growth
// included: one slot through `query`, three slots through `queryAll` from a first slot.
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

describe('RangeMax of three slots', () => {
  const make = (cells: number): RangeMax => new RangeMax(cells, 3);
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
});
