// SPDX-License-Identifier: MIT
/** `nnchip isa [--markdown|--json]`: the instruction set, printed from its definition (src/isa/spec.ts and the op records; text in docs/isa.md). */
import type { Command } from 'commander';
import { fieldsOf } from '../../isa/encode.js';
import { UNIT_OF } from '../../isa/ops/index.js';
import { OPCODE_LIST, OPCODES } from '../../isa/spec.js';
import type { CliContext } from '../context.js';
import { examples } from '../help.js';

export function isaMarkdown(): string {
  const lines = ['| opcode | value | unit | field | bits | signed | meaning |', '|---|---|---|---|---|---|---|'];
  for (const op of OPCODE_LIST) {
    for (const f of fieldsOf(op)) {
      lines.push(`| ${op} | ${OPCODES[op]} | ${UNIT_OF[op]} | ${f.name} | [${f.lsb + f.bits - 1}:${f.lsb}] | ${f.signed ? 'yes' : 'no'} | ${f.doc} |`);
    }
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('isa')
    .description('print the instruction set (opcodes, fields, bit positions)')
    .option('--markdown', 'as a Markdown table (for docs)')
    .option('--json', 'as JSON')
    .addHelpText(
      'after',
      examples([
        ['nnchip isa', 'one line per opcode: value, unit, fields'],
        ['nnchip isa --markdown', 'the table in docs/isa.md'],
      ]),
    )
    .action((flags: { markdown?: boolean; json?: boolean }) => {
      if (flags.json) {
        ctx.io.stdout(JSON.stringify(OPCODE_LIST.map((op) => ({ op, value: OPCODES[op], unit: UNIT_OF[op], fields: fieldsOf(op) }))) + '\n');
      } else if (flags.markdown) ctx.io.stdout(isaMarkdown());
      else {
        for (const op of OPCODE_LIST) {
          const fields = fieldsOf(op).map((f) => `${f.name}[${f.lsb + f.bits - 1}:${f.lsb}]`).join(' ');
          ctx.io.stdout(`${ctx.io.color.bold(op.padEnd(10))} ${String(OPCODES[op]).padEnd(2)} ${UNIT_OF[op].padEnd(8)} ${fields}\n`);
        }
        ctx.io.stdout(`\n${OPCODE_LIST.length} opcodes, 128-bit words; semantics: docs/isa.md, timing: docs/hardware.md (in the nnchip package's docs/ folder)\n`);
      }
    });
}
