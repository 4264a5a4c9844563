// SPDX-License-Identifier: MIT
/** Instruction ↔ 128-bit words (16 bytes, little-endian), driven entirely by the spec.ts tables. */
import { internal, NnchipError } from '../diagnostics/error.js';
import { COMMON_FIELDS, FORMATS, INSN_BYTES, OPCODES, TOKEN_FLAG_NAMES, type FieldSpec, type Instruction, type Opcode } from './spec.js';

const OPCODE_BY_VALUE = new Map<number, Opcode>(Object.entries(OPCODES).map(([k, v]) => [v, k as Opcode]));

/** Every op's fields, header first, computed once (encode and decode run once per instruction of a program). */
const FIELDS = new Map<Opcode, readonly FieldSpec[]>((Object.keys(OPCODES) as Opcode[]).map((op) => [op, [...COMMON_FIELDS, ...FORMATS[op]]]));

export function fieldsOf(op: Opcode): readonly FieldSpec[] {
  return [...FIELDS.get(op)!];
}

function fieldRange(f: FieldSpec): [number, number] {
  return f.signed ? [-(2 ** (f.bits - 1)), 2 ** (f.bits - 1) - 1] : [0, 2 ** f.bits - 1];
}

/** Each op's fields with their value ranges (encode checks every field of every instruction). */
const RANGED = new Map<Opcode, readonly { readonly f: FieldSpec; readonly lo: number; readonly hi: number }[]>([...FIELDS].map(([op, fields]) => [op, fields.map((f) => ({ f, lo: fieldRange(f)[0], hi: fieldRange(f)[1] }))]));

/** OR `bits` bits of v (0 ≤ v < 2^bits ≤ 2^53) into a little-endian byte string (from byte `base`) at bit `lsb`, a byte's worth at a time. */
function putBits(out: Uint8Array, lsb: number, bits: number, v: number, base = 0): void {
  if (bits <= 32) {
    // v < 2^32: uint32 shifts (every field but the widest takes this path)
    for (let pos = lsb, done = 0; done < bits; ) {
      const take = Math.min(8 - (pos & 7), bits - done);
      out[base + (pos >> 3)]! |= ((v >>> done) & ((1 << take) - 1)) << (pos & 7);
      pos += take;
      done += take;
    }
    return;
  }
  for (let pos = lsb, left = bits; left > 0; ) {
    const take = Math.min(8 - (pos & 7), left);
    const chunk = v % 2 ** take;
    out[base + (pos >> 3)]! |= chunk << (pos & 7);
    v = (v - chunk) / 2 ** take;
    pos += take;
    left -= take;
  }
}

/** Per op, the bits its fields use; any other set bit is reserved. */
const USED_BITS = new Map<Opcode, Uint8Array>(
  [...FIELDS].map(([op, fields]) => {
    const used = new Uint8Array(INSN_BYTES);
    for (const f of fields) putBits(used, f.lsb, f.bits, 2 ** f.bits - 1);
    return [op, used];
  }),
);

/** Throws NN901 when a field value does not fit its width (a compiler bug, or a hand-built program). */
export function encode(insn: Instruction): Uint8Array {
  const out = new Uint8Array(INSN_BYTES);
  if (!encodeInto(insn, out, 0)) throw overflowError(insn);
  return out;
}

/** "matmul.actOuter = 70000 does not fit 16 unsigned bits" for the first field of insn outside its width, else null. */
export function fieldOverflow(insn: Instruction): string | null {
  const values = insn as unknown as Record<string, number | boolean | string>;
  for (const { f, lo, hi } of RANGED.get(insn.op)!) {
    const raw = f.name === 'opcode' ? OPCODES[insn.op] : values[f.name];
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return `${insn.op}.${f.name} = ${String(v)} does not fit ${f.bits} ${f.signed ? 'signed' : 'unsigned'} bits`;
  }
  return null;
}

/** Every field fits one 32-bit word or straddles two (encodeInto ORs each in with uint32 shifts). */
for (const fields of FIELDS.values()) for (const f of fields) if (f.bits > 32) throw internal(`field ${f.name} is ${f.bits} bits wide; encodeInto packs at most 32`);

/** The four 32-bit words of the instruction being encoded (encodeInto; one at a time). */
const WORDS = new Uint32Array(INSN_BYTES / 4);

/** The opcode field: its value is the op's (always in range), placed in the first word before the other fields. */
const OPCODE_FIELD = COMMON_FIELDS.find((f) => f.name === 'opcode')!;
if (OPCODE_FIELD.lsb + OPCODE_FIELD.bits > 32) throw internal('the opcode field must lie in the first 32 bits');

/** Per op, its opcode's bits in the first word and its other fields as parallel arrays (encodeInto reads them once per instruction, no record per field). */
const PACKING = new Map(
  [...RANGED].map(([op, all]) => {
    const ranged = all.filter((r) => r.f !== OPCODE_FIELD);
    return [
      op,
      {
        opcodeBits: OPCODES[op] << OPCODE_FIELD.lsb,
        names: ranged.map((r) => r.f.name),
        lo: ranged.map((r) => r.lo),
        hi: ranged.map((r) => r.hi),
        word: ranged.map((r) => r.f.lsb >>> 5),
        shift: ranged.map((r) => r.f.lsb & 31),
        bits: ranged.map((r) => r.f.bits),
        span: ranged.map((r) => 2 ** r.f.bits),
      },
    ];
  }),
);

/** encode(insn) into out[at .. at + 16) (encodeAll: no array per instruction); false, and nothing written, when a field does not fit its width. */
function encodeInto(insn: Instruction, out: Uint8Array, at: number): boolean {
  const values = insn as unknown as Record<string, number | boolean | string>;
  const w = WORDS;
  const { opcodeBits, names, lo, hi, word, shift, bits, span } = PACKING.get(insn.op)!;
  w[0] = opcodeBits;
  w[1] = 0;
  w[2] = 0;
  w[3] = 0;
  for (let i = 0; i < names.length; i++) {
    const raw = values[names[i]!];
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo[i]! || v > hi[i]!) return false;
    const u = v < 0 ? v + span[i]! : v; // two's complement in the field's width: 0 ≤ u < 2^bits ≤ 2^32
    const s = shift[i]!;
    w[word[i]!]! |= u << s;
    if (s + bits[i]! > 32) w[word[i]! + 1]! |= u >>> (32 - s);
  }
  // little-endian bytes of the little-endian words
  for (let k = 0; k < 4; k++) {
    const x = w[k]!;
    const b = at + 4 * k;
    out[b] = x & 0xff;
    out[b + 1] = (x >>> 8) & 0xff;
    out[b + 2] = (x >>> 16) & 0xff;
    out[b + 3] = x >>> 24;
  }
  return true;
}

const overflowError = (insn: Instruction): NnchipError => new NnchipError('NN901', `internal error: ${fieldOverflow(insn)}`);

/** Decode one 16-byte word. Unknown opcodes and set bits outside the format are errors (NN404). */
export function decode(bytes: Uint8Array, index = 0): Instruction {
  return decodeAt(bytes, 0, index);
}

/**
 * Per opcode value, how decodeAt unpacks its fields: each field's word and shift (as encodeInto
 * packs them), its width and mask (2^bits − 1, or −1 for 32 bits), whether it is signed or a token
 * flag, and the words' used bits (any other set bit is reserved). undefined: no op has that opcode.
 */
const UNPACKING: readonly ({ readonly op: Opcode; readonly names: readonly string[]; readonly word: Int32Array; readonly shift: Int32Array; readonly bits: Int32Array; readonly mask: Int32Array; readonly span: Float64Array; readonly signed: Uint8Array; readonly flag: Uint8Array; readonly used: Int32Array } | undefined)[] = Array.from({ length: 2 ** OPCODE_FIELD.bits }, (_, value) => {
  const op = OPCODE_BY_VALUE.get(value);
  if (op === undefined) return undefined;
  const fields = FIELDS.get(op)!.filter((f) => f !== OPCODE_FIELD);
  const used = USED_BITS.get(op)!;
  return {
    op,
    names: fields.map((f) => f.name),
    word: Int32Array.from(fields, (f) => f.lsb >>> 5),
    shift: Int32Array.from(fields, (f) => f.lsb & 31),
    bits: Int32Array.from(fields, (f) => f.bits),
    mask: Int32Array.from(fields, (f) => (f.bits === 32 ? -1 : 2 ** f.bits - 1)),
    span: Float64Array.from(fields, (f) => 2 ** f.bits),
    signed: Uint8Array.from(fields, (f) => (f.signed ? 1 : 0)),
    flag: Uint8Array.from(fields, (f) => (TOKEN_FLAG_NAMES.has(f.name) ? 1 : 0)),
    used: Int32Array.from({ length: INSN_BYTES / 4 }, (_, k) => used[4 * k]! | (used[4 * k + 1]! << 8) | (used[4 * k + 2]! << 16) | (used[4 * k + 3]! << 24)),
  };
});

/** The four little-endian 32-bit words of the instruction being decoded (decodeAt; one at a time). */
const DECODE_WORDS = new Int32Array(INSN_BYTES / 4);

/**
 * decode() of the word at bytes[base, base + 16) (missing bytes are 0), which all lie inside
 * `bytes` when base > 0 (decodeAll: no view per word). The word is read as four 32-bit words and
 * each field taken out with shifts (encodeInto's packing backwards): a program read from a file is
 * decoded once, cold, in every `nnchip sim`, where reading each field's bits a byte at a time was
 * a fifth of reading the file (test/unit/isa/decoded-words.test.ts holds it to the spec tables bit
 * by bit).
 */
function decodeAt(bytes: Uint8Array, base: number, index: number): Instruction {
  const w = DECODE_WORDS;
  for (let k = 0; k < w.length; k++) {
    const b = base + 4 * k;
    w[k] = (bytes[b] ?? 0) | ((bytes[b + 1] ?? 0) << 8) | ((bytes[b + 2] ?? 0) << 16) | ((bytes[b + 3] ?? 0) << 24);
  }
  const opValue = (w[0]! >>> OPCODE_FIELD.lsb) & (2 ** OPCODE_FIELD.bits - 1);
  const u = UNPACKING[opValue];
  if (u === undefined) throw new NnchipError('NN404', `instruction ${index}: unknown opcode ${opValue}`);
  const { names, word, shift, bits, mask, span, signed, flag, used } = u;
  for (let k = 0; k < w.length; k++) if ((w[k]! & ~used[k]!) !== 0) throw new NnchipError('NN404', `instruction ${index} (${u.op}): reserved bits are set`);
  const result: Record<string, unknown> = { op: u.op };
  for (let i = 0; i < names.length; i++) {
    const s = shift[i]!;
    const at = word[i]!;
    // the field's bits at the bottom (a field across two words: the next word's low bits above), as uint32
    let raw = w[at]! >>> s;
    if (s + bits[i]! > 32) raw |= w[at + 1]! << (32 - s);
    raw = (raw & mask[i]!) >>> 0;
    const v = signed[i] === 1 && raw >= span[i]! / 2 ? raw - span[i]! : raw;
    result[names[i]!] = flag[i] === 1 ? v === 1 : v;
  }
  return result as unknown as Instruction;
}

export function encodeAll(insns: readonly Instruction[]): Uint8Array {
  const words = encodeOrOverflow(insns);
  if (typeof words === 'number') throw overflowError(insns[words]!);
  return words;
}

/** encodeAll(insns), or the index of the first instruction with a field outside its width (fieldOverflow says which). */
export function encodeOrOverflow(insns: readonly Instruction[]): Uint8Array | number {
  const out = new Uint8Array(insns.length * INSN_BYTES);
  for (let i = 0; i < insns.length; i++) if (!encodeInto(insns[i]!, out, i * INSN_BYTES)) return i;
  return out;
}

/**
 * The words of a deep-frozen instruction list: the ones it was decoded from (deserializeProgram),
 * so hashing a program read from a file does not encode it again — decode() refuses reserved bits
 * and keeps every field's bits, so encode(decode(w)) is w (test/unit/isa/encode.test.ts) —, or
 * for a list validateProgram froze, encoded once when first asked for (the certificate's hash and
 * the .nnp file both want them).
 */
const knownWords = new WeakMap<readonly Instruction[], Uint8Array>();
/** Deep-frozen lists whose words may be kept once encoded. */
const frozenLists = new WeakSet<readonly Instruction[]>();

/** For deserializeProgram only: `insns` is frozen and was decoded from `words` (a copy is kept). */
export function rememberWords(insns: readonly Instruction[], words: Uint8Array): void {
  // a copy (new Uint8Array, not slice(): a Buffer's slice is a view of the file's bytes)
  if (Object.isFrozen(insns)) knownWords.set(insns, new Uint8Array(words));
}

/**
 * For the compiler only (passes/pipeline.ts): `insns` and every instruction in it are frozen and
 * `words` is encodeAll(insns), kept as they are (the compiler encodes its program once: the field
 * check, the certificate's hash and the .nnp file all read these words).
 */
export function rememberEncoded(insns: readonly Instruction[], words: Uint8Array): void {
  if (Object.isFrozen(insns)) knownWords.set(insns, words);
}

/** For validateProgram only: `insns` and every instruction in it are frozen, so its words never change. */
export function rememberFrozen(insns: readonly Instruction[]): void {
  frozenLists.add(insns);
}

/** encodeAll(insns), read-only: the remembered words of a decoded or validated, frozen list, else encoded now. */
export function wordsOf(insns: readonly Instruction[]): Uint8Array {
  let words = knownWords.get(insns);
  if (words !== undefined) return words;
  words = encodeAll(insns);
  if (frozenLists.has(insns)) knownWords.set(insns, words);
  return words;
}

export function decodeAll(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSN_BYTES !== 0) throw new NnchipError('NN404', `instruction stream of ${bytes.length} bytes is not a whole number of ${INSN_BYTES}-byte words`);
  const out: Instruction[] = [];
  for (let i = 0; i < bytes.length / INSN_BYTES; i++) out.push(decodeAt(bytes, i * INSN_BYTES, i));
  return out;
}
