// SPDX-License-Identifier: MIT
/** What a command may use to talk to the user: output streams, color/TTY facts, the exit code. */

/** The styles commands print with: chalk's on a color terminal, else each the string itself (what chalk does at level 0). */
export interface Colors {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const same = (text: string): string => text;
/** No color (a pipe, a file, NO_COLOR, TERM=dumb, the tests): chalk is not even loaded. */
export const PLAIN: Colors = { bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Resolves once stdout has passed on what was written: a pipe to a slow reader otherwise queues
   * every write in memory (a long listing: gigabytes, then ENOBUFS). Absent: nothing to wait for.
   */
  readonly drained?: () => Promise<void>;
  /** stderr is a terminal (progress bars go there, and only then). */
  readonly interactive: boolean;
  readonly color: Colors;
}

export interface CliContext {
  readonly io: CliIo;
  /** Commands that finish with a non-error but non-zero status (over budget) set this. */
  exitCode: number;
  /** The command being run (`lower`, `explore merge`), set before its action: messages name it. */
  command?: string;
}

export async function processIo(): Promise<CliIo> {
  const useColor = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined && process.env['TERM'] !== 'dumb';
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    drained: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', () => resolve())) : Promise.resolve()),
    interactive: process.stderr.isTTY === true,
    color: useColor ? new (await import('chalk')).Chalk({ level: 1 }) : PLAIN,
  };
}

/** Capturing io for in-process tests (fuzzing, CLI unit tests). */
export function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), interactive: false, color: PLAIN };
}
