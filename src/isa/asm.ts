// SPDX-License-Identifier: MIT
/**
 * Text assembly: `matmul wgt=0 act=3 actStride=98 acc=0 rows=1 accumulate=1 | popPrev pushPrev`,
 * `load buf=wgt …` (a load's buffer by name; the number is accepted too). One instruction per line;
 * `;` starts a comment. Listing and parsing are exact inverses.
 */
import { NnchipError } from '../diagnostics/error.js';
import { FORMATS, isLoadBuffer, loadBufferOf, LOAD_BUFFERS, OPCODES, TOKEN_FLAG_NAMES, TOKEN_FLAGS, type Instruction, type Opcode } from './spec.js';

/** The one field whose values have names: a load's target buffer. */
const NAMED_FIELD = 'buf';
const valueText = (field: string, v: number): string => (field === NAMED_FIELD ? (isLoadBuffer(v) ? loadBufferOf(v) : String(v)) : String(v));
const valueOf = (field: string, text: string): number | undefined =>
  /^-?\d+$/.test(text) ? Number(text) : field === NAMED_FIELD && Object.hasOwn(LOAD_BUFFERS, text) ? LOAD_BUFFERS[text as keyof typeof LOAD_BUFFERS] : undefined;

export function formatInstruction(insn: Instruction): string {
  const values = insn as unknown as Record<string, number | boolean>;
  const fields = FORMATS[insn.op].map((f) => `${f.name}=${valueText(f.name, Number(values[f.name]))}`);
  const flags = TOKEN_FLAGS.filter((f) => values[f] === true);
  return [insn.op, ...fields].join(' ') + (flags.length > 0 ? ` | ${flags.join(' ')}` : '');
}

export interface ListingOptions {
  /** Comment lines to insert before instruction index i (e.g. layer headers). */
  readonly comments?: ReadonlyMap<number, string>;
}

export function formatListing(insns: readonly Instruction[], opts: ListingOptions = {}): string {
  const width = String(Math.max(insns.length - 1, 0)).length;
  const lines: string[] = [];
  insns.forEach((insn, i) => {
    const c = opts.comments?.get(i);
    if (c !== undefined) lines.push(`; ${c}`);
    lines.push(`${formatInstruction(insn).padEnd(72)} ; ${String(i).padStart(width)}`);
  });
  return lines.join('\n') + '\n';
}

export function parseInstruction(line: string, lineNo = 1): Instruction {
  const bad = (why: string): NnchipError => new NnchipError('NN404', `line ${lineNo}: ${why}`);
  const [body = '', flagText = ''] = line.split('|');
  const words = body.trim().split(/\s+/);
  const op = words[0] as Opcode;
  if (!(op in OPCODES)) throw bad(`unknown opcode "${words[0] ?? ''}"`);
  const result: Record<string, unknown> = { op, popPrev: false, popNext: false, pushPrev: false, pushNext: false };
  const expected = new Set<string>(FORMATS[op].map((f) => f.name));
  for (const w of words.slice(1)) {
    const m = /^(\w+)=(-?\w+)$/.exec(w);
    const value = m ? valueOf(m[1]!, m[2]!) : undefined;
    if (!m || !expected.has(m[1]!) || value === undefined) throw bad(`"${w}" is not a field of ${op} (fields: ${[...expected].join(', ') || 'none'})`);
    result[m[1]!] = value;
    expected.delete(m[1]!);
  }
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
