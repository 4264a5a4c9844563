// SPDX-License-Identifier: MIT
/** `nnchip report <model> -o report.html`: one self-contained HTML page (layers, charts, memory map, certificate). */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { parseExploreJson, type ExploreResult } from '../../explore/results.js';
import { renderReport } from '../../explore/report.js';
import { checkOutput, writeFileAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { isProgramPath, readProgramFile } from '../load-program.js';
import { addCompileOptions, compileModel, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { bytes } from '../render.js';
import { modelStem } from './lower.js';

interface ReportFlags extends CompileFlags, ForceFlag {
  readonly explore?: string;
  readonly out: string;
  readonly json?: boolean;
}

function readExplore(path: string): ExploreResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file: path });
  }
  return parseExploreJson(text, path);
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('report')
        .description('write one self-contained HTML report: layers and instructions, cycles and utilization per layer, roofline, memory map, certificate, and the explore Pareto plot')
        .argument('<model>', 'model.json, an nnchip JSON model, a lowered folder or a .nnp program')
        .addOption(new Option('--explore <file>', 'explore.json from `nnchip explore`: adds the Pareto plot'))
        .option('-o, --out <file>', 'the HTML file to write', 'report.html')
        .option('--json', 'print {out, bytes} as JSON'),
    ),
  ).action((model: string, f: ReportFlags) => {
    const written = outputOptions(f, model, f.explore, f.calibration, f.config);
    checkOutput(f.out, 'file', written);
    const explore = f.explore === undefined ? undefined : readExplore(f.explore);
    const fromProgram = isProgramPath(model);
    const compiled = fromProgram ? { program: readProgramFile(model), calibrationSource: undefined } : compileModel(model, f, ctx);
    const name = fromProgram ? basename(model.replace(/\/+$/, '')).replace(/\.(nnp|nnchip)$/, '') : modelStem(model);
    if (explore !== undefined && explore.meta.model !== name) ctx.io.stderr(ctx.io.color.yellow('warning: ') + `${f.explore} was made for model "${explore.meta.model}", not "${name}"\n`);
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
