// SPDX-License-Identifier: MIT
/** Instruction ↔ 128-bit words (16 bytes, little-endian), driven entirely by the spec.ts tables. */
import { NnchipError } from '../diagnostics/error.js';
import { COMMON_FIELDS, FORMATS, INSN_BYTES, OPCODES, TOKEN_FLAG_NAMES, type FieldSpec, type Instruction, type Opcode } from './spec.js';

const OPCODE_BY_VALUE = new Map<number, Opcode>(Object.entries(OPCODES).map(([k, v]) => [v, k as Opcode]));

export function fieldsOf(op: Opcode): readonly FieldSpec[] {
  return [...COMMON_FIELDS, ...FORMATS[op]];
}

function fieldRange(f: FieldSpec): [number, number] {
  return f.signed ? [-(2 ** (f.bits - 1)), 2 ** (f.bits - 1) - 1] : [0, 2 ** f.bits - 1];
}

/** Throws NN901 when a field value does not fit its width (a compiler bug, or a hand-built program). */
export function encode(insn: Instruction): Uint8Array {
  let word = 0n;
  const values = insn as unknown as Record<string, number | boolean | string>;
  for (const f of fieldsOf(insn.op)) {
    const raw = f.name === 'opcode' ? OPCODES[insn.op] : values[f.name];
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    const [lo, hi] = fieldRange(f);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new NnchipError('NN901', `internal error: ${insn.op}.${f.name} = ${String(v)} does not fit ${f.bits} ${f.signed ? 'signed' : 'unsigned'} bits`);
    }
    const bits = BigInt.asUintN(f.bits, BigInt(v));
    word |= bits << BigInt(f.lsb);
  }
  const out = new Uint8Array(INSN_BYTES);
  for (let i = 0; i < INSN_BYTES; i++) out[i] = Number((word >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Decode one 16-byte word. Unknown opcodes and set bits outside the format are errors (NN404). */
export function decode(bytes: Uint8Array, index = 0): Instruction {
  let word = 0n;
  for (let i = INSN_BYTES - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[i] ?? 0);
  const opValue = Number(word & 0xfn);
  const op = OPCODE_BY_VALUE.get(opValue);
  if (op === undefined) throw new NnchipError('NN404', `instruction ${index}: unknown opcode ${opValue}`);
  const result: Record<string, unknown> = { op };
  let used = 0n;
  for (const f of fieldsOf(op)) {
    const mask = (1n << BigInt(f.bits)) - 1n;
    used |= mask << BigInt(f.lsb);
    if (f.name === 'opcode') continue;
    const raw = (word >> BigInt(f.lsb)) & mask;
    const v = Number(f.signed ? BigInt.asIntN(f.bits, raw) : raw);
    result[f.name] = TOKEN_FLAG_NAMES.has(f.name) ? v === 1 : v;
  }
  if ((word & ~used) !== 0n) throw new NnchipError('NN404', `instruction ${index} (${op}): reserved bits are set`);
  return result as unknown as Instruction;
}

export function encodeAll(insns: readonly Instruction[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_BYTES);
  insns.forEach((insn, i) => out.set(encode(insn), i * INSN_BYTES));
  return out;
}

export function decodeAll(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSN_BYTES !== 0) throw new NnchipError('NN404', `instruction stream of ${bytes.length} bytes is not a whole number of ${INSN_BYTES}-byte words`);
  const out: Instruction[] = [];
  for (let i = 0; i < bytes.length / INSN_BYTES; i++) out.push(decode(bytes.subarray(i * INSN_BYTES, (i + 1) * INSN_BYTES), i));
  return out;
}
