// SPDX-License-Identifier: MIT
/**
 * A matmul right after a requantize-mode threshold (pooling too) starts in the threshold's last
 * matmulAccLead = 2R + C − 1 cycles, not before its start + 2 (docs/hardware.md), even when it
 * overwrites the rows the threshold reads; after a table-mode threshold it waits for its completion.
 * Step mode (the threshold finishing beside the matmul) and fast mode compute exactly what the
 * reference interpreter does, in the same cycles.
 */
import { describe, expect, test } from 'vitest';
import { interpret } from '../../../src/isa/interpret.js';
import { matmulAccLead } from '../../../src/isa/ops/matmul.js';
import { duration, scheduleTimes } from '../../../src/isa/timing.js';
import { simulate } from '../../../sim/index.js';
import { rng } from '../../helpers/random-graph.js';
import { BESIDE_CASES, besideProgram, TAIL_CASES, thresholdTailProgram, type TailBanks } from '../../helpers/threshold-tail.js';
import { expectSameRun } from './same-run.js';

describe('a matmul in a threshold\'s tail', () => {
  test.each(TAIL_CASES.map((c) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes} ${c.mode}`, c] as const))('%s: start = max(threshold start + 2, threshold end − (2R + C − 1)); step = fast = reference', (_, c) => {
    const p = thresholdTailProgram(c, c.R * 100 + c.rows);
    const { timings } = scheduleTimes(p.instructions, p.config);
    const th = timings[p.instructions.findIndex((i) => i.op === 'threshold')]!;
    const mm = timings[p.instructions.findIndex((i, k) => i.op === 'matmul' && k > 4)]!;
    if (c.mode === 'table') expect(mm.start).toBe(th.end);
    else {
      expect(mm.start).toBe(Math.max(th.start + 2, th.end - matmulAccLead(p.config)));
      expect(mm.start).toBeLessThan(th.end);
    }
    expect(mm.end).toBeGreaterThan(th.end); // completions stay in program order
    const r = rng(c.rows);
    const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
    const fast = simulate(p, x);
    const expected = interpret(p, x);
    expect(Array.from(fast.output)).toEqual(Array.from(expected));
    // both thresholds' rows differ (the second reads what the matmul overwrote) and are not all clamped
    expect(new Set(Array.from(expected)).size).toBeGreaterThan(1);
    expectSameRun(simulate(p, x, { mode: 'step', trace: true }), simulate(p, x, { trace: true }));
  });
});

describe('a matmul beside a threshold on the other acc bank (accBanks 2)', () => {
  const cases = TAIL_CASES.flatMap((c) => (['up', 'down', 'same'] as const).map((banks) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes} ${c.mode} ${banks}`, c, banks] as const));
  test.each(cases)('%s: start = max(threshold start + 2, threshold end − (matmul duration − 1)) apart, the tail rule otherwise; step = fast = reference', (_, c, banks: TailBanks) => {
    const p = thresholdTailProgram(c, c.R * 100 + c.rows, {}, banks);
    const { timings } = scheduleTimes(p.instructions, p.config);
    const thAt = p.instructions.findIndex((i) => i.op === 'threshold');
    const mmAt = p.instructions.findIndex((i, k) => i.op === 'matmul' && k > 4);
    const [th, mm] = [timings[thAt]!, timings[mmAt]!];
    if (c.mode === 'table') expect(mm.start).toBe(th.end);
    else if (banks === 'same') expect(mm.start).toBe(Math.max(th.start + 2, th.end - matmulAccLead(p.config)));
    else {
      expect(mm.start).toBe(Math.max(th.start + 2, th.end - (duration(p.instructions[mmAt]!, p.config) - 1)));
      // the one-bank machine starts it later unless the threshold is short
      const one = scheduleTimes(p.instructions, { ...p.config, accBanks: 1 }).timings[mmAt]!;
      expect(mm.start).toBeLessThanOrEqual(one.start);
    }
    expect(mm.end).toBeGreaterThan(th.end); // completions stay in program order
    const r = rng(c.rows);
    const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
    expect(Array.from(simulate(p, x).output)).toEqual(Array.from(interpret(p, x)));
    expectSameRun(simulate(p, x, { mode: 'step', trace: true }), simulate(p, x, { trace: true }));
  });

  test('the long passes-16 threshold lets the matmul on the other bank in well before its tail', () => {
    const c = TAIL_CASES.find((t) => t.passes === 16 && t.mode === 'requantize')!;
    const p = thresholdTailProgram(c, 7, {}, 'up');
    const mmAt = p.instructions.findIndex((i, k) => i.op === 'matmul' && k > 4);
    const apart = scheduleTimes(p.instructions, p.config).timings[mmAt]!.start;
    const one = scheduleTimes(p.instructions, { ...p.config, accBanks: 1 }).timings[mmAt]!.start;
    expect(one - apart).toBe(c.rows); // duration − 1 − matmulAccLead = the matmul's rows
  });
});

describe('a threshold beside the matmuls in flight on the other acc bank (accBanks 2)', () => {
  test.each(BESIDE_CASES.flatMap((c) => (['none', 'toLoad', 'bothToStore'] as const).map((tokens) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes}, tokens ${tokens}`, c, tokens] as const)))('%s: start = max(the slot, e[its bank\'s matmul], e[the other\'s] − rows where it must complete after it), before the other completes; step = fast = reference', (_, c, tokens) => {
    const p = besideProgram(c, c.rows * 7 + c.R, tokens);
    const { timings } = scheduleTimes(p.instructions, p.config);
    const [a, b, th] = [3, 4, 5].map((i) => timings[i]!);
    const interval = Math.max(c.R, c.rows + 1);
    const after = tokens !== 'none'; // a token to the load unit, or both to the store unit (besideCompletesAfter)
    expect(th!.start).toBe(Math.max(b!.start + interval, a!.end, after ? b!.end - c.rows : 0));
    expect(th!.start).toBeLessThan(b!.end); // beside B's drain
    if (after) expect(th!.end).toBeGreaterThan(b!.end);
    else if (c.rows + 4 < interval) expect(th!.end).toBeLessThan(b!.end); // it completes first
    // the one-bank machine waits for B
    expect(scheduleTimes(p.instructions, { ...p.config, accBanks: 1 }).timings[5]!.start).toBeGreaterThanOrEqual(b!.end);
    const r = rng(c.rows);
    const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
    expect(Array.from(simulate(p, x).output)).toEqual(Array.from(interpret(p, x)));
    expect(new Set(Array.from(interpret(p, x))).size).toBeGreaterThan(1);
    expectSameRun(simulate(p, x, { mode: 'step', trace: true }), simulate(p, x, { trace: true }));
  });
});
