// SPDX-License-Identifier: MIT
/** A Program from whatever the user named: a lowered folder, a .nnp file, or a model to compile. */
import { readFileSync } from 'node:fs';
import { NnchipError } from '../diagnostics/error.js';
import { deserializeProgram, type Program } from '../isa/program.js';
import type { CliContext } from './context.js';
import { isProgramPath, resolveModelPath, resolveProgramPath } from './model-path.js';
import { compileModel, type CompileFlags } from './options.js';

export { isProgramPath };

export function readProgramFile(path: string, command = 'this command'): Program {
  const file = resolveProgramPath(path, command);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file });
  }
  return deserializeProgram(bytes, file);
}

/** The compile flags, as typed on the command line (commander's camelCase keys → --kebab-case). */
const COMPILE_FLAGS = { array: '--array', config: '--config', batch: '--batch', calibration: '--calibration', inputRange: '--input-range', maxParams: '--max-params', maxMemory: '--max-memory' } as const satisfies Record<keyof CompileFlags, string>;

/** A lowered program fixes the machine and the quantization: a compile flag beside one is a mistake, not a no-op. */
function refuseCompileFlags(path: string, p: Program, flags: CompileFlags, command: string): void {
  const given = (Object.keys(COMPILE_FLAGS) as (keyof CompileFlags)[]).filter((k) => flags[k] !== undefined);
  if (given.length === 0) return;
  const names = given.map((k) => COMPILE_FLAGS[k]).join(', ');
  throw new NnchipError('NN801', `${names} cannot apply to a lowered program: it was compiled for the ${p.config.rows}x${p.config.cols} array, and its machine and quantization are fixed`, {
    file: path,
    hint: `give ${names} to \`nnchip lower\` and ${command} the folder it writes, or name the model instead of the program`,
  });
}

export function programFor(path: string, flags: CompileFlags, ctx: CliContext): Program {
  const command = ctx.command ?? 'this command';
  if (!isProgramPath(path)) return compileModel(resolveModelPath(path, command), flags, ctx).program;
  const p = readProgramFile(path, command);
  refuseCompileFlags(path, p, flags, command);
  return p;
}
