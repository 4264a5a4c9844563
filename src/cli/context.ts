// SPDX-License-Identifier: MIT
/** What a command may use to talk to the user: output streams, color/TTY facts, the exit code. */
import { Chalk, type ChalkInstance } from 'chalk';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal (progress bars go there, and only then). */
  readonly interactive: boolean;
  readonly color: ChalkInstance;
}

export interface CliContext {
  readonly io: CliIo;
  /** Commands that finish with a non-error but non-zero status (over budget) set this. */
  exitCode: number;
  /** The command being run (`lower`, `explore merge`), set before its action: messages name it. */
  command?: string;
}

export function processIo(): CliIo {
  const useColor = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined && process.env['TERM'] !== 'dumb';
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: process.stderr.isTTY === true,
    color: new Chalk({ level: useColor ? 1 : 0 }),
  };
}

/** Capturing io for in-process tests (fuzzing, CLI unit tests). */
export function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), interactive: false, color: new Chalk({ level: 0 }) };
}
