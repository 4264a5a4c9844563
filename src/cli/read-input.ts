// SPDX-License-Identifier: MIT
/**
 * Reading a text file the user named: a missing or unreadable one is NN101, naming the path; a FIFO
 * or a device (which would wait for ever, or never end) is NN101 too, and one over `cap` bytes
 * NN109, before anything is read.
 */
import { constants } from 'node:buffer';
import { NnchipError } from '../diagnostics/error.js';
import { isUtf16, UTF16_HINT, UTF16_TEXT } from '../util/text.js';
import { readRegularFile } from './data.js';

/** The longest text a file can be read as (V8's longest string, about 512 MiB): a larger cap would fail as an internal error. */
export const MAX_TEXT_BYTES = constants.MAX_STRING_LENGTH;

/** The file as UTF-8 text; UTF-16 (PowerShell's `>`) is NN101 saying so, not a parse error quoting NUL bytes. */
export function readText(path: string, what: string, cap = MAX_TEXT_BYTES): string {
  const bytes = readRegularFile(path, Math.min(cap, MAX_TEXT_BYTES), what);
  if (isUtf16(bytes)) throw new NnchipError('NN101', UTF16_TEXT, { file: path, hint: UTF16_HINT });
  return bytes.toString('utf8');
}
