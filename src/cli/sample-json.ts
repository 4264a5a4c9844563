// SPDX-License-Identifier: MIT
/**
 * A reader for sample files that builds no JSON tree: one pass over the bytes with an explicit
 * stack (any nesting depth, no recursion) straight into one Float32Array per sample.
 */
import { NnchipError } from '../diagnostics/error.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { isUtf16, UTF16_HINT, UTF16_TEXT } from '../util/text.js';

/** What the caller checks about each sample as soon as it is complete (dims [] = a bare number). */
export type SampleCheck = (index: number, dims: readonly number[], count: number) => void;

export interface ParsedSamples {
  /** Every sample's numbers, one after the other (the caller's check makes them equally long). */
  readonly values: Float32Array;
  /** Entries of the list: samples, or numbers when the list is flat. */
  readonly entries: number;
  /** The list holds numbers, not nested samples: one flat sample (or one per number, for 1-value models). */
  readonly flatList: boolean;
  readonly labels: number[] | null;
}

/** No model input has more dimensions than this; deeper nesting is a broken file, refused early. */
export const MAX_DEPTH = 32;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const [SPACE, TAB, LF, CR, COMMA, COLON, QUOTE, BACKSLASH] = [0x20, 0x09, 0x0a, 0x0d, 0x2c, 0x3a, 0x22, 0x5c];
const [OPEN, CLOSE, OPEN_OBJ, CLOSE_OBJ] = [0x5b, 0x5d, 0x7b, 0x7d];
/** 1 for the bytes a JSON number is made of: - + . e E 0-9. */
const NUMBER_BYTE = Uint8Array.from({ length: 256 }, (_, c) => (/[-+.eE0-9]/.test(String.fromCharCode(c)) ? 1 : 0));

/** A growable float buffer for the numbers of every sample, in one piece (no object per sample). */
class Values {
  data = new Float32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
}

export class SampleParser {
  private at = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly file: string,
  ) {}

  private fail(why: string): NnchipError {
    return new NnchipError('NN302', `invalid JSON at byte ${this.at} (${why})`, { file: this.file });
  }

  private space(): number {
    const b = this.bytes;
    while (this.at < b.length && (b[this.at] === SPACE || b[this.at] === TAB || b[this.at] === LF || b[this.at] === CR)) this.at++;
    return this.at < b.length ? b[this.at]! : -1;
  }

  private expect(byte: number, what: string): void {
    if (this.space() !== byte) throw this.fail(`expected ${what}`);
    this.at++;
  }

  /** The raw text of the token at the cursor (for messages), at most `max` characters. */
  private preview(max = 20): string {
    const end = Math.min(this.bytes.length, this.at + max);
    // a stray "," or "]" has no token: the character itself (it was "?")
    return this.bytes.toString('utf8', this.at, end).split(/[,\]\s]/)[0] || JSON.stringify(this.bytes.toString('utf8', this.at, this.at + 1));
  }

  private isNumberStart(c: number): boolean {
    return c === 0x2d || (c >= 0x30 && c <= 0x39);
  }

  private number(): number {
    const start = this.at;
    const b = this.bytes;
    while (this.at < b.length && NUMBER_BYTE[b[this.at]!] === 1) this.at++;
    const text = b.toString('latin1', start, this.at);
    if (!NUMBER.test(text)) {
      this.at = start;
      throw this.fail(`"${text.slice(0, 20)}" is not a number`);
    }
    return Number(text);
  }

  /** A JSON string (for object keys); its escapes decoded by JSON.parse on just that token. */
  private string(): string {
    const start = this.at;
    this.expect(QUOTE, 'a string');
    const b = this.bytes;
    while (this.at < b.length && b[this.at] !== QUOTE) this.at += b[this.at] === BACKSLASH ? 2 : 1;
    if (this.at >= b.length) throw this.fail('unterminated string');
    this.at++;
    try {
      return JSON.parse(b.toString('utf8', start, this.at)) as string;
    } catch {
      this.at = start;
      throw this.fail('bad string escape');
    }
  }

  /** Skip any value (an object key nnchip does not use), brackets counted, strings stepped over. */
  private skipValue(): void {
    const b = this.bytes;
    let depth = 0;
    do {
      const c = this.space();
      if (c === -1) throw this.fail('unexpected end of file');
      if (c === QUOTE) this.string();
      else if (c === OPEN || c === OPEN_OBJ) (depth++, this.at++);
      else if (c === CLOSE || c === CLOSE_OBJ) (depth--, this.at++);
      else if (c === COMMA || c === COLON) this.at++;
      else if (this.isNumberStart(c)) this.number();
      else {
        const word = ['true', 'false', 'null'].find((w) => b.toString('latin1', this.at, this.at + w.length) === w);
        if (word === undefined) throw this.fail(`unexpected ${JSON.stringify(this.preview())}`);
        this.at += word.length;
      }
    } while (depth > 0);
  }

  /** The whole file: an array of samples, or an object with "inputs" (and optionally "labels"). */
  parse(check: SampleCheck): ParsedSamples {
    // a UTF-8 byte order mark (Windows editors write one) is no sample: skipped, as model files' is
    const b = this.bytes;
    if (this.at === 0 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.at = 3;
    if (this.at === 0 && isUtf16(b)) throw new NnchipError('NN302', UTF16_TEXT, { file: this.file, hint: UTF16_HINT });
    const c = this.space();
    let result: Omit<ParsedSamples, 'labels'> | null = null;
    let labels: number[] | null = null;
    if (c === OPEN) result = this.samples(check);
    else if (c === OPEN_OBJ) {
      this.at++;
      const keys: string[] = [];
      while (this.space() !== CLOSE_OBJ) {
        if (keys.length > 0) this.expect(COMMA, '"," or "}"');
        const key = this.string();
        this.expect(COLON, '":"');
        // given twice, JSON.parse keeps the last: one file that means two things (labels [0…] then [1…] was accepted)
        if ((key === 'inputs' || key === 'labels') && keys.includes(key)) throw new NnchipError('NN302', `"${key}" appears twice in the object`, { file: this.file });
        keys.push(key);
        const c = this.space();
        if ((key === 'inputs' || key === 'labels') && c !== OPEN) throw new NnchipError('NN302', `"${key}" is ${c === QUOTE ? 'a string' : c === OPEN_OBJ ? 'an object' : this.preview()}, not a list`, { file: this.file });
        if (key === 'inputs') result = this.samples(check);
        else if (key === 'labels') labels = this.labels();
        else if (didYouMean(key, ['inputs', 'labels']) !== '') throw new NnchipError('NN302', `unknown key ${JSON.stringify(key)}${didYouMean(key, ['inputs', 'labels'])}`, { file: this.file }); // "lables": eval said there were none
        else this.skipValue();
      }
      this.at++;
      // {"samples": …}: "no samples found" did not say which key was wanted
      if (result === null) throw new NnchipError('NN302', `the object has no "inputs"${keys.length > 0 ? ` (its keys: ${keys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')})` : ''}`, { file: this.file });
    } else throw new NnchipError('NN302', 'no samples found', { file: this.file });
    if (this.space() !== -1) throw this.fail('unexpected text after the end');
    if (result === null || result.entries === 0) throw new NnchipError('NN302', 'no samples found', { file: this.file });
    return { ...result, labels };
  }

  private labels(): number[] | null {
    const out: number[] = [];
    this.at++;
    while (this.space() !== CLOSE) {
      if (out.length > 0) this.expect(COMMA, '"," or "]"');
      if (!this.isNumberStart(this.space())) throw new NnchipError('NN302', '"labels" must be integers, one per sample', { file: this.file });
      out.push(this.number());
    }
    this.at++;
    return out;
  }

  /** The list of samples; each nested sample's dims are checked as it closes. */
  private samples(check: SampleCheck): Omit<ParsedSamples, 'labels'> {
    const values = new Values();
    let bare = 0; // numbers straight in the list
    this.at++;
    let entries = 0;
    while (this.space() !== CLOSE) {
      if (entries > 0) this.expect(COMMA, '"," or "]"');
      const c = this.space();
      if ((this.isNumberStart(c) && bare < entries) || (c === OPEN && bare > 0)) {
        throw new NnchipError('NN302', `the list mixes numbers and nested samples (at sample ${entries})`, { file: this.file });
      }
      if (this.isNumberStart(c)) {
        values.push(this.finite(entries));
        bare++;
      } else if (c === OPEN) {
        const start = values.length;
        const dims = this.nested(values, entries);
        check(entries, dims, values.length - start);
      } else if (c === -1) throw this.fail('unexpected end of file');
      // `[[…],]`: a trailing comma (JSON has none) was "sample 1 contains ?, not a number"
      else if (c === CLOSE) throw this.fail('a "," before "]"');
      else throw new NnchipError('NN302', `sample ${entries} contains ${this.preview()}, not a number`, { file: this.file });
      entries++;
    }
    this.at++;
    return { values: values.data.subarray(0, values.length), entries, flatList: bare > 0 };
  }

  private finite(index: number): number {
    const start = this.at;
    const x = this.number();
    // samples are float32: 1e39 was Infinity there, an "overflowing exp" at the first layer in calibration, saturated silently in run
    if (!Number.isFinite(Math.fround(x))) {
      const text = this.bytes.toString('latin1', start, Math.min(this.at, start + 24));
      throw new NnchipError('NN302', `sample ${index} contains ${text}, past ±3.4e38, the largest float32 (inputs are float32)`, {
        file: this.file,
        hint: 'give values float32 holds: the float model would read this one as Infinity',
      });
    }
    return x;
  }

  /**
   * One nested sample (the cursor on its "["): its numbers into `values`, and its dims, which
   * must be rectangular: every array at one depth as long as the first, numbers only innermost.
   */
  private nested(values: Values, index: number): number[] {
    const dims: number[] = [];
    const counts: number[] = [];
    let leafDepth = -1;
    const ragged = (): NnchipError => new NnchipError('NN307', `sample ${index} is ragged: its nested lists are not all the same length and depth`, { file: this.file });
    do {
      const depth = counts.length;
      const c = this.space();
      if (depth > 0 && counts[depth - 1]! > 0 && c !== CLOSE) {
        this.expect(COMMA, '"," or "]"');
        if (this.space() === CLOSE) throw this.fail('a "," before "]"');
      }
      const d = this.space();
      if (d === OPEN) {
        if (leafDepth !== -1 && depth > leafDepth) throw ragged();
        if (depth === MAX_DEPTH) throw new NnchipError('NN302', `sample ${index} is nested deeper than ${MAX_DEPTH} levels`, { file: this.file });
        if (depth > 0) counts[depth - 1]!++;
        counts.push(0);
        this.at++;
      } else if (d === CLOSE && depth > 0) {
        const n = counts.pop()!;
        if (dims[depth - 1] === undefined) dims[depth - 1] = n;
        else if (dims[depth - 1] !== n) throw ragged();
        this.at++;
      } else if (this.isNumberStart(d) && depth > 0) {
        if (leafDepth === -1) leafDepth = depth;
        else if (leafDepth !== depth) throw ragged();
        values.push(this.finite(index));
        counts[depth - 1]!++;
      } else if (d === -1) throw this.fail('unexpected end of file');
      else throw new NnchipError('NN302', `sample ${index} contains ${this.preview()}, not a number`, { file: this.file });
    } while (counts.length > 0);
    if (leafDepth !== -1 && leafDepth !== dims.length) throw ragged();
    return dims;
  }
}
