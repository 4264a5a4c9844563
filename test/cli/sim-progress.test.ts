// SPDX-License-Identifier: MIT
/**
 * `sim` says what it is doing on stderr (cli/progress.ts): one huge simulation (~4M instructions) ran
 * 30–60 s with no output at all. On a terminal: the compile or read step and the simulation, erased
 * when quick; in a log: the simulation's start and time once it is long; never with --json.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { KEEP_STEP_MS, LONG_RUN_INSTRUCTIONS, stepsFor } from '../../src/cli/progress.js';

const TINY = join(import.meta.dirname, '../../examples/tiny/tiny.nnchip.json');

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('sim progress', () => {
  test('in a log: nothing for a short run, the step and its time for a long one, nothing with --json', () => {
    const c = clock();
    for (const [opts, shown] of [[{ json: false, long: false }, false], [{ json: false, long: true }, true], [{ json: true, long: true }, false]] as const) {
      const io = captureIo();
      const s = stepsFor(io, opts, c.now);
      s.step(`simulating ${LONG_RUN_INSTRUCTIONS} instructions`);
      c.advance(31_000);
      s.stop();
      expect(io.err.join('')).toBe(shown ? `simulating ${LONG_RUN_INSTRUCTIONS} instructions…\nsimulating ${LONG_RUN_INSTRUCTIONS} instructions: 31.0 s\n` : '');
    }
  });

  test('on a terminal: a quick step is erased, a slow one keeps its time', () => {
    const c = clock();
    const io = { ...captureIo(), interactive: true };
    const s = stepsFor(io, { json: false, long: false }, c.now);
    s.step('reading program.nnp');
    c.advance(KEEP_STEP_MS - 1);
    s.step('simulating 4,000,000 instructions');
    c.advance(45_000);
    s.stop();
    const err = io.err.join('');
    expect(err).not.toMatch(/reading program\.nnp:/);
    expect(err.endsWith('\r\x1b[Ksimulating 4,000,000 instructions: 45.0 s\n')).toBe(true);
  });

  test('nnchip sim on a terminal shows its steps on stderr; with --json stderr has none, and stdout is the JSON alone', async () => {
    const io = { ...captureIo(), interactive: true };
    expect(await main(['sim', TINY, '--input-range', '0,1'], io)).toBe(0);
    expect(io.err.join('')).toContain('compiling tiny.nnchip.json… 0 s');
    expect(io.err.join('')).toContain('simulating 15 instructions… 0 s');
    expect(io.out.join('')).not.toContain('simulating');
    const j = { ...captureIo(), interactive: true };
    expect(await main(['sim', TINY, '--input-range', '0,1', '--json'], j)).toBe(0);
    expect(j.err.join('')).not.toMatch(/compiling|simulating/);
    expect(JSON.parse(j.out.join('')).cycles).toBeGreaterThan(0);
  });
});
