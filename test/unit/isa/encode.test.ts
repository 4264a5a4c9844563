import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatInstruction, parseInstruction } from '../../../src/isa/asm.js';
import { decode, encode, encodeAll, encodeOrOverflow, fieldOverflow, fieldsOf } from '../../../src/isa/encode.js';
import { INSN_BITS, OPCODE_LIST, OPCODES, type Instruction, type Opcode } from '../../../src/isa/spec.js';

/** An arbitrary instruction: every field drawn from its full encodable range. */
function arbInstruction(): fc.Arbitrary<Instruction> {
  return fc.constantFrom(...OPCODE_LIST).chain((op: Opcode) => {
    const fields: Record<string, fc.Arbitrary<number | boolean>> = {};
    for (const f of fieldsOf(op)) {
      if (f.name === 'opcode') continue;
      if (f.name.startsWith('pop') || f.name.startsWith('push')) fields[f.name] = fc.boolean();
      else fields[f.name] = f.signed ? fc.integer({ min: -(2 ** (f.bits - 1)), max: 2 ** (f.bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** f.bits - 1 });
    }
    return fc.record(fields).map((r) => ({ op, ...r }) as unknown as Instruction);
  });
}

describe('instruction encoding', () => {
  test('decode(encode(i)) = i for every instruction', () => {
    fc.assert(fc.property(arbInstruction(), (i) => {
      expect(decode(encode(i))).toEqual(i);
    }), { numRuns: 2000 });
  });

  test('field f sits at bits [lsb, lsb + bits) of the little-endian 128-bit word, two\'s complement when signed', () => {
    fc.assert(fc.property(arbInstruction(), (i) => {
      let word = 0n;
      for (const f of fieldsOf(i.op)) {
        const raw = f.name === 'opcode' ? OPCODES[i.op] : (i as unknown as Record<string, number | boolean>)[f.name]!;
        word |= BigInt.asUintN(f.bits, BigInt(Number(raw))) << BigInt(f.lsb);
      }
      expect(Array.from(encode(i))).toEqual(Array.from({ length: INSN_BITS / 8 }, (_, b) => Number((word >> BigInt(8 * b)) & 0xffn)));
    }), { numRuns: 2000 });
  });

  test('encode(decode(w)) = w for every valid word', () => {
    fc.assert(fc.property(arbInstruction(), (i) => {
      expect(encode(decode(encode(i)))).toEqual(encode(i));
    }), { numRuns: 500 });
  });

  test('assembly text round-trips', () => {
    fc.assert(fc.property(arbInstruction(), (i) => {
      expect(parseInstruction(formatInstruction(i))).toEqual(i);
    }), { numRuns: 1000 });
  });

  test('every format fits the instruction word and fields do not overlap', () => {
    for (const op of OPCODE_LIST) {
      const used = new Set<number>();
      for (const f of fieldsOf(op)) {
        for (let b = f.lsb; b < f.lsb + f.bits; b++) {
          expect(used.has(b), `${op}.${f.name} bit ${b}`).toBe(false);
          used.add(b);
        }
      }
      expect(Math.max(...used)).toBeLessThan(INSN_BITS);
    }
  });

  test('out-of-range field values are refused, not truncated', () => {
    expect(() => encode({ op: 'threshold', popPrev: false, popNext: false, pushPrev: false, pushNext: false, acc: 0, out: 0, qnt: 0, rows: 1, zp: 128, lo: 0, hi: 0, table: 0, steps: 0, poolH: 0, poolW: 0 })).toThrow(/zp = 128/);
  });

  test('encodeOrOverflow: the first instruction fieldOverflow refuses, else the words encodeAll gives', () => {
    // now and then a field one past its range, negative, fractional, huge, NaN or a boolean where a number goes
    const odd = fc.constantFrom(-1, 1.5, 2 ** 16, 2 ** 32, 2 ** 60, Number.NaN, true);
    const spoilt = fc.tuple(arbInstruction(), fc.nat(), odd, fc.boolean()).map(([i, k, v, spoil]) => {
      const names = fieldsOf(i.op).map((f) => f.name).filter((n) => n !== 'opcode' && !n.startsWith('pop') && !n.startsWith('push'));
      return spoil && names.length > 0 ? ({ ...i, [names[k % names.length]!]: v } as Instruction) : i;
    });
    fc.assert(fc.property(fc.array(spoilt, { maxLength: 12 }), (list) => {
      const refused = list.findIndex((i) => fieldOverflow(i) !== null);
      const got = encodeOrOverflow(list);
      if (refused >= 0) {
        expect(got).toBe(refused);
        expect(() => encodeAll(list)).toThrow(fieldOverflow(list[refused]!)!);
      } else expect(Array.from(got as Uint8Array)).toEqual(list.flatMap((i) => Array.from(encode(i))));
    }), { numRuns: 1000 });
  });

  test('unknown opcodes and reserved bits are rejected on decode', () => {
    expect(() => decode(new Uint8Array(16))).toThrow(/unknown opcode 0/);
    const halt = encode({ op: 'halt', popPrev: false, popNext: false, pushPrev: false, pushNext: false });
    halt[15] = 1;
    expect(() => decode(halt)).toThrow(/reserved bits/);
  });
});
