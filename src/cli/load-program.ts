// SPDX-License-Identifier: MIT
/**
 * A Program from whatever the user named: a lowered folder, a .nnp file, or a model to compile.
 * Every command gets its Program here, validated once (isa/validate.ts) and frozen; the compiler
 * and the model importers load with this file (program-file.ts reads a lowered one without them).
 */
import { basename } from 'node:path';
import { escapeControls, internal, NnchipError, shortName, withFile } from '../diagnostics/error.js';
import { loadModel } from '../importers/index.js';
import { product } from '../ir/graph.js';
import { modelDims } from '../isa/layout.js';
import type { ArrayConfig } from '../isa/config.js';
import type { Program } from '../isa/program.js';
import { validateProgram } from '../isa/validate.js';
import { compile, MODEL_FAULTS, type Compiled } from '../passes/pipeline.js';
import type { CliContext } from './context.js';
import { isProgramPath, resolveModelPath } from './model-path.js';
import { batchFrom, calibrationFrom, configFrom, limitsFrom, modelChoiceFrom, type CompileFlags } from './options.js';
import { loweredProgram } from './program-file.js';

export { MAX_PROGRAM_FILE_BYTES, readProgramFile } from './program-file.js';

export interface CompiledModel extends Compiled {
  readonly calibrationSource: string;
  /** Printed on stderr already; commands with --json repeat them in their output. */
  readonly calibrationWarnings: readonly string[];
}

/**
 * A collapsed calibration is a warning, not an error: the program is still exactly what the data
 * asked for (tests and toy models calibrate on zeros on purpose), but a user must not get a model
 * that saturates or ignores its input without being told which layer and why.
 */
export function collapseWarning(collapsed: Compiled['collapsed']): string | undefined {
  const first = collapsed[0];
  if (first === undefined) return undefined;
  const [lo, hi] = first.range;
  // the name comes from the model file: printed as error lines print names (escaped, cut)
  const name = escapeControls(shortName(first.layer));
  const where = first.isInput ? `the input "${name}"` : `layer "${name}"`;
  const more = collapsed.length > 1 ? ` (and ${collapsed.length - 1} later tensor${collapsed.length > 2 ? 's' : ''})` : '';
  return `${where}${more}: calibrated range [${lo}, ${hi}] is under one int8 step (the calibration data never varies it), so its int8 scale is a guess and real values saturate or collapse to one code; calibrate with varied, representative samples (--calibration) or a real --input-range`;
}

/** An NN304 from scales that --input-range set says so: its code's hint was "check the calibration data" where there was none. */
function rangeNamed<T>(f: CompileFlags, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof NnchipError && e.code === 'NN304') || f.inputRange === undefined || f.calibration !== undefined || MODEL_FAULTS.has(e)) throw e;
    throw new NnchipError('NN304', `${e.detail} (its scales follow from --input-range ${f.inputRange})`, {
      ...(e.file === undefined ? {} : { file: e.file }),
      ...(e.layer === undefined ? {} : { layer: e.layer }),
      // an error with a hint of its own (a table that turns too often, an infinite calibrated value) keeps it
      hint: e.hintOverride ?? 'give --input-range the range the inputs really take (one too narrow or too wide for int8 scales), or calibration samples (--calibration)',
    });
  }
}

/** `config`: the machine to compile for (default: the one --config and --array describe); `callerValidates`, `onStep`: CompileOptions'. */
export function compileModel(modelPath: string, f: CompileFlags, ctx: CliContext, config: ArrayConfig = configFrom(f), callerValidates = false, onStep?: (step: string) => void): CompiledModel {
  const limits = limitsFrom(f);
  const batch = batchFrom(f);
  onStep?.(`reading ${basename(modelPath)}`);
  const graph = loadModel(modelPath, limits, modelChoiceFrom(f));
  const input = graph.inputs[0]!;
  const { calibration, source, warning } = calibrationFrom(modelPath, f, { size: product(input.shape), dims: modelDims(input.shape, input.layout) });
  return withFile(basename(modelPath), () => {
    const compiled = rangeNamed(f, () => compile(graph, { config, calibration, batch, maxMemory: limits.maxMemory, maxInstructions: limits.maxInstructions, callerValidates, foldAdds: f.foldAdds !== false, ...(onStep === undefined ? {} : { onStep }) }));
    const warnings = [warning, collapseWarning(compiled.collapsed)].filter((w) => w !== undefined);
    for (const w of warnings) ctx.io.stderr(ctx.io.errColor.yellow('warning: ') + w + '\n');
    return { ...compiled, calibrationSource: source, calibrationWarnings: warnings };
  });
}

/** A compiled model's Program, through the same validator (a failure there is a compiler bug); `onStep`: CompileOptions'. */
export function compiledProgram(path: string, flags: CompileFlags, ctx: CliContext, config?: ArrayConfig, onStep?: (step: string) => void): CompiledModel {
  // validated below (validateProgram runs compile()'s final checkProgram among its checks)
  const compiled = compileModel(resolveModelPath(path, ctx.command ?? 'this command'), flags, ctx, config, true, onStep);
  onStep?.('checking the program');
  try {
    return { ...compiled, program: validateProgram(compiled.program) };
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN404') throw internal(`the compiler produced an ${e.detail}`);
    throw e;
  }
}

/** `config` (a model only): the machine to compile for, in place of --config's. */
export function programFor(path: string, flags: CompileFlags, ctx: CliContext, config?: ArrayConfig): Program {
  const command = ctx.command ?? 'this command';
  if (!isProgramPath(path)) return compiledProgram(path, flags, ctx, config).program;
  return loweredProgram(path, flags, command);
}
