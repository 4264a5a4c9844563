// SPDX-License-Identifier: MIT
/**
 * A Program from whatever the user named: a lowered folder, a .nnp file, or a model to compile.
 * Every command gets its Program here, validated once (isa/validate.ts) and frozen.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { internal, NnchipError } from '../diagnostics/error.js';
import type { Program } from '../isa/program.js';
import { INSN_BYTES } from '../isa/spec.js';
import { deserializeProgram, MAX_DRAM_BYTES, MAX_INSTRUCTIONS, validateProgram } from '../isa/validate.js';
import type { CliContext } from './context.js';
import { compileModel, type CompiledModel, type CompileFlags } from './options.js';

/** A .nnp file holds at most the DRAM image plus its instructions and header: refuse more before reading. */
export const MAX_PROGRAM_FILE_BYTES = MAX_DRAM_BYTES + MAX_INSTRUCTIONS * INSN_BYTES + 2 ** 26;

export function isProgramPath(path: string): boolean {
  return path.endsWith('.nnp') || (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'program.nnp')));
}

export function readProgramFile(path: string): Program {
  const file = path.endsWith('.nnp') ? path : join(path, 'program.nnp');
  let bytes: Uint8Array;
  try {
    const stat = statSync(file);
    // a FIFO or a device would block or never end: only regular files, of bounded size
    if (!stat.isFile()) throw new NnchipError('NN404', 'is not a regular file', { file });
    if (stat.size > MAX_PROGRAM_FILE_BYTES) throw new NnchipError('NN404', `is ${stat.size} bytes; a program file is at most ${MAX_PROGRAM_FILE_BYTES}`, { file });
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file });
  }
  return deserializeProgram(bytes, file);
}

/** A compiled model's Program, through the same validator (a failure there is a compiler bug). */
export function compiledProgram(path: string, flags: CompileFlags, ctx: CliContext): CompiledModel {
  const compiled = compileModel(path, flags, ctx);
  try {
    return { ...compiled, program: validateProgram(compiled.program) };
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN404') throw internal(`the compiler produced an ${e.detail}`);
    throw e;
  }
}

export function programFor(path: string, flags: CompileFlags, ctx: CliContext): Program {
  return isProgramPath(path) ? readProgramFile(path) : compiledProgram(path, flags, ctx).program;
}
