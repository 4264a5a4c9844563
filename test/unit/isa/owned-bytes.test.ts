// SPDX-License-Identifier: MIT
/**
 * What reading a program file may skip, and only there: the constants are a view of the bytes
 * handed over (a plain Uint8Array, never the caller's buffer when not handed over), and a program
 * deserializeProgram checked passes checkProgram at once, while any other object, even one copied
 * from it, is checked in full.
 */
import { describe, expect, test } from 'vitest';
import { checkProgram } from '../../../src/isa/interpret.js';
import { serializeProgram, type Program } from '../../../src/isa/program.js';
import { deserializeProgram } from '../../../src/isa/validate.js';
import { compileDigitsMlp } from '../../helpers/compile.js';

describe('a program read from bytes', () => {
  const { program } = compileDigitsMlp();
  const bytes = serializeProgram(program);

  test('owned bytes: the constants are a plain Uint8Array view of them; otherwise a copy', () => {
    const owned = Uint8Array.from(bytes);
    const viewed = deserializeProgram(owned, 'p.nnp', true);
    expect(viewed.constants.constructor).toBe(Uint8Array);
    expect(viewed.constants.buffer).toBe(owned.buffer);
    expect(Array.from(viewed.constants)).toEqual(Array.from(program.constants));
    const given = Uint8Array.from(bytes);
    const copied = deserializeProgram(given, 'p.nnp');
    expect(copied.constants.buffer).not.toBe(given.buffer);
    given.fill(0);
    expect(Array.from(copied.constants)).toEqual(Array.from(program.constants));
  });

  test('checked once when deserialized; a copy of it that ends without halt is still refused', () => {
    const p = deserializeProgram(bytes);
    expect(checkProgram(p)).toBeNull();
    const noHalt: Program = { ...p, instructions: p.instructions.slice(0, -1), insnLayer: p.insnLayer.slice(0, -1) };
    expect(checkProgram(noHalt)).toMatch(/halt/);
  });
});
