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
/** No color (a pipe, a file, NO_COLOR, FORCE_COLOR=0, TERM=dumb, the tests): chalk is not even loaded. */
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
  /** Styles for what goes to stdout (tables, figures). */
  readonly color: Colors;
  /** Styles for what goes to stderr (errors, warnings, notes, progress): decided by stderr's own terminal. */
  readonly errColor: Colors;
}

export interface CliContext {
  readonly io: CliIo;
  /** Commands that finish with a non-error but non-zero status (over budget) set this. */
  exitCode: number;
  /** The command being run (`lower`, `explore merge`), set before its action: messages name it. */
  command?: string;
}

/**
 * Whether to style one stream, by the conventions chalk and node follow: FORCE_COLOR wins (`0` or
 * `false` off; anything else, the empty string too, on: colour in a CI log or through `less -R`);
 * then NO_COLOR with a value (no-color.org) and TERM=dumb turn it off; else colour only on a terminal.
 */
export function colorWanted(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  if ((env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb') return false;
  return isTTY;
}

export async function processIo(): Promise<CliIo> {
  const wanted = (stream: NodeJS.WriteStream): boolean => colorWanted(stream.isTTY === true, process.env);
  const chalk = wanted(process.stdout) || wanted(process.stderr) ? new (await import('chalk')).Chalk({ level: 1 }) : PLAIN;
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    drained: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', () => resolve())) : Promise.resolve()),
    interactive: process.stderr.isTTY === true,
    color: wanted(process.stdout) ? chalk : PLAIN,
    errColor: wanted(process.stderr) ? chalk : PLAIN,
  };
}

/** Capturing io for in-process tests (fuzzing, CLI unit tests). */
export function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), interactive: false, color: PLAIN, errColor: PLAIN };
}
