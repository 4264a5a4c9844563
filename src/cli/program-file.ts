// SPDX-License-Identifier: MIT
/**
 * A lowered Program from disk (a lowered folder or a .nnp file), validated once (isa/validate.ts).
 * Apart from load-program.ts on purpose: a command given a lowered program loads no compiler.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { fmtInt, NnchipError, whyUnreadable } from '../diagnostics/error.js';
import { checkProgramMagic, PROGRAM_MAGIC_BYTES, readContainer, type Program } from '../isa/program.js';
import { INSN_BYTES } from '../isa/spec.js';
import { deserializeProgram, MAX_DRAM_BYTES, MAX_INSTRUCTIONS } from '../isa/validate.js';
import { checkHeap } from './heap.js';
import { resolveProgramPath } from './model-path.js';
import type { CompileFlags } from './options.js';

/** A .nnp file holds at most the DRAM image plus its instructions and header: refuse more before reading. */
export const MAX_PROGRAM_FILE_BYTES = MAX_DRAM_BYTES + MAX_INSTRUCTIONS * INSN_BYTES + 2 ** 26;

/** The file's first `n` bytes (fewer if it is shorter). */
function readStart(file: string, n: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const start = new Uint8Array(n);
    return start.subarray(0, readSync(fd, start, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

export function readProgramFile(path: string, command = 'this command'): Program {
  const file = resolveProgramPath(path, command);
  let bytes: Uint8Array;
  try {
    const stat = statSync(file);
    // a FIFO or a device would block or never end: only regular files, of bounded size
    if (!stat.isFile()) throw new NnchipError('NN404', 'is not a regular file', { file });
    if (stat.size > MAX_PROGRAM_FILE_BYTES) throw new NnchipError('NN404', `is ${fmtInt(stat.size)} bytes; a program file is at most ${fmtInt(MAX_PROGRAM_FILE_BYTES)}`, { file });
    // a file of another kind is refused from its first bytes, not after reading a gigabyte of it
    checkProgramMagic(readStart(file, PROGRAM_MAGIC_BYTES), file);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', `cannot be read (${whyUnreadable(e, file)})`, { file });
  }
  // every instruction becomes an object: a program of 2^24 would not fit the heap (V8's abort, not an error)
  checkHeap(readContainer(bytes, file, true).code.length / INSN_BYTES, 'read', undefined, file);
  // the bytes were just read and nothing else holds them: the program keeps them instead of a copy
  return deserializeProgram(bytes, file, true);
}

/** The compile flags, as typed on the command line (commander's camelCase keys → --kebab-case). */
const COMPILE_FLAGS = { array: '--array', config: '--config', batch: '--batch', calibration: '--calibration', inputRange: '--input-range', maxParams: '--max-params', maxMemory: '--max-memory', maxInstructions: '--max-instructions', outputName: '--output-name', inputShape: '--input-shape', foldAdds: '--no-fold-adds', finalSoftmax: '--final-softmax' } as const satisfies Record<keyof CompileFlags, string>;

/** A lowered program fixes the machine and the quantization: a compile flag beside one is a mistake, not a no-op. */
function refuseCompileFlags(path: string, p: Program, flags: CompileFlags, command: string): void {
  // (--no-fold-adds: commander sets foldAdds true unless it is given)
  const given = (Object.keys(COMPILE_FLAGS) as (keyof CompileFlags)[]).filter((k) => (k === 'foldAdds' ? flags.foldAdds === false : flags[k] !== undefined));
  if (given.length === 0) return;
  const names = given.map((k) => COMPILE_FLAGS[k]).join(', ');
  throw new NnchipError('NN801', `${names} cannot apply to a lowered program: it was compiled for the ${p.config.rows}x${p.config.cols} array, and its machine and quantization are fixed`, {
    file: path,
    hint: `give ${names} to \`nnchip lower\` and ${command} the folder it writes, or name the model instead of the program`,
  });
}

/** A lowered program named on the command line, with no compile flag beside it. */
export function loweredProgram(path: string, flags: CompileFlags, command: string): Program {
  const p = readProgramFile(path, command);
  refuseCompileFlags(path, p, flags, command);
  return p;
}
