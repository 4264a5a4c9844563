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
