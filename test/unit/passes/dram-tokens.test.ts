/**
 * DRAM hazards in runs (passes/schedule.ts DramCells): a load waits for a store into the same
 * region only when their bytes share a run of DRAM_RUN_BYTES, never across regions; a region
 * named twice (a whole-DRAM region over named ones) still orders every overlapping access.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import type { Region } from '../../../src/isa/program.js';
import { CHANNEL_DELAY, LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../../../src/isa/spec.js';
import { duration, scheduleTimes } from '../../../src/isa/timing.js';
import { DRAM_RUN_BYTES, insertTokens } from '../../../src/passes/schedule.js';

const cfg = makeConfig({ rows: 4, cols: 4 });
const store = (dram: number): Instruction => ({ op: 'store', ...NO_TOKENS, sram: 0, rows: 1, dram, stride: 0 });
const load = (dram: number): Instruction => ({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: 8, rows: 1, dram, stride: 0 });

/** Whether the load after the store waits for it: the store pushes toward the load unit, the load pops it, and nothing else orders them. */
function waits(storeAt: number, loadAt: number, regions: readonly Region[]): boolean {
  const out = insertTokens([store(storeAt), load(loadAt)].map((insn) => ({ insn, layer: 0 })), cfg, regions).map((t) => t.insn);
  expect(out.map((i) => i.op)).toEqual(['store', 'load', 'halt']);
  expect(out[0]!.pushNext).toBe(out[1]!.popPrev);
  return out[1]!.popPrev;
}

describe('DRAM tokens per run', () => {
  const tensor: Region[] = [{ space: 'dram', name: 'act:x', start: 0, size: 4 * DRAM_RUN_BYTES }];
  test('same run: ordered; another run of the same region: not', () => {
    expect(waits(0, 0, tensor)).toBe(true);
    expect(waits(0, DRAM_RUN_BYTES - 4, tensor)).toBe(true);
    expect(waits(0, 2 * DRAM_RUN_BYTES, tensor)).toBe(false);
  });
  test('runs start at each region: neighbouring regions never share one', () => {
    const two: Region[] = [{ space: 'dram', name: 'a', start: 0, size: 48 }, { space: 'dram', name: 'b', start: 48, size: 64 }];
    expect(waits(0, 48, two)).toBe(false);
    expect(waits(48, 100, two)).toBe(true);
  });
  test('a whole-DRAM region over named ones orders every overlapping access', () => {
    const over: Region[] = [{ space: 'dram', name: 'all', start: 0, size: 2 * DRAM_RUN_BYTES }, ...tensor.map((r) => ({ ...r, size: 64 }))];
    expect(waits(0, 0, over)).toBe(true);
    expect(waits(DRAM_RUN_BYTES + 8, DRAM_RUN_BYTES + 8, over)).toBe(true);
  });

  test('the store hands its token to the load unit itself: no sync, and the load starts one cycle after the store ends (its last DRAM beat lands then)', () => {
    const out = insertTokens([store(0), load(0)].map((insn) => ({ insn, layer: 0 })), cfg, tensor).map((t) => t.insn);
    expect(out.some((i) => i.op === 'sync')).toBe(false);
    const { timings } = scheduleTimes(out, cfg);
    expect(CHANNEL_DELAY.storeToLoad).toBe(1);
    expect(timings[0]!.end).toBe(timings[0]!.start + duration(out[0]!, cfg));
    expect(timings[1]!.start).toBe(timings[0]!.end + CHANNEL_DELAY.storeToLoad);
    // and the other way: a store over bytes a load reads waits for the load's end (no delay)
    const back = insertTokens([load(0), store(0)].map((insn) => ({ insn, layer: 0 })), cfg, tensor).map((t) => t.insn);
    expect([back[0]!.pushPrev, back[1]!.popNext, back.some((i) => i.op === 'sync')]).toEqual([true, true, false]);
    const t = scheduleTimes(back, cfg).timings;
    expect(t[1]!.start).toBe(t[0]!.end);
  });
});
