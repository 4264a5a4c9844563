// SPDX-License-Identifier: MIT
/**
 * Reading a text file the user named: a missing or unreadable one is NN101, naming the path; a FIFO
 * or a device (which would wait for ever, or never end) is NN101 too, and one over `cap` bytes
 * NN109, before anything is read.
 */
import { constants } from 'node:buffer';
import { readRegularFile } from './data.js';

/** The longest text a file can be read as (V8's longest string, about 512 MiB): a larger cap would fail as an internal error. */
export const MAX_TEXT_BYTES = constants.MAX_STRING_LENGTH;

export function readText(path: string, what: string, cap = MAX_TEXT_BYTES): string {
  return readRegularFile(path, Math.min(cap, MAX_TEXT_BYTES), what).toString('utf8');
}
