// SPDX-License-Identifier: MIT
/**
 * `nnchip verilog <model> --target <ice40|ecp5|asic|generic> [-o dir] [--input samples.json]`: a complete RTL design folder;
 * with `--board <name>`, the design for that board (UART host link, program and weights from SPI flash; src/board/).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { cellModelsFor } from '../../backends/verilog/cell-models.js';
import { deviceFor, type PeMultipliers } from '../../backends/verilog/devices.js';
import { emitVerilog, ICE40_DEVICES, MAX_IMAGE_INSTRUCTIONS, MAX_TESTBENCH_SAMPLES, peMultipliersOf, TESTBENCH_SAMPLES_HINT, VERILOG_TARGETS, type Ice40Device, type VerilogTarget } from '../../backends/verilog/emit.js';
import { BOARD_NAMES, boardNamed, DEFAULT_BAUD } from '../../board/boards.js';
import { BOARD_EXTRAS, BOARD_FILES, emitBoard, PROGRAM_WORDS_BUDGET, RAM_BUDGET, uartDivider, type BoardExtra, type BoardManifest } from '../../board/emit.js';
import { boardDefaultConfig, checkBoardFits } from '../../board/fit.js';
import { FLASH_READ_NAMES, flashReadNamed, type FlashReadName } from '../../board/flash.js';
import { pllFor } from '../../board/pll.js';
import { NnchipError } from '../../diagnostics/error.js';
import { batchOf, quantizeBatches, type Program } from '../../isa/program.js';
import { scheduleTimes } from '../../isa/timing.js';
import { checkOutput, writeDirAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { programInputSpec, readSamples, type Samples } from '../data.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { checkHeap } from '../heap.js';
import { programFor } from '../load-program.js';
import { compilerFor } from '../recompile.js';
import { flagCount, flagQuantity } from '../flag-numbers.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { modelStem } from '../model-path.js';
import { fmtInt } from '../render.js';
import { availableChoices } from '../../diagnostics/suggest.js';

type VerilogFlags = CompileFlags & ForceFlag & { target?: string; out?: string; input?: string; device?: string; json?: boolean; board?: string; clock?: string; baud?: string; flashRead?: string; programWords?: string; ramBytes?: string; with?: string; fitCheck: boolean };

export function parseTarget(name: string): VerilogTarget {
  const t = VERILOG_TARGETS.find((x) => x === name);
  if (t === undefined) throw new NnchipError('NN801', `unknown target "${name}" (${availableChoices(name, VERILOG_TARGETS)})`);
  return t;
}

export function parseDevice(name: string): Ice40Device {
  const d = ICE40_DEVICES.find((x) => x === name);
  if (d === undefined) throw new NnchipError('NN801', `unknown iCE40 device "${name}" (${availableChoices(name, ICE40_DEVICES)})`);
  return d;
}

/** `--with tables,pooling,shifts`: the hardware to build though the model does not use it. */
export function parseExtras(text: string): ReadonlySet<BoardExtra> {
  const names = text.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(BOARD_EXTRAS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new NnchipError('NN801', `--with: unknown hardware "${unknown}" (${availableChoices(unknown, BOARD_EXTRAS, ', comma-separated')})`);
  return new Set(names as BoardExtra[]);
}

/** The test bench's --input samples, its inferences (one per batch: emitVerilog's count) counted before one array is made per sample. */
function testBenchSamples(file: string, p: Program): Samples {
  const samples = readSamples(file, programInputSpec(p));
  const runs = Math.ceil(samples.count / batchOf(p));
  if (runs > MAX_TESTBENCH_SAMPLES) throw new NnchipError('NN501', `holds ${fmtInt(samples.count)} samples, ${fmtInt(runs)} inferences; a test bench checks at most ${fmtInt(MAX_TESTBENCH_SAMPLES)}`, { file: basename(file), hint: TESTBENCH_SAMPLES_HINT });
  return samples;
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('verilog')
        .description('generate synthesizable Verilog, ROM images, a self-checking test bench and the flow files for one target')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .option('--target <name>', `flow: ${VERILOG_TARGETS.join(', ')} (default generic)`)
        .option('--device <name>', `part: ${ICE40_DEVICES.join(', ')} (ice40, default hx8k), 25k (ecp5)`)
        .option('--board <name>', `a design for a board: ${BOARD_NAMES.join(', ')} (UART host link, program and weights in SPI flash; with no --config or --array, the machine that places on the board; see docs/board.md); default none: an RTL design folder`)
        .option('--clock <MHz>', '--board only: design clock, the board\'s 12 MHz oscillator (default) or 16–275 MHz through the PLL')
        .option('--baud <rate>', `--board only: UART speed (default ${DEFAULT_BAUD})`)
        .option('--flash-read <mode>', `--board only: how the design reads the SPI flash: ${FLASH_READ_NAMES.join(' or ')} (default dual: both boards' flash chips answer Dual Output Fast Read 0x3B; docs/board.md)`)
        .option('--ram-bytes <n>', '--board only: block RAM for inputs, outputs and activations, so other models with larger ones fit the bitstream (default: this model\'s)')
        .option('--program-words <n>', '--board only: instruction RAM words (default: this program\'s length, or 256 when that is over 512; at most 512); a longer program streams through it from flash')
        .option('--with <hardware>', `--board only: also build hardware this model does not use, so other models' images run on the bitstream; comma-separated: tables (the step-table sequencer of table activations: sigmoid, tanh, …), pooling (the window logic of pooling layers), shifts (the matmul's product shifter of residual adds folded into their convolutions); default: only what this model uses (each costs logic cells, docs/board.md)`)
        .option('--no-fit-check', '--board only: write the design even when the estimate says it does not fit the board\'s part (by default it is refused, exit 4, with a machine config that fits)')
        .option('-o, --out <dir>', 'output folder (default ./<model-name>.rtl/, or ./<model-name>.<board>/ with --board)')
        .option('--input <file>', 'JSON samples for the test bench (default: one all-zero input)')
        .option('--json', 'print {"out", "target", "array", "config", "files", "instructions", "samples", "cycles"} as JSON ("cycles" per inference, "files" those written into "out"); with --board {"out", "board", "array", "config", "clockMhz", "baud", "flashRead", "flashBytes", "imageBytes", "instructions", "programWords", "machineId", "files", "cycles"}')
        .addHelpText(
          'after',
          examples([
            ['nnchip verilog examples/tiny/tiny.nnchip.json --array 4x4 --target ice40', './tiny.rtl/: RTL, ROMs, test bench, flow'],
            ['nnchip verilog digits-mlp.nnchip --input examples/digits-mlp/calibration.json -o rtl/', 'a test bench that checks these samples'],
            ['nnchip verilog examples/tiny/tiny.nnchip.json --board icebreaker -o hw', 'hw/: board design; then make -C hw bitstream prog'],
          ]),
        ),
    ),
  ).action((model: string, flags: VerilogFlags) => {
    if (flags.board !== undefined) return boardAction(model, flags, ctx);
    if (!flags.fitCheck) throw new NnchipError('NN801', '--no-fit-check applies to board designs only (add --board ' + BOARD_NAMES.join('|') + ')');
    for (const f of ['clock', 'baud', 'flashRead', 'programWords', 'ramBytes', 'with'] as const) if (flags[f] !== undefined) throw new NnchipError('NN801', `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to board designs only (add --board ${BOARD_NAMES.join('|')})`);
    const target = parseTarget(flags.target ?? 'generic');
    const part = deviceFor(target, flags.device);
    const device = target === 'ice40' ? parseDevice(part ?? 'hx8k') : undefined;
    const name = modelStem(model).replace(/\.(nnchip|nnp)$/, '');
    const out = flags.out ?? `${name}.rtl`;
    const written = outputOptions(flags, model, flags.input, flags.calibration, flags.config);
    checkOutput(out, 'folder', written);
    const p = programFor(model, flags, ctx);
    // over the image's limit emitVerilog refuses it (NN403); under it, one node's heap must hold the design
    if (p.instructions.length <= MAX_IMAGE_INSTRUCTIONS) checkHeap(p, 'verilog', undefined, model);
    // the test bench runs one inference per batch of samples
    const inputs = flags.input === undefined ? undefined : quantizeBatches(p, testBenchSamples(flags.input, p).inputs);
    const opts = { target, name, ...(device === undefined ? {} : { device }), ...(inputs === undefined ? {} : { inputs }) };
    const files = emitVerilog(p, opts);
    writeDirAtomic(out, new Map([...files, ...simulationModels(peMultipliersOf(opts), ctx)]), written);
    const cycles = scheduleTimes(p.instructions, p.config).cycles;
    const summary = { out, target, array: `${p.config.rows}x${p.config.cols}`, config: p.config, files: [...files.keys()], instructions: p.instructions.length, samples: inputs?.length ?? 1, cycles };
    if (flags.json) {
      ctx.io.stdout(JSON.stringify(summary) + '\n');
      return;
    }
    const { io } = ctx;
    io.stdout(`${io.color.bold(model)} → ${folderShown(out)}  (array ${summary.array}, target ${target}, ${files.size} files, ${fmtInt(p.instructions.length)} instructions, ${fmtInt(cycles)} cycles per inference)\n`);
    io.stdout(`next: make -C ${out} sim | verilate | lint | synth${target === 'ice40' || target === 'ecp5' ? ' | pnr' : ''}\n`);
  });
}

/**
 * yosys's models of the cells the design instantiates (an UP5K design's DSP blocks), for its
 * simulation flows; without a native yosys the folder is written without them and `make sim` says so.
 */
function simulationModels(mult: PeMultipliers, ctx: CliContext): Map<string, string> {
  try {
    return cellModelsFor(mult);
  } catch (e) {
    if (!(e instanceof NnchipError)) throw e;
    ctx.io.stderr(`note: the design's simulation flows need yosys's cell models, not written: ${e.message}\n`);
    return new Map();
  }
}

/** An output folder as printed: one trailing slash, whether or not -o gave one (`-o rtl/` is `rtl/`, not `rtl//`). */
const folderShown = (out: string): string => `${out.replace(/(.)\/+$/, '$1')}/`;

/** A positive number option, or a usage error naming it. */
function positive(flag: string, text: string): number {
  const v = flagQuantity(text, flag);
  if (!Number.isFinite(v) || v <= 0) throw new NnchipError('NN801', `${flag} ${text}: expected a positive number`);
  return v;
}

function boardAction(model: string, flags: VerilogFlags, ctx: CliContext): void {
  const board = boardNamed(flags.board!);
  if (flags.target !== undefined && flags.target !== 'ice40') throw new NnchipError('NN801', `--board ${board.name} builds for ice40, not --target ${flags.target}`);
  if (flags.device !== undefined && flags.device !== board.device) throw new NnchipError('NN801', `--board ${board.name} has an ${board.device} part, not --device ${flags.device}`);
  if (flags.input !== undefined) throw new NnchipError('NN801', '--input is for the test bench of RTL designs; a board design takes its inputs from `nnchip board run --input`');
  const clockMhz = flags.clock === undefined ? board.oscMhz : positive('--clock', flags.clock);
  const baud = flags.baud === undefined ? DEFAULT_BAUD : positive('--baud', flags.baud);
  uartDivider(pllFor(board.oscMhz, clockMhz).mhz, baud); // a clock or baud rate the board cannot make is a usage error, before compiling
  const flashRead = flags.flashRead === undefined ? board.flashRead : (flashReadNamed(flags.flashRead).name as FlashReadName);
  const name = modelStem(model).replace(/\.(nnchip|nnp)$/, '');
  const out = flags.out ?? `${name}.${board.name}`;
  const written = outputOptions(flags, model, flags.calibration, flags.config);
  checkOutput(out, 'folder', written);
  const whole = (flag: string, text: string | undefined, most: number, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const v = positive(flag, text);
    if (!Number.isInteger(v)) throw new NnchipError('NN801', `${flag} ${text}: expected a whole number`);
    flagCount(text, flag); // 1e3: in decimal digits
    if (v > most) throw new NnchipError('NN801', `${flag} ${text}: the ${board.title} has room for at most ${most} ${what}`);
    return v;
  };
  // usage errors before compiling, and before anything is sized by them
  const programWords = whole('--program-words', flags.programWords, PROGRAM_WORDS_BUDGET, 'instruction words (a longer program streams through them from flash)');
  const ramBytes = whole('--ram-bytes', flags.ramBytes, RAM_BUDGET[board.device], 'bytes of RAM for inputs, outputs and activations');
  const extras = flags.with === undefined ? new Set<BoardExtra>() : parseExtras(flags.with);
  const compileFor = compilerFor(model, flags);
  // no machine named: the one that places on this board, its buffers as deep as the model needs
  const machine = flags.config === undefined && flags.array === undefined && compileFor !== null ? boardDefaultConfig(board, compileFor) : null;
  const p = programFor(model, flags, ctx, machine ?? undefined);
  checkHeap(p, 'verilog', undefined, model);
  const capacity = { ...(programWords === undefined ? {} : { programWords }), ...(ramBytes === undefined ? {} : { ramBytes }), tables: extras.has('tables'), pooling: extras.has('pooling'), shifts: extras.has('shifts') };
  // a design nextpnr cannot place fails only minutes into `make bitstream`: refused here, from the estimate
  if (flags.fitCheck) checkBoardFits(p, board, capacity, compileFor);
  const files = emitBoard(p, { board, clockMhz, baud, flashRead, name, capacity });
  writeDirAtomic(out, files, written);
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  const image = files.get(BOARD_FILES.image)!;
  const manifest = JSON.parse(String(files.get(BOARD_FILES.manifest))) as BoardManifest;
  const summary = {
    out, board: board.name, array: `${p.config.rows}x${p.config.cols}`, config: p.config, clockMhz: manifest.clockMhz, baud, flashRead, flashBytes: p.constants.length, imageBytes: image.length,
    instructions: p.instructions.length, programWords: manifest.capacity.progDepth, machineId: manifest.machineId, files: [...files.keys()], cycles,
  };
  if (flags.json) {
    ctx.io.stdout(JSON.stringify(summary) + '\n');
    return;
  }
  const { io } = ctx;
  io.stdout(`${io.color.bold(model)} → ${folderShown(out)}  (${board.title}, array ${summary.array}, ${manifest.clockMhz === clockMhz ? `${clockMhz} MHz` : `${manifest.clockMhz} MHz (the PLL's nearest to ${clockMhz})`}, ${baud} baud, ${flashRead} flash read, ${fmtInt(image.length)}-byte flash image: ${fmtInt(p.instructions.length)} instructions for a ${summary.programWords}-word instruction RAM, ${fmtInt(p.constants.length)} bytes of weights; ${fmtInt(cycles)} cycles per inference)\n`);
  io.stdout(`next: make -C ${out} bitstream && make -C ${out} prog (iceprog: bitstream at 0, flash.bin at ${board.imageOffset}) && nnchip board run ${out} --port /dev/ttyUSB1 --input samples.json (see ${out}/README.md; without system EDA tools: nnchip board bitstream ${out})\n`);
}
