// SPDX-License-Identifier: MIT
import { NnchipError } from '../../src/diagnostics/error.js';

/** The NnchipError `f` throws (its code, detail and hint to check); anything else, or nothing, fails the test. */
export function failure(f: () => unknown): NnchipError {
  try {
    f();
  } catch (e) {
    if (e instanceof NnchipError) return e;
    throw e;
  }
  throw new Error('expected an NnchipError');
}
