// SPDX-License-Identifier: MIT
/**
 * Progress on stderr for the steps of a long command (synth, board bitstream, sim): never on
 * stdout, so --json output and piped reports stay clean. Light: no cli-progress, no timers but one.
 */
import type { CliIo } from './context.js';

/**
 * The running step and its elapsed time: on a terminal one line redrawn each second; elsewhere (a CI
 * log) a line when a step starts and one when it ends. Each finished step keeps its time; the step a
 * tool failed in says so (its log's last lines follow).
 */
export function progressLine(io: CliIo, now: () => number = Date.now, keepAfterMs = 0): { step: (s: string) => void; stop: (failed?: boolean | 'quietly') => void } {
  let current: { text: string; started: number } | null = null;
  const seconds = (): string => ((now() - current!.started) / 1000).toFixed(1);
  const draw = (): void => {
    if (current !== null) io.stderr(`\r\x1b[K${io.errColor.dim(`${current.text}… ${Math.round((now() - current.started) / 1000)} s`)}`);
  };
  const timer = io.interactive ? setInterval(draw, 1000) : null;
  timer?.unref();
  const finish = (failed: boolean | 'quietly'): void => {
    if (current === null) return;
    // 'quietly': failed, and the error line that follows says where; on a terminal the step's line is erased
    if (failed === 'quietly') {
      if (io.interactive) io.stderr('\r\x1b[K');
      current = null;
      return;
    }
    const line = failed ? `${current.text}: failed after ${seconds()} s` : `${current.text}: ${seconds()} s`;
    // on a terminal a step quicker than keepAfterMs leaves nothing behind (a small sim prints no progress)
    if (io.interactive && !failed && now() - current.started < keepAfterMs) io.stderr('\r\x1b[K');
    else io.stderr(io.interactive ? `\r\x1b[K${io.errColor.dim(line)}\n` : `${line}\n`);
    current = null;
  };
  return {
    step: (text) => {
      finish(false);
      current = { text, started: now() };
      if (io.interactive) draw();
      else io.stderr(`${text}…\n`);
    },
    stop: (failed: boolean | 'quietly' = false) => {
      finish(failed);
      if (timer !== null) clearInterval(timer);
    },
  };
}

/** A simulation of this many instructions or more runs for seconds (about 5 µs each, with reading or compiling it): its steps are shown in logs too, not only on a terminal. */
export const LONG_RUN_INSTRUCTIONS = 500_000;

const NO_PROGRESS = { step: (): void => undefined, stop: (): void => undefined };

/** Steps quicker than this leave no line on a terminal. */
export const KEEP_STEP_MS = 2000;

/** progressLine when stderr is a terminal or the run is long; nothing with --json (its consumers read stderr as errors). */
export function stepsFor(io: CliIo, opts: { json: boolean; long: boolean }, now: () => number = Date.now): ReturnType<typeof progressLine> {
  return !opts.json && (io.interactive || opts.long) ? progressLine(io, now, KEEP_STEP_MS) : NO_PROGRESS;
}
