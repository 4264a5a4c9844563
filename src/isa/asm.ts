// SPDX-License-Identifier: MIT
/**
 * Text assembly: `matmul wgt=0 act=3 actStride=98 acc=0 rows=1 accumulate=1 | popPrev pushPrev`,
 * `load buf=wgt …` (a load's buffer by name; the number is accepted too). One instruction per line;
 * `;` starts a comment. Listing and parsing are exact inverses.
 */
import { NnchipError } from '../diagnostics/error.js';
import { FORMATS, isLoadBuffer, loadBufferOf, LOAD_BUFFERS, OPCODES, TOKEN_FLAG_NAMES, TOKEN_FLAGS, type Instruction, type Opcode, type TokenFlags } from './spec.js';

/** The one field whose values have names: a load's target buffer. */
const NAMED_FIELD = 'buf';
const valueText = (field: string, v: number): string => (field === NAMED_FIELD ? (isLoadBuffer(v) ? loadBufferOf(v) : String(v)) : String(v));
const valueOf = (field: string, text: string): number | undefined =>
  /^-?\d+$/.test(text) ? Number(text) : field === NAMED_FIELD && Object.hasOwn(LOAD_BUFFERS, text) ? LOAD_BUFFERS[text as keyof typeof LOAD_BUFFERS] : undefined;

/** Each op's fields with the text before each value (" name="), computed once: a listing formats every instruction of a program. */
const FIELD_TEXT = new Map((Object.keys(FORMATS) as Opcode[]).map((op) => [op, FORMATS[op].map((f) => ({ name: f.name, before: ` ${f.name}=`, whenSet: f.listedWhenSet === true }))]));
/** Fields a listing may leave out (they read as 0): FieldSpec.listedWhenSet. */
const OPTIONAL_FIELDS = new Map((Object.keys(FORMATS) as Opcode[]).map((op) => [op, FORMATS[op].filter((f) => f.listedWhenSet === true).map((f) => f.name as string)]));

export function formatInstruction(insn: Instruction): string {
  const values = insn as unknown as Record<string, number | boolean>;
  // `op name=v name=v … | flag flag`, concatenated (no array per instruction)
  let line: string = insn.op;
  for (const { name, before, whenSet } of FIELD_TEXT.get(insn.op)!) if (!whenSet || Number(values[name]) !== 0) line += before + valueText(name, Number(values[name]));
  let flags = '';
  for (const f of TOKEN_FLAGS) if (values[f] === true) flags += (flags === '' ? ' | ' : ' ') + f;
  return line + flags;
}

export interface ListingOptions {
  /** Comment lines to insert before instruction index i (e.g. layer headers). */
  readonly comments?: ReadonlyMap<number, string>;
}

export function formatListing(insns: readonly Instruction[], opts: ListingOptions = {}): string {
  return new TextDecoder().decode(listingBytes(insns, opts));
}

/** Decimal digits of a safe integer ≥ 0. */
function digitCount(m: number): number {
  let digits = 1;
  for (let p = 10; p <= m; p *= 10) digits++;
  return digits;
}

/** Writes an ASCII string's bytes at out[at …]; returns the end. */
function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let k = 0; k < text.length; k++) out[at++] = text.charCodeAt(k);
  return at;
}

/** Writes ASCII bytes at out[at …]; returns the end (a loop: the texts are a few bytes, shorter than a set() call costs). */
function putBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) out[at++] = bytes[k]!;
  return at;
}

/** Writes String(v)'s bytes at out[at …] (digits by hand for a safe integer: no string each); returns the end. */
function putNumber(out: Uint8Array, at: number, v: number): number {
  if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) {
    // the usual case, in int32 arithmetic (v = -0 lands here too, and is written "0" as String(-0) is)
    let m = v | 0;
    const digits = digitCount(m);
    for (let d = digits - 1; d >= 0; d--, m = (m / 10) | 0) out[at + d] = 0x30 + (m % 10);
    return at + digits;
  }
  if (!Number.isSafeInteger(v)) return putAscii(out, at, String(v));
  if (v < 0) out[at++] = 0x2d; // '-'
  let m = Math.abs(v);
  const digits = digitCount(m);
  for (let d = digits - 1; d >= 0; d--, m = Math.floor(m / 10)) out[at + d] = 0x30 + (m % 10);
  return at + digits;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (ch) => ch.charCodeAt(0));

/** Each op's listing text as bytes, computed once: its name, and per field the name and the text before its value. */
const LINE_TEXT = new Map((Object.keys(FORMATS) as Opcode[]).map((op) => [op, { op: ascii(op), names: FORMATS[op].map((f) => f.name as string), before: FORMATS[op].map((f) => ascii(` ${f.name}=`)), whenSet: FORMATS[op].map((f) => f.listedWhenSet === true) }]));
/** Each token flag's text as bytes: as the first one set (after " | ") or a later one (after " "). */
const FLAG_TEXT = Object.fromEntries(TOKEN_FLAGS.map((f) => [f, { first: ascii(` | ${f}`), later: ascii(` ${f}`) }])) as Record<keyof TokenFlags, { readonly first: Uint8Array; readonly later: Uint8Array }>;
const INDEX_TEXT = ascii(' ; ');

/** Bytes one instruction's line takes at most: its op, every field with the longest number text (24), the flags, the padding and the index. */
const LINE_BYTES = Math.max(...Object.values(FORMATS).map((fields) => 16 + fields.reduce((a, f) => a + f.name.length + 2 + 24, 0))) + 48 + 72 + 24;

/**
 * formatListing's text as UTF-8 bytes, written straight into one buffer: each instruction's line is
 * formatInstruction's text padded to 72 columns, then `; <index>`; a comment line precedes its
 * instruction. (`nnchip lower` writes these bytes: a 2×2 array's listing is half a million lines,
 * which as strings took more time to build, join and encode than the compiler took to lower.)
 */
export function listingBytes(insns: readonly Instruction[], opts: ListingOptions = {}): Uint8Array {
  const width = String(Math.max(insns.length - 1, 0)).length;
  let out = new Uint8Array(Math.max(1024, insns.length * 96));
  let at = 0;
  const encoder = new TextEncoder();
  const comments = opts.comments;
  for (let i = 0; i < insns.length; i++) {
    const c = comments?.get(i);
    const comment = c === undefined ? null : encoder.encode(`; ${c}\n`);
    const need = at + LINE_BYTES + (comment === null ? 0 : comment.length);
    if (need > out.length) {
      const grown = new Uint8Array(Math.max(2 * out.length, need));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    if (comment !== null) (out.set(comment, at), (at += comment.length));
    // formatInstruction's text, byte by byte (op, field names, buffer names and flags are ASCII)
    const insn = insns[i]!;
    const values = insn as unknown as Record<string, number | boolean>;
    const lineStart = at;
    const text = LINE_TEXT.get(insn.op)!;
    at = putBytes(out, at, text.op);
    const { names, before, whenSet } = text;
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      const v = Number(values[name]);
      if (whenSet[k] === true && v === 0) continue;
      at = putBytes(out, at, before[k]!);
      at = name === NAMED_FIELD ? putAscii(out, at, valueText(name, v)) : putNumber(out, at, v);
    }
    let flags = 0; // TOKEN_FLAGS, in order
    if (insn.popPrev === true) at = putBytes(out, at, flags++ === 0 ? FLAG_TEXT.popPrev.first : FLAG_TEXT.popPrev.later);
    if (insn.popNext === true) at = putBytes(out, at, flags++ === 0 ? FLAG_TEXT.popNext.first : FLAG_TEXT.popNext.later);
    if (insn.pushPrev === true) at = putBytes(out, at, flags++ === 0 ? FLAG_TEXT.pushPrev.first : FLAG_TEXT.pushPrev.later);
    if (insn.pushNext === true) at = putBytes(out, at, flags++ === 0 ? FLAG_TEXT.pushNext.first : FLAG_TEXT.pushNext.later);
    if (at - lineStart < 72) (out.fill(0x20, at, lineStart + 72), (at = lineStart + 72));
    at = putBytes(out, at, INDEX_TEXT);
    for (let pad = width - digitCount(i); pad > 0; pad--) out[at++] = 0x20;
    at = putNumber(out, at, i);
    out[at++] = 0x0a;
  }
  if (insns.length === 0) out[at++] = 0x0a; // formatListing of nothing: one empty line
  return out.subarray(0, at);
}

export function parseInstruction(line: string, lineNo = 1): Instruction {
  const bad = (why: string): NnchipError => new NnchipError('NN404', `line ${lineNo}: ${why}`);
  const [body = '', flagText = ''] = line.split('|');
  const words = body.trim().split(/\s+/);
  const op = words[0] as Opcode;
  if (!(op in OPCODES)) throw bad(`unknown opcode "${words[0] ?? ''}"`);
  const result: Record<string, unknown> = { op, popPrev: false, popNext: false, pushPrev: false, pushNext: false };
  const expected = new Set<string>(FORMATS[op].map((f) => f.name));
  for (const name of OPTIONAL_FIELDS.get(op)!) result[name] = 0;
  for (const w of words.slice(1)) {
    const m = /^(\w+)=(-?\w+)$/.exec(w);
    const value = m ? valueOf(m[1]!, m[2]!) : undefined;
    if (!m || !expected.has(m[1]!) || value === undefined) throw bad(`"${w}" is not a field of ${op} (fields: ${[...expected].join(', ') || 'none'})`);
    result[m[1]!] = value;
    expected.delete(m[1]!);
  }
  for (const name of OPTIONAL_FIELDS.get(op)!) expected.delete(name);
  if (expected.size > 0) throw bad(`${op} is missing ${[...expected].join(', ')}`);
  for (const f of flagText.trim().split(/\s+/).filter(Boolean)) {
    if (!TOKEN_FLAG_NAMES.has(f)) throw bad(`unknown token flag "${f}"`);
    result[f] = true;
  }
  return result as unknown as Instruction;
}

export function parseListing(text: string): Instruction[] {
  const out: Instruction[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/;.*$/, '').trim();
    if (line !== '') out.push(parseInstruction(line, i + 1));
  });
  return out;
}
