// SPDX-License-Identifier: MIT
/**
 * `nnchip board flash-image <dir> [--model <m> -o <file>]` and `nnchip board run <dir> --port <tty>
 * --input <file> [--program <nnp>]`: the host side of a board design made by `nnchip verilog --board`
 * (protocol, session, image and machine: src/board/).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { boardNamed, BOARD_NAMES } from '../../board/boards.js';
import { BAUD_RANGE, BOARD_EXTRAS, BOARD_FILES, boardMachine, checkImageFits, type BoardManifest } from '../../board/emit.js';
import { buildBoardBitstream, type BoardBitstreamReport } from '../../board/bitstream.js';
import { BoardSession, checkBoard, inferOnBoard, MAX_TIMEOUT_S, type ByteLink } from '../../board/host.js';
import { FLASH_READS } from '../../board/flash.js';
import { flashImage, programIdOf } from '../../board/image.js';
import { CODES } from '../../diagnostics/codes.js';
import { MAX_JSON_DEPTH, nestedDeeperThan, NnchipError, shownValue } from '../../diagnostics/error.js';
import { outputsToModelLayout } from '../../isa/layout.js';
import { batchOf, quantizeBatches, serializeProgram, splitOutputs, type Program } from '../../isa/program.js';
import { checkOutput, writeFileAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { programInputSpec, readRegularFile, readSamples } from '../data.js';
import { examples } from '../help.js';
import { programFor, readProgramFile } from '../load-program.js';
import { flagQuantity } from '../flag-numbers.js';
import { duplicateKey, withoutBom } from '../../util/json-text.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { printer } from './run.js';
import { progressLine } from '../progress.js';
import { fmtInt } from '../render.js';

interface BoardDesign {
  readonly manifest: BoardManifest;
  readonly program: Program;
}

/** The board folder's manifest and Program, checked against each other. */
function readBoardDir(dir: string): BoardDesign {
  const file = join(dir, BOARD_FILES.manifest);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NnchipError('NN515', `${dir} is not a folder`);
  if (!existsSync(file)) throw new NnchipError('NN515', `${dir} has no ${BOARD_FILES.manifest}: not a board design`);
  let manifest: BoardManifest;
  // a FIFO or a device in its place would wait or never end: a regular file of at most 64 KiB
  const text = withoutBom(readRegularFile(file, 64 * 1024, 'board manifests').toString('utf8'));
  try {
    manifest = JSON.parse(text) as BoardManifest;
  } catch {
    throw new NnchipError('NN515', `${file} is not valid JSON`);
  }
  const twice = duplicateKey(text);
  if (twice !== undefined) throw new NnchipError('NN515', `${file} gives "${twice.key}" twice${twice.at === '' ? '' : ` in ${twice.at}`} (JSON keeps the last)`);
  if (nestedDeeperThan(manifest)) throw new NnchipError('NN515', `${file} nests arrays or objects over ${MAX_JSON_DEPTH} levels deep`);
  const fields = ['board', 'clockMhz', 'baud', 'flashOffset', 'machineId', 'programId', 'capacity'] as const;
  // which field, and what it holds (it was one message for all: "lacks a field of board, clockMhz, … or names an unknown board")
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new NnchipError('NN515', `${file} is not a JSON object (it holds ${Array.isArray(manifest) ? 'a list' : shownValue(manifest)})`);
  const missing = fields.find((f) => manifest[f] === undefined);
  if (missing !== undefined) throw new NnchipError('NN515', `${file} lacks the field "${missing}"`);
  if (!BOARD_NAMES.includes(manifest.board as never)) throw new NnchipError('NN515', `${file}: board ${shownValue(manifest.board).slice(0, 80)} is not one of ${BOARD_NAMES.join(', ')}`);
  // a hand-edited field would otherwise reach the serial port or the machine rebuild as nonsense
  const whole = (v: unknown, lo: number, hi: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  const capacity = manifest.capacity as unknown as Record<string, unknown>;
  const bad = ([
    ['clockMhz', typeof manifest.clockMhz === 'number' && manifest.clockMhz > 0 && Number.isFinite(manifest.clockMhz), 'a positive number of MHz'],
    ['baud', whole(manifest.baud, BAUD_RANGE.min, BAUD_RANGE.max), `a whole number of bits per second from ${BAUD_RANGE.min} to ${BAUD_RANGE.max}`],
    ['flashOffset', whole(manifest.flashOffset, 0, 2 ** 32 - 1), 'a flash byte offset'],
    ['machineId', whole(manifest.machineId, 0, 2 ** 32 - 1), 'a 32-bit id'],
    ['programId', whole(manifest.programId, 0, 2 ** 32 - 1), 'a 32-bit id'],
    [
      'capacity',
      typeof capacity === 'object' && capacity !== null && (['programWords', 'progDepth', 'dramBytes', 'tokenBits', 'ramBytes'] as const).every((k) => whole(capacity[k], 1, 2 ** 32)) && typeof capacity['pooling'] === 'boolean' && typeof capacity['tables'] === 'boolean' && (capacity['shifts'] === undefined || typeof capacity['shifts'] === 'boolean') && (capacity['chains'] === undefined || typeof capacity['chains'] === 'boolean'),
      'the machine\'s sizes (programWords, progDepth, dramBytes, tokenBits, ramBytes, pooling, tables, shifts, chains)',
    ],
  ] as const).find(([, ok]) => !ok);
  if (bad !== undefined) throw new NnchipError('NN515', `${file}: ${bad[0]} is not ${bad[2]} (${JSON.stringify(manifest[bad[0]])})`);
  const program = readProgramFile(join(dir, BOARD_FILES.program), 'nnchip board');
  if (programIdOf(program) !== manifest.programId) throw new NnchipError('NN515', `${join(dir, BOARD_FILES.program)} is not the program ${file} was made for`);
  // flash-image and run rebuild the machine from "capacity": an edited size (tokenBits 64) made an image for another machine, silently
  if (manifest.flashRead !== undefined && !Object.hasOwn(FLASH_READS, manifest.flashRead)) throw new NnchipError('NN515', `${file}: flashRead is not one of ${Object.keys(FLASH_READS).join(', ')} (${JSON.stringify(manifest.flashRead)})`);
  let rebuilt: number | undefined;
  try {
    rebuilt = boardMachine(program, boardNamed(manifest.board), manifest.capacity).id;
  } catch (e) {
    if (!(e instanceof NnchipError)) throw e;
  }
  if (rebuilt !== manifest.machineId) throw new NnchipError('NN515', `${file}: capacity does not describe the machine machineId names (${manifest.machineId}): the file was edited or belongs to another design`);
  return { manifest, program };
}

/**
 * `p` for the folder's bitstream: its machine, rebuilt from the manifest's capacity, must be the
 * folder's; otherwise NN516 names the parameters that differ.
 */
function checkRunsOn(d: BoardDesign, p: Program, what: string): void {
  const board = boardNamed(d.manifest.board);
  const mine = boardMachine(d.program, board, d.manifest.capacity);
  let theirs;
  try {
    // any program length runs: one longer than the instruction RAM streams through it from flash
    theirs = boardMachine(p, board, d.manifest.capacity);
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN405') throw new NnchipError('NN516', `${what}: ${e.detail}`);
    throw e;
  }
  if (theirs.id === mine.id) return;
  const differ = Object.keys(mine.parameters).filter((k) => mine.parameters[k] !== theirs.parameters[k]);
  const list = differ.map((k) => `${k} ${theirs.parameters[k]} (the bitstream has ${mine.parameters[k]})`).join(', ');
  // hardware a bitstream builds only when asked for (or when its own model uses it): the flag that asks for it
  const extras = BOARD_EXTRAS.filter((e) => theirs.capacity[e] && !mine.capacity[e]);
  const hint = extras.length === 0 ? undefined : `build the bitstream with the hardware this model uses: nnchip verilog <model> --board ${board.name} --with ${extras.join(',')}`;
  throw new NnchipError('NN516', `${what} needs another machine than this folder's bitstream: ${list}`, hint === undefined ? {} : { hint });
}

/** What to do when the port does not open, by the system's reason (serialport gives only its text). */
export function openHint(message: string, path: string): string {
  if (/no such file|ENOENT/i.test(message)) return `there is no ${path}: plug the board in and list its ports (ls /dev/ttyUSB* /dev/ttyACM*); the iCEBreaker and HX8K breakout UART is the second one, often /dev/ttyUSB1`;
  if (/permission denied|EACCES/i.test(message)) return `you may not open ${path}: join its group (sudo usermod -aG dialout $USER, then log in again)`;
  if (/busy|EBUSY|lock/i.test(message)) return `another program holds ${path}: close it (screen, minicom, a running nnchip board run) and run again`;
  if (/not a (tty|typewriter)|ENOTTY|inappropriate ioctl/i.test(message)) return `${path} is not a serial port: pass the board's UART, e.g. /dev/ttyUSB1`;
  return CODES.NN512.hint;
}

/**
 * serialport's reason without its own wrapping: `Error: No such file or directory, cannot open
 * /dev/ttyUSB9` → `No such file or directory` (the error line names the port once).
 */
export function openReason(message: string, path: string): string {
  const text = message.replace(/^(?:Error:\s*)+/, '').trim();
  const tail = `, cannot open ${path}`;
  return text.endsWith(tail) ? text.slice(0, -tail.length) : text;
}

/** The serial port as a ByteLink; serialport is loaded only here (an optional dependency). */
async function openPort(path: string, baudRate: number): Promise<{ link: ByteLink; close: () => Promise<void> }> {
  let mod: typeof import('serialport');
  try {
    mod = await import('serialport');
  } catch {
    throw new NnchipError('NN703', 'the serialport package is not installed; `nnchip board run` needs it');
  }
  const port = new mod.SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new NnchipError('NN512', `cannot open ${path}: ${openReason(e.message, path)}`, { hint: openHint(e.message, path) })) : resolve())));
  const link: ByteLink = {
    write: (bytes) => new Promise<void>((resolve, reject) => port.write(Buffer.from(bytes), (e) => (e ? reject(new NnchipError('NN512', `${path}: ${openReason(e.message, path)}`)) : port.drain(() => resolve())))),
    onData: (listener) => port.on('data', (d: Buffer) => listener(new Uint8Array(d))),
  };
  return { link, close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())) };
}

export type RunFlags = { port: string; input: string; json?: boolean; timeout: string; program?: string };

/** Opens the board's serial port (the co-simulation's test passes its pipes instead). */
export type PortOpener = (path: string, baudRate: number) => Promise<{ link: ByteLink; close: () => Promise<void> }>;

/** `nnchip board run`: check the board, then each sample (or batch) through it, printed as `nnchip run` prints. */
export async function boardRun(dir: string, flags: RunFlags, ctx: CliContext, open: PortOpener = openPort): Promise<void> {
  const timeout = flagQuantity(flags.timeout, '--timeout');
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_S) throw new NnchipError('NN801', `--timeout ${flags.timeout}: expected a positive number of seconds, at most ${MAX_TIMEOUT_S} (a week)`);
  if (flags.port.trim() === '') throw new NnchipError('NN801', `--port "${flags.port}": expected the board's UART, e.g. /dev/ttyUSB1`);
  const design = readBoardDir(dir);
  const { manifest } = design;
  const p = flags.program === undefined ? design.program : readProgramFile(flags.program, 'nnchip board run');
  if (flags.program !== undefined) checkRunsOn(design, p, flags.program);
  const samples = readSamples(flags.input, programInputSpec(p));
  const out = printer(p, { ...flags, backend: 'board' }, ctx, []);
  const { link, close } = await open(flags.port, manifest.baud);
  try {
    const session = new BoardSession(link, timeout * 1000);
    await checkBoard(session, p, manifest.machineId);
    const b = batchOf(p);
    for (let first = 0; first < samples.count; first += b) {
      const group = Array.from({ length: Math.min(b, samples.count - first) }, (_, j) => samples.sample(first + j));
      const [codes] = quantizeBatches(p, group);
      const result = await inferOnBoard(session, p, codes!);
      const text = splitOutputs(p, [result.raw], group.length).map((o, j) => out.sample(first + j, outputsToModelLayout(p, o), result.cycles));
      ctx.io.stdout(text.join(''));
    }
    out.end();
  } finally {
    await close();
  }
}


export function register(program: Command, ctx: CliContext): void {
  const board = program
    .command('board')
    .description('a board design made by `nnchip verilog --board`: make its bitstream, write its flash image, run inferences over the UART')
    .addHelpText(
      'after',
      examples([
        ['nnchip verilog examples/tiny/tiny.nnchip.json --board icebreaker -o hw', 'the design (see docs/board.md)'],
        ['make -C hw bitstream prog', 'bitstream and flash image onto the board (iceprog)'],
        ['nnchip board bitstream hw', 'the bitstream without system EDA tools (the npm packages), with progress'],
        ['nnchip board run hw --port /dev/ttyUSB1 --input samples.json', 'outputs and cycle counts from the board'],
      ]),
    );

  addCompileOptions(
    addForceOption(
      board
        .command('flash-image')
        .description('write the SPI-flash image (header, program, weights) of a board design, or of another model for its bitstream; flash it with iceprog -o <offset>')
        .argument('<dir>', 'a board design folder, written by `nnchip verilog <model> --board <name>`')
        .option('--model <file>', 'another model (or .nnp program) for the same machine: compiled for the folder\'s machine (or --config/--array); needs -o (default: the folder\'s own model)')
        .option('-o, --out <file>', 'output file (default <dir>/flash.bin); with --model, its program goes beside it as <file without .bin>.nnp')
        .option('--json', 'print {"out", "bytes", "instructions", "constantBytes", "flashOffset"[, "program"]} as JSON: the image, its size, what it holds, and the flash address iceprog -o writes it at')
        .addHelpText(
          'after',
          examples([
            ['nnchip board flash-image hw', 'rewrites hw/flash.bin from hw/program.nnp'],
            ['nnchip board flash-image hw -o image.bin && iceprog -o 1M image.bin', 'an image elsewhere, then into the flash'],
            ['nnchip board flash-image hw --model other.nnchip.json --array 2x2 -o other.bin', 'another model for the same bitstream: other.bin and other.nnp'],
          ]),
        ),
    ),
    "the folder's own machine, the one its bitstream holds",
  ).action((dir: string, flags: ForceFlag & CompileFlags & { out?: string; model?: string; json?: boolean }) => {
    const design = readBoardDir(dir);
    if (flags.model !== undefined && flags.out === undefined) throw new NnchipError('NN801', '--model needs -o <file>: the folder\'s own flash.bin is its own model\'s image');
    // no machine named: the folder's own (its program's config), the one a model must be compiled for
    const machine = flags.config === undefined && flags.array === undefined ? design.program.config : undefined;
    const p = flags.model === undefined ? design.program : programFor(flags.model, flags, ctx, machine);
    const image = flashImage(p, design.manifest.machineId);
    if (flags.model !== undefined) {
      // a model no bitstream of this board can hold is NN405 (its RAM region or its image), before NN516 suggests another bitstream
      const board = boardNamed(design.manifest.board);
      checkImageFits(p, board, boardMachine(p, board, design.manifest.capacity).ramBytes, image.length);
      checkRunsOn(design, p, flags.model);
    }
    const out = flags.out ?? join(dir, BOARD_FILES.image);
    // the folder's own image may be rewritten; any other path follows the usual output rules
    const opts = flags.out === undefined ? { force: true } : outputOptions(flags, dir, flags.model);
    checkOutput(out, 'file', opts);
    const programOut = flags.model === undefined ? undefined : `${out.replace(/\.bin$/, '')}.nnp`;
    if (programOut !== undefined) checkOutput(programOut, 'file', opts);
    writeFileAtomic(out, image, opts);
    if (programOut !== undefined) writeFileAtomic(programOut, serializeProgram(p), opts);
    if (flags.json === true) {
      const doc = { out, bytes: image.length, instructions: p.instructions.length, constantBytes: p.constants.length, flashOffset: design.manifest.flashOffset, ...(programOut === undefined ? {} : { program: programOut }) };
      return void ctx.io.stdout(JSON.stringify(doc) + '\n');
    }
    ctx.io.stdout(`${out}: ${fmtInt(image.length)} bytes (${fmtInt(p.instructions.length)} instructions, ${fmtInt(p.constants.length)} bytes of constants); flash with: iceprog -o ${design.manifest.flashOffset} ${out}\n`);
    if (programOut !== undefined) ctx.io.stdout(`${programOut}: its program; run with: nnchip board run ${dir} --program ${programOut} --port … --input …\n`);
  });

  board
    .command('bitstream')
    .description('make the bitstream of a board design: its Makefile (yosys, nextpnr-ice40 at the design clock, icepack) with the system tools, or without them the optional npm packages @yowasp/yosys and @yowasp/nextpnr-ice40')
    .argument('<dir>', 'a board design folder, written by `nnchip verilog <model> --board <name>`; the bitstream goes to <dir>/build/board.bin, each tool\'s whole log beside it')
    .option(
      '--yosys <which>',
      'yosys to run: system (on PATH), yowasp (the @yowasp/yosys npm package) or a path (default: $NNCHIP_YOSYS, else system when on PATH, else yowasp); nextpnr-ice40 and icepack: the system ones when on PATH, else @yowasp/nextpnr-ice40',
    )
    .option('--json', 'print {"board", "clockMhz", "bitstream", "yosys", "pnr", "logicCells", "blockRams", "dsps", "clocks"} as JSON: "bitstream" the file written, each resource {"used", "of"} (null when nextpnr does not report it), "clocks" each clock\'s {"name", "mhz", "pass", "requiredMhz"}')
    .addHelpText(
      'after',
      `
The same as \`make -C <dir> bitstream\`, but it needs no Debian EDA packages (npm ci installs the
@yowasp packages as optional dependencies; npm ci --omit=optional leaves them out), shows the
running step and its elapsed time, and prints the last lines of a failing tool's log. nextpnr must
meet the design clock (--clock of \`nnchip verilog --board\`): a timing failure is an error.

Exit codes: 0 done, 1 not a board design, 4 the design does not fit the part, 5 make or a tool not
installed, 70 a tool failed (the end of its log is printed; <dir>/build/ keeps it all).
${examples([
  ['nnchip board bitstream hw', 'hw/build/board.bin; then make -C hw prog (iceprog)'],
  ['nnchip board bitstream hw --yosys yowasp', 'yosys from the npm package even when one is on PATH'],
])}`,
    )
    .action(async (dir: string, flags: { yosys?: string; json?: boolean }) => {
      const { manifest } = readBoardDir(dir);
      const board = boardNamed(manifest.board);
      const { io } = ctx;
      // long steps (a minute to several each): say what is running and for how long (--json: stderr keeps quiet)
      const progress = flags.json ? null : progressLine(io);
      let r: BoardBitstreamReport;
      try {
        r = await buildBoardBitstream(dir, board, manifest.clockMhz, {
          ...(flags.yosys === undefined ? {} : { yosys: flags.yosys }),
          ...(progress === null ? {} : { onStep: progress.step }),
          onToolLog: (tail) => {
            progress?.stop(true);
            if (!flags.json) io.stderr(io.errColor.dim(`${tail.map((l) => `  | ${l}`).join('\n')}\n`));
          },
        });
      } finally {
        progress?.stop();
      }
      if (flags.json) {
        io.stdout(JSON.stringify({ board: board.name, clockMhz: manifest.clockMhz, ...r }) + '\n');
        return;
      }
      const use = (u: { used: number; of: number } | null, what: string): string[] => (u === null ? [] : [`${fmtInt(u.used)} of ${fmtInt(u.of)} ${what}`]);
      // nextpnr's net names: the pin's buffer and the global network are yosys's, not the design's
      const clocks = r.clocks.map((c) => `${c.name.replace(/\$SB_IO_IN_|_?\$glb_clk$/g, '')} ${c.mhz.toFixed(1)} MHz`).join(', ');
      io.stdout(`${r.bitstream}: ${board.title}, ${[...use(r.logicCells, 'logic cells'), ...use(r.blockRams, 'block RAMs'), ...use(r.dsps, 'DSPs')].join(', ')}; clocks ${clocks} (${manifest.clockMhz} MHz required)\n`);
      io.stdout(io.color.dim(`yosys ${r.yosys.version ?? '(version unknown)'}: ${r.yosys.kind}; nextpnr-ice40: ${r.pnr.kind}\n`));
      io.stdout(`next: make -C ${dir} prog (iceprog: the bitstream at 0, flash.bin at ${manifest.flashOffset}) && nnchip board run ${dir} --port /dev/ttyUSB1 --input samples.json\n`);
    });

  board
    .command('run')
    .description('run inferences on the board over its UART: inputs in, outputs and compute cycles out (printed as `nnchip run` does)')
    .argument('<dir>', 'a board design folder, written by `nnchip verilog <model> --board <name>`, whose bitstream and flash image are on the board')
    .requiredOption('--port <path>', 'the board UART, e.g. /dev/ttyUSB1 (required)')
    .requiredOption('--input <file>', 'JSON samples, as for `nnchip run` (required)')
    .option('--program <file>', 'the program of the image in the board\'s flash, when it is not the folder\'s (written by `board flash-image --model`; default <dir>/program.nnp)')
    .option('--timeout <s>', 'seconds to wait for each answer', '10')
    .option('--json', 'print the `nnchip run --json` document, with "cycles" measured by the board')
    .addHelpText(
      'after',
      examples([
        ['nnchip board run hw --port /dev/ttyUSB1 --input examples/tiny/calibration.json', 'outputs and compute cycles, as `nnchip run` prints them'],
        ['nnchip board run hw --port /dev/ttyUSB1 --input samples.json --json', 'the same as JSON'],
      ]),
    )
    .action((dir: string, flags: RunFlags) => boardRun(dir, flags, ctx));
}
