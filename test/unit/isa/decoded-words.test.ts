// SPDX-License-Identifier: MIT
/**
 * hashProgram hashes the words a program read from a file was decoded from, instead of encoding
 * it again (isa/encode.ts wordsOf): right only because decoding is lossless, encode(decode(w)) = w
 * for every word decode accepts. Checked here on random field bits of every opcode (token flags
 * included), and end to end: a program's hash is the same before and after a file round trip.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decode, encode, encodeAll, fieldsOf, wordsOf } from '../../../src/isa/encode.js';
import { OPCODES, type Instruction, type Opcode } from '../../../src/isa/spec.js';
import { hashProgram } from '../../../src/isa/cost.js';
import { deserializeProgram } from '../../../src/isa/validate.js';
import { serializeProgram } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { makeConfig } from '../../../src/isa/config.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

/** An instruction of `op` with each field's raw bits from `raw` (two's complement for signed fields). */
function withBits(op: Opcode, raw: readonly number[]): Instruction {
  const insn: Record<string, unknown> = { op };
  fieldsOf(op).forEach((f, i) => {
    if (f.name === 'opcode') return;
    const r = raw[i]! % 2 ** f.bits;
    insn[f.name] = f.signed && r >= 2 ** (f.bits - 1) ? r - 2 ** f.bits : r;
  });
  return insn as unknown as Instruction;
}

test('every word decode accepts encodes back to itself', () => {
  const ops = Object.keys(OPCODES) as Opcode[];
  fc.assert(
    fc.property(fc.constantFrom(...ops), fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 40, maxLength: 40 }), (op, raw) => {
      const word = encode(withBits(op, raw));
      expect(encode(decode(word))).toEqual(word);
    }),
    { numRuns: 2000, seed: SEED },
  );
});

test('a program read from its file hashes as the program itself; its remembered words are its encoding', () => {
  const p = compile(randomMlp([12, 9, 4], 21), { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples: randomSamples(8, 12, 22) } }).program;
  const read = deserializeProgram(serializeProgram(p));
  expect(wordsOf(read.instructions)).toEqual(encodeAll(p.instructions));
  expect(hashProgram(read)).toBe(hashProgram(p));
});

test('a compiled program comes frozen with its words: the encoding of its instructions, which no copy could have changed', () => {
  const p = compile(randomMlp([12, 9, 4], 23), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { samples: randomSamples(8, 12, 24) } }).program;
  expect(Object.isFrozen(p.instructions) && p.instructions.every((insn) => Object.isFrozen(insn))).toBe(true);
  // the remembered words (no encoding now) against a fresh encoding of copies of the instructions
  const remembered = wordsOf(p.instructions);
  expect(remembered).toEqual(encodeAll(p.instructions.map((insn) => ({ ...insn }))));
  expect(() => {
    (p.instructions[0] as { rows?: number }).rows = 1;
  }).toThrow(TypeError);
});

/** decode by the spec tables one bit at a time (BigInt), the reference for decode's word shifts: the instruction, or the error's message. */
function decodeBitByBit(bytes: Uint8Array): Instruction | string {
  let word = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[i]!);
  const bitsAt = (lsb: number, bits: number): number => Number((word >> BigInt(lsb)) & ((1n << BigInt(bits)) - 1n));
  const opcodeField = fieldsOf('halt').find((f) => f.name === 'opcode')!;
  const value = bitsAt(opcodeField.lsb, opcodeField.bits);
  const op = (Object.keys(OPCODES) as Opcode[]).find((o) => OPCODES[o] === value);
  if (op === undefined) return `instruction 0: unknown opcode ${value}`;
  let used = 0n;
  const insn: Record<string, unknown> = { op };
  for (const f of fieldsOf(op)) {
    used |= ((1n << BigInt(f.bits)) - 1n) << BigInt(f.lsb);
    if (f.name === 'opcode') continue;
    const raw = bitsAt(f.lsb, f.bits);
    const v = f.signed && raw >= 2 ** (f.bits - 1) ? raw - 2 ** f.bits : raw;
    insn[f.name] = ['popPrev', 'popNext', 'pushPrev', 'pushNext'].includes(f.name) ? v === 1 : v;
  }
  if ((word & ~used) !== 0n) return `instruction 0 (${op}): reserved bits are set`;
  return insn as unknown as Instruction;
}

test('decode takes each field out of the word as the spec tables place it, bit for bit (fields across 32-bit words, signed, flags, reserved bits, unknown opcodes)', () => {
  const ops = Object.keys(OPCODES) as Opcode[];
  const decoded = (bytes: Uint8Array): Instruction | string => {
    try {
      return decode(bytes);
    } catch (e) {
      return (e as { detail?: string }).detail ?? String(e);
    }
  };
  fc.assert(
    fc.property(fc.constantFrom(...ops), fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 40, maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 3 }), (op, raw, noise, mode) => {
      // mode 0-1: a legal word; 2: with random bits anywhere (reserved ones, other opcodes); 3: random bytes
      const word = mode === 3 ? noise : encode(withBits(op, raw));
      if (mode === 2) for (let i = 0; i < 16; i++) word[i]! ^= noise[i]! & (i % 5 === 0 ? 0xff : 0x01);
      const expected = decodeBitByBit(word);
      const got = decoded(word);
      expect(got).toEqual(expected);
      if (typeof expected !== 'string') expect(Object.keys(got)).toEqual(Object.keys(expected));
    }),
    { numRuns: 4000, seed: SEED },
  );
});
