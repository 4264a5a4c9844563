// SPDX-License-Identifier: MIT
/** `nnchip disasm <dir-or-program>`: print the assembly listing of a lowered program. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { readProgramFile } from '../load-program.js';
import { listingOf } from './lower.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('disasm')
    .description('print the assembly listing of a lowered program')
    .argument('<program>', 'a .nnchip folder written by `nnchip lower`, or its program.nnp')
    .action((path: string) => {
      ctx.io.stdout(listingOf(readProgramFile(path, 'disasm')));
    });
}
