/** Step mode and fast mode agree on everything a run reports: output, cycles, address trace, counters. */
import { expect } from 'vitest';
import type { SimResult } from '../../../sim/index.js';

export function expectSameRun(step: SimResult, fast: SimResult): void {
  expect(Array.from(step.output)).toEqual(Array.from(fast.output));
  expect(step.cycles).toBe(fast.cycles);
  expect(step.traceHash).toBe(fast.traceHash);
  expect(step.stats).toEqual(fast.stats);
}
