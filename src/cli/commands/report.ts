// SPDX-License-Identifier: MIT
/** `nnchip report <model> -o report.html`: one self-contained HTML page (layers, charts, memory map, certificate). */
import { Option, type Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { parseExploreJson, type ExploreResult } from '../../explore/results.js';
import { renderReport } from '../../explore/report.js';
import { checkOutput, writeFileAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { compiledProgram, programFor } from '../load-program.js';
import { isProgramPath, modelStem } from '../model-path.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { bytes } from '../render.js';
import { readText } from '../read-input.js';

interface ReportFlags extends CompileFlags, ForceFlag {
  readonly explore?: string;
  readonly out: string;
  readonly json?: boolean;
}

function readExplore(path: string): ExploreResult {
  try {
    return parseExploreJson(readText(path, 'explore.json files'), path);
  } catch (e) {
    // NN502's own hint is about merging shards: an explore.json that does not read is written again
    if (!(e instanceof NnchipError && e.code === 'NN502')) throw e;
    throw new NnchipError('NN502', e.detail.replace(/^explore\.json: /, ''), { file: path, hint: 'pass an explore.json written by `nnchip explore` (or `nnchip explore merge`), whole and unedited; write it again if it was cut short' });
  }
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('report')
        .description('write one self-contained HTML report: layers and instructions, cycles and utilization per layer, roofline, memory map, certificate, and the explore Pareto plot')
        .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
        .addOption(new Option('--explore <file>', 'explore.json from `nnchip explore`: adds the Pareto plot (default: none, no plot)'))
        .option('-o, --out <file>', 'the HTML file to write', 'report.html')
        .option('--json', 'print {"out", "bytes"} as JSON: the file written and its size')
        .addHelpText(
          'after',
          examples([
            ['nnchip report examples/digits-mlp/model.json -o report.html', 'layers, cycles, roofline, memory map, certificate'],
            ['nnchip report digits-mlp.nnchip --explore results/explore.json', 'a lowered folder, with the Pareto plot'],
          ]),
        ),
    ),
  ).action((model: string, f: ReportFlags) => {
    const written = outputOptions(f, model, f.explore, f.calibration, f.config);
    checkOutput(f.out, 'file', written);
    const explore = f.explore === undefined ? undefined : readExplore(f.explore);
    const fromProgram = isProgramPath(model);
    const compiled = fromProgram ? { program: programFor(model, f, ctx), calibrationSource: undefined } : compiledProgram(model, f, ctx);
    const name = modelStem(model);
    if (explore !== undefined && explore.meta.model !== name) ctx.io.stderr(ctx.io.errColor.yellow('warning: ') + `${f.explore} was made for model "${explore.meta.model}", not "${name}"\n`);
    const html = renderReport({
      model: name,
      program: compiled.program,
      ...(explore === undefined ? {} : { explore }),
      ...(compiled.calibrationSource === undefined ? {} : { calibration: compiled.calibrationSource }),
    });
    writeFileAtomic(f.out, html, written);
    const size = Buffer.byteLength(html);
    ctx.io.stdout(f.json === true ? JSON.stringify({ out: f.out, bytes: size }) + '\n' : `wrote ${f.out} (${bytes(size)})\n`);
  });
}
