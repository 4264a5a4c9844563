// SPDX-License-Identifier: MIT
/** NnchipError: the one error type users see. Formats as a single line; the CLI maps it to an exit code. */
import { CODES, EXIT, type ErrorCode, type ExitCode } from './codes.js';

export interface ErrorSite {
  /** The file the problem is in (as the user named it). */
  readonly file?: string;
  /** The layer, node or tensor name inside the file. */
  readonly layer?: string;
  /** A hint for this one case, when the code's general hint would mislead. */
  readonly hint?: string;
}

export class NnchipError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly layer: string | undefined;
  readonly detail: string;
  /** Set when this error carries its own hint instead of its code's. */
  readonly hintOverride: string | undefined;

  constructor(code: ErrorCode, detail: string, site: ErrorSite = {}) {
    super(detail);
    this.name = 'NnchipError';
    this.code = code;
    this.file = site.file;
    this.layer = site.layer;
    this.detail = detail;
    this.hintOverride = site.hint;
  }

  get hint(): string {
    return this.hintOverride ?? CODES[this.code].hint;
  }

  get exitCode(): ExitCode {
    return CODES[this.code].exit;
  }

  /** `error NN203: model.json: layer "dense_2": <detail> — <hint>` */
  format(): string {
    const where = [this.file, this.layer === undefined ? undefined : `layer "${this.layer}"`].filter(Boolean);
    return `error ${this.code}: ${[...where, this.detail].join(': ')} — ${this.hint}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, file: this.file ?? null, layer: this.layer ?? null, message: this.detail, hint: this.hint, exitCode: this.exitCode };
  }
}

/** A broken internal invariant: a bug in nnchip, never the user's fault. */
export function internal(detail: string): NnchipError {
  return new NnchipError('NN901', `internal error: ${detail}`);
}

/** Attach a file name to errors raised without one (importers know the file, helpers may not). */
export function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NnchipError && e.file === undefined) {
      throw new NnchipError(e.code, e.detail, { file, ...(e.layer === undefined ? {} : { layer: e.layer }), ...(e.hintOverride === undefined ? {} : { hint: e.hintOverride }) });
    }
    throw e;
  }
}

export { EXIT };
