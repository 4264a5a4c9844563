// SPDX-License-Identifier: MIT
/** Reading a file the user named: a missing or unreadable one is NN101, naming the path. */
import { readFileSync } from 'node:fs';
import { NnchipError } from '../diagnostics/error.js';

export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new NnchipError('NN101', path === '' ? 'cannot be read (the file name is empty)' : 'cannot be read (no such file?)', { file: path });
  }
}
