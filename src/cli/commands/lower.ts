// SPDX-License-Identifier: MIT
/** `nnchip lower <model>`: compile to a Program and write program.nnp, program.asm, memory map, summary. */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_LIMITS } from '../../importers/limits.js';
import { formatListing, listingBytes } from '../../isa/asm.js';
import { certify } from '../../isa/cost.js';
import { modelDims } from '../../isa/layout.js';
import { batchOf, serializeProgram, type Program } from '../../isa/program.js';
import { checkOutput, writeDirAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { examples, MODEL_INPUTS } from '../help.js';
import { modelStem, resolveModelPath } from '../model-path.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { stepsFor } from '../progress.js';
import { bytes, fmtInt, layerTable, memoryTable } from '../render.js';


/** The listing's comment lines: each layer's heading before its first instruction. */
const layerHeadings = (p: Program): Map<number, string> => new Map(p.layers.map((l) => [l.firstInsn, `layer ${l.name}: ${l.op} ${l.shape}`]));

export function listingOf(p: Program): string {
  return formatListing(p.instructions, { comments: layerHeadings(p) });
}

/** listingOf(p) as the UTF-8 bytes of program.asm, written without the string. */
export function listingFile(p: Program): Uint8Array {
  return listingBytes(p.instructions, { comments: layerHeadings(p) });
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('lower')
        .description('quantize a model and lower it to the matmul/threshold ISA')
        .argument('<model>', MODEL_INPUTS)
        .option('-o, --out <dir>', 'output folder for the binary program (.nnp), its listing (program.asm), memory-map.json and summary.json (default ./<model-name>.nnchip/)')
        .option('--json', 'print {"out", "model", "calibration", "config"[, "batch"], "layers", "totals", "peakBytes", "input", "output", "notes", "files"[, "warnings"]} as JSON: summary.json\'s fields, "out" the folder written, "warnings" what stderr warned of (as run, eval and sim)')
        .addHelpText(
          'after',
          examples([
            ['nnchip lower examples/digits-mlp/model.json', 'writes ./digits-mlp.nnchip/'],
            ['nnchip lower examples/digits-onnx --array 16x16 -o onnx.nnchip', 'the model.onnx in that folder, on a 16x16 array'],
            ['nnchip lower examples/tiny/tiny.nnchip.json --batch 4', 'four samples per inference, into ./tiny.nnchip/'],
            ['nnchip lower big.onnx --array 2x2 --max-instructions 4194304', `up to 4,194,304 instructions (NN406 past ${fmtInt(DEFAULT_LIMITS.maxInstructions)}): about 4 GB of compiler memory`],
          ]),
        ),
    ),
  ).action(async (arg: string, flags: CompileFlags & ForceFlag & { out?: string; json?: boolean }) => {
    const model = resolveModelPath(arg, 'lower');
    const out = flags.out ?? `${modelStem(model)}.nnchip`;
    const written = outputOptions(flags, model, flags.calibration, flags.config);
    checkOutput(out, 'folder', written);
    const json = flags.json === true;
    const steps = quietInLogs(stepsFor(ctx.io, { json, long: modelBytes(model) >= LONG_LOWER_BYTES }), ctx.io.interactive);
    // a warning printed during a step starts its own line on a terminal (the step's line has no newline yet)
    const io = ctx.io.interactive && !json ? { ...ctx.io, stderr: (t: string) => ctx.io.stderr('\r\x1b[K' + t) } : ctx.io;
    try {
      // writeLowered ends the last step itself, before the tables it prints
      await writeLowered(model, out, written, flags, { ...ctx, io }, steps);
    } catch (e) {
      steps.stop(ctx.io.interactive ? true : 'quietly');
      throw e;
    }
  });
}

/**
 * In a log a refusal stays one line, the error's: the reading step (where a malformed or oversized file is refused)
 * is not announced, and a failed step adds no line of its own. On a terminal every step shows.
 */
function quietInLogs(steps: ReturnType<typeof stepsFor>, interactive: boolean): ReturnType<typeof stepsFor> {
  if (interactive) return steps;
  let announced = 0;
  return { step: (s) => void (announced++ > 0 && steps.step(s)), stop: steps.stop };
}

/** A model this large (a million float32 weights) takes seconds to lower: its steps are shown in logs too, not only on a terminal. */
export const LONG_LOWER_BYTES = 4 * 1024 * 1024;

/**
 * The model's bytes: its file, and for a TF.js model.json the .bin weight shards beside it (the JSON
 * alone is a few kilobytes of a 100 MB ResNet-50); 0 for a file that is not there (reading it names
 * the problem, NN101).
 */
function modelBytes(path: string): number {
  const size = (p: string): number => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  if (!/\.json$/i.test(path)) return size(path);
  let shards: string[] = [];
  try {
    shards = readdirSync(dirname(path)).filter((f) => /\.bin$/i.test(f));
  } catch {
    // no folder to list: the JSON alone
  }
  return shards.reduce((sum, f) => sum + size(join(dirname(path), f)), size(path));
}

async function writeLowered(model: string, out: string, written: ReturnType<typeof outputOptions>, flags: CompileFlags & { json?: boolean }, ctx: CliContext, steps: { step: (s: string) => void; stop: () => void }): Promise<void> {
  // loaded here, not at the top: `disasm` takes listingOf from this module and needs no compiler
  const { program: p, calibrationSource, calibrationWarnings } = (await import('../load-program.js')).compiledProgram(model, flags, ctx, undefined, steps.step);
  steps.step(`writing ${out}`);
  const cert = certify(p);
  const summary = {
    model: basename(model),
    calibration: calibrationSource,
    config: p.config,
    ...(batchOf(p) > 1 ? { batch: batchOf(p) } : {}),
    layers: p.layers.map((l, i) => ({ ...l, cycles: cert.layers[i]?.cycles ?? 0 })),
    totals: { macs: cert.macs, instructions: p.instructions.length, weightBytes: p.layers.reduce((a, l) => a + l.weightBytes, 0), cycles: cert.cycles, ...(batchOf(p) > 1 ? { cyclesPerSample: cert.cycles / batchOf(p) } : {}) },
    peakBytes: cert.peakBytes,
    input: p.input,
    output: p.outputs[0],
    ...(p.outputs.length > 1 ? { outputs: p.outputs } : {}),
    notes: p.notes,
    files: ['program.nnp', 'program.asm', 'memory-map.json', 'summary.json'],
  };
  writeDirAtomic(
    out,
    new Map<string, string | Uint8Array>([
      ['program.nnp', serializeProgram(p)],
      ['program.asm', listingFile(p)],
      ['memory-map.json', JSON.stringify(p.memoryMap, null, 2) + '\n'],
      ['summary.json', JSON.stringify(summary, null, 2) + '\n'],
    ]),
    written,
  );
  steps.stop();
  if (flags.json) {
    ctx.io.stdout(JSON.stringify({ ...summary, out, ...(calibrationWarnings.length > 0 ? { warnings: calibrationWarnings } : {}) }) + '\n');
    return;
  }
  const { io } = ctx;
  for (const n of p.notes) io.stderr(io.errColor.cyan('note: ') + n + '\n');
  io.stdout(`${io.color.bold(model)} → ${out}/  (array ${p.config.rows}x${p.config.cols}, calibration: ${calibrationSource})\n`);
  io.stdout(layerTable(p, cert, io));
  io.stdout(memoryTable(cert, io));
  const b = batchOf(p);
  const perSample = b === 1 ? '' : ` (${fmtInt(Math.round(cert.cycles / b))} cycles per sample)`;
  io.stdout(`one inference${b === 1 ? '' : ` (a batch of ${b} samples)`}: ${fmtInt(cert.cycles)} cycles${perSample} = ${(cert.cycles / p.config.clockMhz).toFixed(2)} µs at ${p.config.clockMhz} MHz, ${bytes(cert.dramBytesRead)} read + ${bytes(cert.dramBytesWritten)} written to DRAM\n`);
  // a model of several outputs: which, in the order an inference gives their codes
  if (p.outputs.length > 1) io.stdout(`${p.outputs.length} outputs, in this order: ${p.outputs.map((t) => `${t.name} [${modelDims(t.shape, t.layout).join('×')}]`).join(', ')}\n`);
}
