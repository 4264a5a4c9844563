// SPDX-License-Identifier: MIT
/** A Program from whatever the user named: a lowered folder, a .nnp file, or a model to compile. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import { deserializeProgram, type Program } from '../isa/program.js';
import type { CliContext } from './context.js';
import { compileModel, type CompileFlags } from './options.js';

export function isProgramPath(path: string): boolean {
  return path.endsWith('.nnp') || (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'program.nnp')));
}

export function readProgramFile(path: string): Program {
  const file = path.endsWith('.nnp') ? path : join(path, 'program.nnp');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file });
  }
  return deserializeProgram(bytes, file);
}

export function programFor(path: string, flags: CompileFlags, ctx: CliContext): Program {
  return isProgramPath(path) ? readProgramFile(path) : compileModel(path, flags, ctx).program;
}
