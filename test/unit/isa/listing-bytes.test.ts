import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatInstruction, formatListing, listingBytes } from '../../../src/isa/asm.js';
import { encodeAll, fieldsOf, wordsOf } from '../../../src/isa/encode.js';
import { serializeProgram } from '../../../src/isa/program.js';
import { FORMATS, LOAD_BUFFERS, OPCODE_LIST, TOKEN_FLAGS, type Instruction, type Opcode } from '../../../src/isa/spec.js';
import { validateProgram } from '../../../src/isa/validate.js';
import { compile } from '../../../src/passes/pipeline.js';
import { makeConfig } from '../../../src/isa/config.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

/**
 * The listing as it was written before listingBytes (strings joined, then UTF-8): the reference the
 * byte writer must reproduce exactly.
 */
function referenceListing(insns: readonly Instruction[], comments: ReadonlyMap<number, string>): Uint8Array {
  const buffers = Object.keys(LOAD_BUFFERS);
  const text = (insn: Instruction): string => {
    const values = insn as unknown as Record<string, number | boolean>;
    // a mode bit added later (FieldSpec.listedWhenSet) is written only when set
    const fields = FORMATS[insn.op].filter((f) => f.listedWhenSet !== true || Number(values[f.name]) !== 0).map((f) => {
      const v = Number(values[f.name]);
      return `${f.name}=${f.name === 'buf' && buffers[v] !== undefined ? buffers[v] : String(v)}`;
    });
    const flags = TOKEN_FLAGS.filter((f) => values[f] === true);
    return [insn.op, ...fields].join(' ') + (flags.length > 0 ? ` | ${flags.join(' ')}` : '');
  };
  const width = String(Math.max(insns.length - 1, 0)).length;
  const lines: string[] = [];
  insns.forEach((insn, i) => {
    const c = comments.get(i);
    if (c !== undefined) lines.push(`; ${c}`);
    lines.push(`${text(insn).padEnd(72)} ; ${String(i).padStart(width)}`);
  });
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

/** An instruction with every field from its encodable range, or now and then a value no encoder takes (negative, fractional, huge, NaN). */
function arbInstruction(): fc.Arbitrary<Instruction> {
  const odd = fc.constantFrom(-1, -7, 1.5, 2 ** 40, 2 ** 60, Number.NaN, -0);
  return fc.constantFrom(...OPCODE_LIST).chain((op: Opcode) => {
    const fields: Record<string, fc.Arbitrary<number | boolean>> = {};
    for (const f of fieldsOf(op)) {
      if (f.name === 'opcode') continue;
      if (f.name.startsWith('pop') || f.name.startsWith('push')) fields[f.name] = fc.boolean();
      else fields[f.name] = fc.oneof({ weight: 9, arbitrary: f.signed ? fc.integer({ min: -(2 ** (f.bits - 1)), max: 2 ** (f.bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** f.bits - 1 }) }, { weight: 1, arbitrary: odd });
    }
    return fc.record(fields).map((r) => ({ op, ...r }) as unknown as Instruction);
  });
}

describe('listingBytes', () => {
  test('is the UTF-8 of the listing as strings, comments (any text) included', () => {
    const comments = fc.array(fc.tuple(fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 6 });
    fc.assert(
      fc.property(fc.array(arbInstruction(), { maxLength: 40 }), comments, (insns, pairs) => {
        const map = new Map(pairs);
        const want = referenceListing(insns, map);
        expect(Buffer.from(listingBytes(insns, { comments: map })).equals(Buffer.from(want))).toBe(true);
        expect(formatListing(insns, { comments: map })).toBe(new TextDecoder().decode(want));
      }),
      { numRuns: 400 },
    );
  });

  test('lines of every width: index columns of 1 to 4 digits, a line longer than 72 characters', () => {
    const load: Instruction = { op: 'load', popPrev: false, popNext: true, pushPrev: false, pushNext: true, buf: 3, sram: 65535, rows: 65535, dram: 4294967295, stride: 4294967295 };
    expect(formatInstruction(load).length).toBeGreaterThan(72);
    for (const n of [0, 1, 9, 10, 11, 100, 1001]) {
      const insns = Array.from({ length: n }, (_, i): Instruction => (i % 3 === 0 ? load : { op: 'sync', popPrev: i % 2 === 0, popNext: false, pushPrev: false, pushNext: i % 5 === 0 }));
      expect(Buffer.from(listingBytes(insns)).equals(Buffer.from(referenceListing(insns, new Map())))).toBe(true);
    }
  });
});

test("a validated program's words are encoded once and are its encoding; its .nnp holds them", () => {
  const p = compile(randomMlp([12, 9, 4], 5), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { samples: randomSamples(8, 12, 6) } }).program;
  const before = serializeProgram(p);
  const v = validateProgram(p);
  expect(wordsOf(v.instructions)).toBe(wordsOf(v.instructions));
  expect(Array.from(wordsOf(v.instructions))).toEqual(Array.from(encodeAll(v.instructions)));
  expect(Buffer.from(serializeProgram(v)).equals(Buffer.from(before))).toBe(true);
});
