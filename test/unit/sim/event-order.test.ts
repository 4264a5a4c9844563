// SPDX-License-Identifier: MIT
/**
 * The fast mode's event order (sim/plan.ts eventOrder: packed numeric keys sorted by the typed
 * array, or the comparator past 2^27 cycles) is the comparator's: by time, then commits (phase 0,
 * at an end) before reads (phase 1, at a start), then instruction; halts (FETCH) have no events.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { eventOrder, FETCH } from '../../../sim/plan.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261204);

function reference(unit: Uint8Array, start: readonly number[], end: readonly number[]): number[] {
  const keys: number[] = [];
  for (let i = 0; i < unit.length; i++) if (unit[i] !== FETCH) keys.push(i * 2, i * 2 + 1);
  const timeOf = (ev: number): number => (ev & 1 ? start[ev >> 1]! : end[ev >> 1]!);
  return keys.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
}

test('eventOrder sorts as the comparator does, small times and past 2^27 alike', () => {
  const insn = fc.record({ unit: fc.integer({ min: 0, max: 3 }), start: fc.nat(60), length: fc.nat(20) });
  fc.assert(
    fc.property(fc.array(insn, { maxLength: 80 }), fc.constantFrom(0, 2 ** 27 - 100, 2 ** 40), (insns, offset) => {
      const unit = Uint8Array.from(insns, (x) => x.unit);
      const start = insns.map((x) => offset + x.start);
      const end = insns.map((x) => offset + x.start + x.length);
      expect([...eventOrder(unit, start, end)]).toEqual(reference(unit, start, end));
    }),
    { numRuns: 400, seed: SEED },
  );
});
