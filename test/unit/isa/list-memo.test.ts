// SPDX-License-Identifier: MIT
/**
 * isa/list-memo.ts: the chain pass's schedule and race check, kept for the program's deep-frozen
 * instruction list, are what validation and the certificate read next instead of computing them
 * again; only for that list and a machine equal in every field, never for a list that could change.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { isDeepFrozenList, ListMemo } from '../../../src/isa/list-memo.js';
import { checkOrdering } from '../../../src/isa/ordering.js';
import type { Instruction } from '../../../src/isa/spec.js';
import { scheduleArrays } from '../../../src/isa/timing.js';
import { compile } from '../../../src/passes/pipeline.js';
import { chainedCount, convPair } from '../../helpers/chain.js';
import { randomSamples } from '../../helpers/random-graph.js';

const IDEAL: Partial<ArrayConfig> = { rows: 32, cols: 8, dramBytesPerCycle: 4096, dramLatency: 0, accBanks: 2 };
const program = compile(convPair(5, 12, 8, 8), { config: makeConfig(IDEAL), calibration: { samples: randomSamples(3, 12 * 12 * 8, 6, -1, 1) } }).program;
/** The same instructions in fresh, unfrozen objects: nothing is remembered for them. */
const copy = (insns: readonly Instruction[]): Instruction[] => insns.map((i) => ({ ...i }));

describe('results kept for the compiler\'s frozen instruction list', () => {
  test('a chained program\'s list is deep-frozen, and its kept schedule is the one computed afresh', () => {
    expect(chainedCount(program)).toBeGreaterThan(0);
    expect(isDeepFrozenList(program.instructions)).toBe(true);
    const kept = scheduleArrays(program.instructions, program.config);
    expect(scheduleArrays(program.instructions, { ...program.config })).toBe(kept);
    const fresh = scheduleArrays(copy(program.instructions), program.config);
    expect(fresh).not.toBe(kept);
    expect([Array.from(kept.start), Array.from(kept.end), kept.cycles]).toEqual([Array.from(fresh.start), Array.from(fresh.end), fresh.cycles]);
    expect(certify(program).cycles).toBe(fresh.cycles);
    expect(checkOrdering(program.instructions, program.config)).toBeNull();
    expect(checkOrdering(copy(program.instructions), program.config)).toBeNull();
  });

  test('the same list on a machine that differs in one field is scheduled and checked again', () => {
    // eight beats an act row: the same chains would read rows before they land
    const slow = makeConfig({ ...program.config, dramBytesPerCycle: 4 });
    expect(scheduleArrays(program.instructions, slow).cycles).toBeGreaterThan(scheduleArrays(program.instructions, program.config).cycles);
    expect(checkOrdering(program.instructions, slow)).toMatch(/before load \d+ writes it/);
  });

  test('nothing is kept for a list that could still change', () => {
    const memo = new ListMemo<number>();
    const cfg = makeConfig(IDEAL);
    const open = copy(program.instructions);
    memo.remember(open, cfg, 1);
    expect(memo.get(open, cfg)).toBeUndefined();
    // frozen, but one instruction is not
    const shallow = Object.freeze(copy(program.instructions));
    expect(isDeepFrozenList(shallow)).toBe(false);
    memo.remember(shallow, cfg, 2);
    expect(memo.get(shallow, cfg)).toBeUndefined();
    const frozen = Object.freeze(copy(program.instructions).map((i) => Object.freeze(i)));
    memo.remember(frozen, cfg, 3);
    expect(memo.get(frozen, { ...cfg })).toBe(3);
    expect(memo.get(frozen, { ...cfg, queueDepth: cfg.queueDepth + 1 })).toBeUndefined();
  });
});
