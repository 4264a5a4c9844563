// SPDX-License-Identifier: MIT
/**
 * The nnchip command line: the ONLY module that reads argv and decides the exit code.
 * Every failure a user can cause is an NnchipError printed as one line (JSON with --json);
 * anything else is an internal error, printed with a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from '../diagnostics/codes.js';
import { NnchipError } from '../diagnostics/error.js';
import { processIo, type CliContext, type CliIo } from './context.js';
import * as disasm from './commands/disasm.js';
import * as evalCmd from './commands/eval.js';
import * as isa from './commands/isa.js';
import * as lower from './commands/lower.js';
import * as run from './commands/run.js';
import { COMMANDS as EXTRA_COMMANDS } from './registry.js';

const COMMANDS = [lower, run, evalCmd, disasm, isa, ...EXTRA_COMMANDS];

const EPILOG = `
Examples:
  nnchip lower examples/digits-mlp/model.json            lower to ./digits-mlp.nnchip/
  nnchip lower model.json --array 16x16 --calibration samples.json
  nnchip run model.json --input samples.json --json      outputs from the reference interpreter
  nnchip eval model.json --data labeled.json             float vs int8 accuracy
  nnchip isa --markdown                                  the instruction set

Exit codes: 0 ok, 1 bad input file, 2 usage, 3 unsupported model, 4 over budget,
            5 external tool missing, 6 output not written (exists and not nnchip's: --force;
            protected; or refused by the file system), 70 internal error (a bug: please report it).`;

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.ok };
  const program = new Command('nnchip')
    .description('compile trained neural networks to a matmul + threshold ISA, simulate them cycle-accurately, emit Verilog and WebAssembly')
    .version('0.1.0')
    .option('--debug', 'print stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EPILOG)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: (s, write) => write(s) })
    .exitOverride();
  for (const c of COMMANDS) c.register(program, ctx);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  const wantsJson = argv.includes('--json');
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const err = e instanceof NnchipError ? e : null;
    if (err !== null && err.code !== 'NN901') {
      io.stderr((wantsJson ? JSON.stringify({ error: err.toJSON() }) : io.color.red(err.format())) + '\n');
      if (debug) io.stderr(`${err.stack ?? ''}\n`);
      return err.exitCode;
    }
    const message = err?.detail ?? (e instanceof Error ? e.message : String(e));
    io.stderr(io.color.red(`error NN901: internal error: ${message} — this is a bug in nnchip: please report it with the command line and the model`) + '\n');
    io.stderr(`${e instanceof Error ? (e.stack ?? '') : ''}\n`);
    return EXIT.internal;
  }
}
