// SPDX-License-Identifier: MIT
/** `nnchip disasm <dir-or-program>`: print the assembly listing of a lowered program. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples, PROGRAM_INPUTS } from '../help.js';
import { readProgramFile } from '../program-file.js';
import { listingOf } from './lower.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('disasm')
    .description('print the assembly listing of a lowered program')
    .argument('<program>', PROGRAM_INPUTS)
    .addHelpText(
      'after',
      examples([
        ['nnchip disasm digits-mlp.nnchip', 'the listing of a folder `nnchip lower` wrote'],
        ['nnchip disasm digits-mlp.nnchip/program.nnp', 'the same, from the program file'],
      ]),
    )
    .action((path: string) => {
      ctx.io.stdout(listingOf(readProgramFile(path, 'disasm')));
    });
}
