// SPDX-License-Identifier: MIT
/** `nnchip disasm <dir-or-program>`: print the assembly listing of a lowered program. */
import type { Command } from 'commander';
import type { Program } from '../../isa/program.js';
import type { CliContext } from '../context.js';
import { examples, PROGRAM_INPUTS } from '../help.js';
import { readProgramFile } from '../program-file.js';
import { listingFile } from './lower.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('disasm')
    .description('print the assembly listing of a lowered program')
    .argument('<program>', PROGRAM_INPUTS)
    .option('--json', 'print {"config", "layers", "instructions"} as JSON: the machine, each layer\'s instruction span, and each instruction\'s fields by the names `nnchip isa --json` gives them, valued as encoded (buffers and units by number), one instruction per line')
    .addHelpText(
      'after',
      examples([
        ['nnchip disasm digits-mlp.nnchip', 'the listing of a folder `nnchip lower` wrote'],
        ['nnchip disasm digits-mlp.nnchip/program.nnp', 'the same, from the program file'],
        ['nnchip disasm digits-mlp.nnchip --json', 'the instructions as JSON, for a script'],
      ]),
    )
    .action(async (path: string, flags: { json?: boolean }) => {
      const p = readProgramFile(path, 'disasm');
      if (flags.json === true) return writeJson(p, ctx.io.stdout, ctx.io.drained);
      await writePieces(listingFile(p), ctx.io.stdout, ctx.io.drained);
    });
}

/** Instructions per write of the JSON form: a long program is never one string (see writePieces). */
const JSON_PIECE = 10_000;

/** The --json document, written a piece at a time. */
async function writeJson(p: Program, write: (text: string) => void, drained?: () => Promise<void>): Promise<void> {
  write(`{"config":${JSON.stringify(p.config)},"layers":${JSON.stringify(p.layers)},"instructions":[\n`);
  for (let at = 0; at < p.instructions.length; at += JSON_PIECE) {
    write((at === 0 ? '' : ',\n') + p.instructions.slice(at, at + JSON_PIECE).map((x) => JSON.stringify(x)).join(',\n'));
    await drained?.();
  }
  write('\n]}\n');
}

/** Pieces of at most 1 MiB, each ending at a line's end. */
const PIECE_BYTES = 2 ** 20;

/**
 * UTF-8 text written as strings of at most PIECE_BYTES, each cut after a newline, each passed on
 * (`drained`) before the next: the listing of a long program as one string (9.4 million
 * instructions: 800 MB) is past the longest string V8 makes, and disasm ended as an internal error.
 */
export async function writePieces(bytes: Uint8Array, write: (text: string) => void, drained?: () => Promise<void>, piece = PIECE_BYTES): Promise<void> {
  const decoder = new TextDecoder();
  for (let at = 0; at < bytes.length; ) {
    let end = Math.min(bytes.length, at + piece);
    if (end < bytes.length) {
      // after the last newline in the piece; a line longer than a piece goes whole (a cut could split a character)
      const back = bytes.lastIndexOf(0x0a, end - 1);
      const ahead = back >= at ? back : bytes.indexOf(0x0a, end);
      end = ahead < 0 ? bytes.length : ahead + 1;
    }
    write(decoder.decode(bytes.subarray(at, end)));
    await drained?.();
    at = end;
  }
}
