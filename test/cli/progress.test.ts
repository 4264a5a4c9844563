// SPDX-License-Identifier: MIT
/** `synth`'s progress: the running step and its elapsed time, on a terminal and in a log; a failed step says so. */
import { describe, expect, test } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';
import { captureIo } from '../../src/cli/context.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('progressLine', () => {
  test('in a log (not a terminal): a line when each step starts and one with its time when it ends', () => {
    const io = captureIo();
    const c = clock();
    const p = progressLine(io, c.now);
    p.step('yosys 0.23 synthesizing for ice40 hx8k');
    c.advance(83_400);
    p.step('nextpnr-ice40 placing and routing for 12 MHz');
    c.advance(12_000);
    p.stop();
    expect(io.err.join('')).toBe(
      'yosys 0.23 synthesizing for ice40 hx8k…\nyosys 0.23 synthesizing for ice40 hx8k: 83.4 s\nnextpnr-ice40 placing and routing for 12 MHz…\nnextpnr-ice40 placing and routing for 12 MHz: 12.0 s\n',
    );
  });

  test('the step a tool failed in is reported as failed, with its time', () => {
    const io = captureIo();
    const c = clock();
    const p = progressLine(io, c.now);
    p.step('icepack writing the bitstream');
    c.advance(2_500);
    p.stop(true);
    p.stop();
    expect(io.err.join('').split('\n').filter(Boolean)).toEqual(['icepack writing the bitstream…', 'icepack writing the bitstream: failed after 2.5 s']);
  });

  test('on a terminal: one line, redrawn in place, ending with the step and its time', () => {
    const io = { ...captureIo(), interactive: true };
    const err: string[] = [];
    const c = clock();
    const p = progressLine({ ...io, stderr: (t) => void err.push(t) }, c.now);
    p.step('yosys synthesizing');
    c.advance(4_000);
    p.stop();
    expect(err[0]).toBe('\r\x1b[Kyosys synthesizing… 0 s');
    expect(err.at(-1)).toBe('\r\x1b[Kyosys synthesizing: 4.0 s\n');
    expect(err.join('')).not.toMatch(/\n(?!$)/);
  });
});
