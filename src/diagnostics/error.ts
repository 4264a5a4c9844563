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

  /**
   * `error NN203: model.json: layer "dense_2": <detail> — <hint>`, always one line of plain text:
   * names come from files and command lines, so control characters are escaped and long names cut.
   */
  format(): string {
    const where = [this.file === undefined ? undefined : this.file === '' ? "''" : shortName(this.file), this.layer === undefined ? undefined : `layer "${shortName(this.layer)}"`].filter(Boolean);
    return `error ${this.code}: ${escapeControls([...where, shortDetail(this.detail)].join(': '))} — ${this.hint}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, file: this.file ?? null, layer: this.layer ?? null, message: shortDetail(this.detail), hint: this.hint, exitCode: this.exitCode };
  }
}

/** Longest file or layer name an error line shows; longer ones keep their start and end. */
export const MAX_NAME_CHARS = 160;

/**
 * C0/C1 controls (a newline would forge a second error line, ESC starts a terminal sequence),
 * Unicode line separators and the bidirectional controls (which reorder what the terminal shows):
 * embeddings, overrides and isolates, and the marks LRM, RLM and ALM (Trojan Source's list).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text safe to print on one terminal line: unsafe characters as visible escapes (\n, \x1b, \u202e). */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/**
 * Longest problem description an error line shows. Details quote what the file holds (an attribute
 * list, a shape), and a file may hold a million entries: a 2 MB "one line" was printed for a Conv
 * whose pads held a million zeros.
 */
export const MAX_DETAIL_CHARS = 2000;

/** A detail cut to MAX_DETAIL_CHARS: its start and end around a count of what was left out. */
export function shortDetail(detail: string): string {
  if (detail.length <= MAX_DETAIL_CHARS) return detail;
  const keep = MAX_DETAIL_CHARS / 2;
  return `${detail.slice(0, keep)} …(${detail.length - 2 * keep} characters cut)… ${detail.slice(detail.length - keep)}`;
}

/** A name cut to MAX_NAME_CHARS: its start and end (where the file name is) around an ellipsis. */
export function shortName(name: string): string {
  if (name.length <= MAX_NAME_CHARS) return name;
  const keep = (MAX_NAME_CHARS - 1) / 2;
  return `${name.slice(0, Math.floor(keep))}…${name.slice(name.length - Math.ceil(keep))}`;
}

/** Names as an error lists them: the first 8 (each cut as shortName cuts it), then how many more. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 8).map(shortName).join(', ');
  return names.length > 8 ? `${shown}, … (${names.length} in all)` : shown;
}

/** A broken internal invariant: a bug in nnchip, never the user's fault. */
export function internal(detail: string): NnchipError {
  return new NnchipError('NN901', `internal error: ${detail}`);
}

/** The default of a switch that handles every member of a union: a missing case is a compile error (x is not never). */
export function unhandled(x: never, what: string): NnchipError {
  return internal(`unhandled ${what} ${JSON.stringify(x)}`);
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

/**
 * A value read from a JSON file, as message text: JSON, except that a number JSON cannot hold shows
 * as itself (JSON.parse reads 1e400 as Infinity, which JSON.stringify writes as null: a field of
 * 1e400 was reported as "null").
 */
export function shownValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (nestedDeeperThan(v, 64)) return Array.isArray(v) ? '[… nested over 64 levels]' : '{… nested over 64 levels}';
  const text = JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}` : x));
  return text === undefined ? String(v) : text.replace(/"\\u0000(-?Infinity|NaN)"/g, '$1');
}

/**
 * The most levels of arrays and objects a JSON file nnchip reads may nest. JSON.parse takes any
 * depth, but JSON.stringify and every recursive reader overflow the stack near ten thousand: a
 * layer field of 100,000 nested arrays was an internal error (NN901) when its message quoted it.
 * Real files nest far less (a TF.js model 40 models deep is about 160 levels).
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether a parsed JSON value nests arrays or objects deeper than `limit` levels (walked without recursion). */
export function nestedDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
  }
  return false;
}

/**
 * How many objects and arrays `text` opens (strings skipped), counted up to `max` + 1: JSON.parse makes each an
 * object of 50 bytes and more before anything can be checked, so 30 million `{}` (90 MB) took 5 GB and 100 s.
 */
export function containerCount(text: string, max: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n <= max; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) i += text.charCodeAt(i) === 0x5c ? 1 : 0;
    else if (c === 0x7b || c === 0x5b) n++;
  }
  return n;
}

/** Why an input file could not be opened, from its errno, as every reader says it (a loop of links was "no such file?"). */
export function whyUnreadable(e: unknown, path: string): string {
  if (path === '') return 'the file name is empty';
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (code === 'EACCES' || code === 'EPERM') return `${code}: permission denied`;
  if (code === 'ELOOP') return 'ELOOP: its symbolic links form a loop';
  if (code === 'ENOTDIR') return 'ENOTDIR: a part of the path is a file, not a folder';
  if (code === 'ENAMETOOLONG') return 'ENAMETOOLONG: the name is too long';
  return 'no such file?';
}

/** 1234567 → "1,234,567", as toLocaleString('en-US') writes it, without loading the locale data (20 ms at start) for integers. Sizes and limits in messages; not a value the hint asks to type. */
export const fmtInt = (n: number): string => (Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US'));
