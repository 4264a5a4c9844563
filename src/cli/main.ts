// SPDX-License-Identifier: MIT
/**
 * The nnchip command line: the ONLY module that reads argv and decides the exit code.
 * Every failure a user can cause is an NnchipError printed as one line (JSON with --json);
 * anything else is an internal error, printed with a stack trace.
 */
import { Command, CommanderError, Help } from 'commander';
import { EXIT } from '../diagnostics/codes.js';
import { escapeControls, NnchipError, shortDetail } from '../diagnostics/error.js';
import { similar } from '../diagnostics/suggest.js';
import { processIo, type CliContext, type CliIo } from './context.js';
import { COMMANDS, commandsFor } from './registry.js';

const EPILOG = `
Examples:
  nnchip lower examples/digits-mlp/model.json            lower to ./digits-mlp.nnchip/
  nnchip lower examples/digits-onnx --array 16x16 -o onnx.nnchip
                                                         the model.onnx in that folder, on a 16x16 array
  nnchip run examples/digits-mlp --input examples/digits-mlp/calibration.json --json
                                                         outputs from the reference interpreter
  nnchip eval examples/digits-mlp --data out/digits-test.json
                                                         float vs int8 accuracy (npm run demo writes the data)
  nnchip isa --markdown                                  the instruction set

Exit codes: 0 ok, 1 bad input file, 2 usage, 3 unsupported model, 4 over budget (a failed --prove,
            a design larger than its part), 5 external tool missing, 6 output not written (exists and
            not nnchip's: --force; protected; or refused by the file system), 70 an external tool failed
            (the end of its log is printed) or an internal error (a bug: please report it).
Errors are one line on stderr; with --json, one JSON line: {"error": {"code", "file", "layer", "message",
            "hint", "exitCode"}}. --json puts the result alone on stdout (its keys: each command's --help).
Colour only on a terminal; NO_COLOR=1 or FORCE_COLOR=0 turns it off, FORCE_COLOR=1 forces it.`;

/** `explore merge`, not `merge`: the words a user types after `nnchip`. */
function commandName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * `--input-range 0 1`: the option takes one value, so commander counts 1 as one argument too many.
 * Names the spelling it wants (' — did you mean --input-range 0,1?'), or ''.
 */
function spacedList(argv: readonly string[]): string {
  const number = (s: string | undefined): boolean => s !== undefined && s.trim() !== '' && Number.isFinite(Number(s));
  const i = argv.findIndex((a, k) => a === '--input-range' && number(argv[k + 1]) && number(argv[k + 2]));
  return i < 0 ? '' : ` (did you mean --input-range ${argv[i + 1]},${argv[i + 2]}? it takes one value, lo,hi)`;
}

const helpHint = (command: string | undefined): string => `see \`nnchip ${command === undefined ? '' : `${command} `}--help\``;

/** A usage error points at the help of the command it happened in. */
function withCommandHelp(err: NnchipError, command: string | undefined): NnchipError {
  if (err.code !== 'NN801' || err.hintOverride !== undefined || command === undefined) return err;
  return new NnchipError(err.code, err.detail, { ...(err.file === undefined ? {} : { file: err.file }), ...(err.layer === undefined ? {} : { layer: err.layer }), hint: helpHint(command) });
}

export async function main(argv: readonly string[], given?: CliIo): Promise<number> {
  const io = given ?? (await processIo());
  const ctx: CliContext = { io, exitCode: EXIT.ok };
  const program = new Command('nnchip')
    .description('compile trained neural networks to a matmul + threshold ISA, simulate them cycle-accurately, emit Verilog and WebAssembly')
    .version('0.1.0')
    .option('--debug', 'print stack traces')
    .addHelpText('after', EPILOG)
    // one style for defaults: commander's `(default: "ref")` read as `(default ref)`, as the hand-written ones do (commands inherit this)
    .configureHelp({ optionDescription: (option) => new Help().optionDescription(option).replace(/\(default: "([^"]*)"\)/, '(default $1)') });
  for (const c of await Promise.all(commandsFor(argv).map((entry) => entry.load()))) c.register(program, ctx);
  // commander's own errors (missing argument, unknown option) are reported below as one NN801 line
  let failed: Command | undefined;
  const quiet = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: () => void (failed = cmd) });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  program.hook('preAction', (_root, action) => void (ctx.command = commandName(action)));
  const wantsJson = argv.includes('--json');
  const debug = argv.includes('--debug');
  try {
    // `nnchip help lowr`: commander shows the whole help; a typo here is the same error as `nnchip lowr`
    const [first, asked] = argv;
    if (first === 'help' && asked !== undefined && !asked.startsWith('-') && !COMMANDS.some((c) => c.name === asked)) {
      const close = similar(asked, COMMANDS.map((c) => c.name));
      throw new NnchipError('NN801', `unknown command '${asked}'${close.length === 0 ? '' : ` (Did you mean ${close.join(' or ')}?)`}`, { hint: helpHint(undefined) });
    }
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // `nnchip` or `nnchip board` with no command: the help on stderr, as a usage error (`nnchip help`, `--help`: stdout, 0)
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      const name = failed === undefined || failed === program ? undefined : commandName(failed);
      const message = e.message.replace(/^error: /, '').split('\n').join(' ').trim() + (e.code === 'commander.excessArguments' ? spacedList(argv) : '');
      e = new NnchipError('NN801', message, { hint: helpHint(name) });
    }
    const err = e instanceof NnchipError ? withCommandHelp(e, ctx.command) : null;
    if (err !== null && err.code !== 'NN901') {
      io.stderr((wantsJson ? JSON.stringify({ error: err.toJSON() }) : io.errColor.red(err.format())) + '\n');
      if (debug) io.stderr(`${err.stack ?? ''}\n`);
      return err.exitCode;
    }
    const message = `internal error: ${escapeControls(shortDetail(err?.detail ?? (e instanceof Error ? e.message : String(e))))}`;
    const hint = 'this is a bug in nnchip: please report it with the command line and the model';
    const stack = e instanceof Error ? (e.stack ?? '') : '';
    // --json: one JSON line as for every other error, the stack (for the bug report) inside it
    if (wantsJson) io.stderr(JSON.stringify({ error: { code: 'NN901', file: null, layer: null, message, hint, exitCode: EXIT.internal, stack } }) + '\n');
    else io.stderr(`${io.errColor.red(`error NN901: ${message} — ${hint}`)}\n${stack}\n`);
    return EXIT.internal;
  }
}
