// RangeMax (token insertion's per-entry bookkeeping) against a plain array, growth included.
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
