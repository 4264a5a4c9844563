// SPDX-License-Identifier: MIT
/** `--force` for the commands that write outputs, and the inputs an output must never overwrite. */
import type { Command } from 'commander';
import type { OutputOptions } from '../util/atomic-write.js';

export interface ForceFlag {
  readonly force?: boolean;
}

export function addForceOption(cmd: Command): Command {
  return cmd.option('--force', 'replace an existing output that nnchip did not write (never an input, its folder, or what is inside that folder)');
}

/** The write options of one command run: --force, and every file or folder it reads. */
export function outputOptions(flags: ForceFlag, ...inputs: (string | undefined)[]): OutputOptions {
  return { force: flags.force === true, inputs };
}
