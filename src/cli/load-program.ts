// SPDX-License-Identifier: MIT
/** A Program from whatever the user named: a lowered folder, a .nnp file, or a model to compile. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deserializeProgram, type Program } from '../isa/program.js';
import type { CliContext } from './context.js';
import { compileModel, type CompileFlags } from './options.js';
import { readInput } from './read-input.js';

export function isProgramPath(path: string): boolean {
  return path.endsWith('.nnp') || (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'program.nnp')));
}

export function readProgramFile(path: string): Program {
  const file = path.endsWith('.nnp') ? path : join(path, 'program.nnp');
  return deserializeProgram(readInput(file), file);
}

export function programFor(path: string, flags: CompileFlags, ctx: CliContext): Program {
  return isProgramPath(path) ? readProgramFile(path) : compileModel(path, flags, ctx).program;
}
