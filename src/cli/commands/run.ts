// SPDX-License-Identifier: MIT
/** `nnchip run <model> --input <file> [--backend ref|sim|wasm|rtl]`: outputs for each sample. */
import type { Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { batchOf, dequantizeOutput, quantizeBatches, sampleSize, splitOutputs } from '../../isa/program.js';
import type { CliContext } from '../context.js';
import { readSamples } from '../data.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { programFor } from '../load-program.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { RUNNERS } from '../runners.js';

type RunFlags = CompileFlags & { input: string; backend: string; json?: boolean; simulator?: string };

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    program
      .command('run')
      .description('run a model (or a lowered program) on input samples with one back end')
      .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
      .requiredOption('--input <file>', 'JSON: an array of samples or {"inputs": [...]}; each sample flat or nested, in the model input layout (required)')
      .option('--backend <name>', `back end: ${Object.keys(RUNNERS).join(', ')}`, 'ref')
      .option('--simulator <name>', 'rtl back end only: iverilog or verilator', 'iverilog')
      .option('--json', 'print {"backend", "outputs", "raw"[, "cycles"]} as JSON')
      .addHelpText(
        'after',
        examples([
          ['nnchip run examples/digits-mlp --input examples/digits-mlp/calibration.json', 'outputs of the reference interpreter'],
          ['nnchip run digits-mlp.nnchip --input samples.json --backend sim --json', 'a lowered folder on the simulator, as JSON'],
        ]),
      ),
  ).action(async (model: string, flags: RunFlags) => {
    const runner = RUNNERS[flags.backend];
    if (runner === undefined) throw new NnchipError('NN801', `unknown backend "${flags.backend}" (available: ${Object.keys(RUNNERS).join(', ')})`);
    const p = programFor(model, flags, ctx);
    const { inputs } = readSamples(flags.input, sampleSize(p));
    const result = await runner(p, quantizeBatches(p, inputs), { ctx, debug: program.opts()['debug'] === true, simulator: flags.simulator ?? 'iverilog' });
    const perSample = splitOutputs(p, result.raw, inputs.length);
    const outputs = perSample.map((r) => Array.from(dequantizeOutput(p, r), round));
    const raw = perSample.map((r) => Array.from(r));
    // cycles are per inference; with a batch, each sample reports its inference's count
    const cycles = result.cycles?.flatMap((c) => Array.from({ length: batchOf(p) }, () => c)).slice(0, inputs.length);
    if (flags.json) {
      ctx.io.stdout(JSON.stringify({ backend: flags.backend, outputs, raw, ...(cycles ? { cycles } : {}), ...(batchOf(p) > 1 ? { batch: batchOf(p) } : {}) }) + '\n');
      return;
    }
    outputs.forEach((o, i) => {
      const best = o.indexOf(Math.max(...o));
      const cyc = cycles ? `  ${cycles[i]} cycles${batchOf(p) > 1 ? ` (batch of ${batchOf(p)})` : ''}` : '';
      ctx.io.stdout(`sample ${i}: argmax ${best}${cyc}  [${o.map((v) => v.toFixed(3)).join(', ')}]\n`);
    });
  });
}
