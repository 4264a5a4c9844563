// SPDX-License-Identifier: MIT
/** Memory images: program words decode back to the program; row addresses follow pixelAddress. */
import { describe, expect, test } from 'vitest';
import { bytesHex, metaHex, metaLocalparams, META_FIELDS, programHex, rowAddressHex } from '../../../../src/backends/verilog/rom.js';
import { upperSnake } from '../../../../src/backends/verilog/isa-header.js';
import { decode } from '../../../../src/isa/encode.js';
import { pixelAddress } from '../../../../src/isa/program.js';
import { INSN_BYTES } from '../../../../src/isa/spec.js';
import { randomProgram } from '../wasm/random-program.js';

describe('rom images', () => {
  test('programHex: one word per line, MSB first, decodes to the same instructions, zero-padded', () => {
    const p = randomProgram(3);
    const depth = 2 ** Math.ceil(Math.log2(p.instructions.length + 1));
    const lines = programHex(p.instructions, depth).trimEnd().split('\n');
    expect(lines).toHaveLength(depth);
    lines.forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^[0-9a-f]{${2 * INSN_BYTES}}$`));
      const bytes = Uint8Array.from({ length: INSN_BYTES }, (_, b) => parseInt(line.slice(2 * (INSN_BYTES - 1 - b), 2 * (INSN_BYTES - b)), 16));
      if (i < p.instructions.length) expect(decode(bytes, i)).toEqual(p.instructions[i]);
      else expect(line).toBe('0'.repeat(2 * INSN_BYTES));
    });
  });

  test('bytesHex writes two\'s-complement bytes', () => {
    expect(bytesHex(Int8Array.of(-1, 0, 127, -128))).toBe('ff\n00\n7f\n80\n');
  });

  test('rowAddressHex lists pixelAddress of every row', () => {
    const p = randomProgram(9);
    const words = rowAddressHex(p.input).trimEnd().split('\n').map((w) => parseInt(w, 16));
    expect(words).toEqual(Array.from({ length: p.input.rows }, (_, r) => pixelAddress(p.input, r)));
  });

  test('meta words and the test bench indices come from one list', () => {
    const values = Object.fromEntries(META_FIELDS.map((f, i) => [f, i + 100])) as Record<(typeof META_FIELDS)[number], number>;
    expect(metaHex(values).trimEnd().split('\n').map((w) => parseInt(w, 16))).toEqual(META_FIELDS.map((_, i) => i + 100));
    expect(metaLocalparams().split('\n')).toHaveLength(META_FIELDS.length);
    META_FIELDS.forEach((f, i) => expect(metaLocalparams()).toContain(`localparam META_${upperSnake(f)} = ${i};`));
  });
});
