// SPDX-License-Identifier: MIT
/**
 * The .nnp container: a program survives a round trip byte for byte; a damaged header is NN404
 * (never a TypeError); a file from before `thresholdPasses` existed still loads, as the fully
 * parallel threshold unit it was compiled for; the header names accBanks only for a two-bank
 * machine, so a one-bank program's bytes are those of a file from before the field.
 */
import { describe, expect, test } from 'vitest';
import { serializeProgram } from '../../../src/isa/program.js';
import { deserializeProgram } from '../../../src/isa/validate.js';
import { compileDigitsMlp } from '../../helpers/compile.js';

const MAGIC = [0x4e, 0x4e, 0x43, 0x48, 0x49, 0x50, 0x00, 0x01];

/** A container whose header is `header` (no instructions, no constants). */
function withHeader(header: string): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(MAGIC.length + 4 + h.length);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, h.length, true);
  out.set(h, MAGIC.length + 4);
  return out;
}

/** The header JSON of a serialized program, and a function that rebuilds the file with another one. */
function split(bytes: Uint8Array): { header: Record<string, unknown>; rebuild: (h: Record<string, unknown>) => Uint8Array } {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + len))) as Record<string, unknown>;
  const rest = bytes.subarray(start + len);
  return {
    header,
    rebuild: (h) => {
      const head = withHeader(JSON.stringify(h));
      const out = new Uint8Array(head.length + rest.length);
      out.set(head);
      out.set(rest, head.length);
      return out;
    },
  };
}

describe('.nnp container', () => {
  const { program } = compileDigitsMlp();
  const bytes = serializeProgram(program);

  test('round trip is byte-identical', () => {
    expect(serializeProgram(deserializeProgram(bytes))).toEqual(bytes);
  });

  test.each(['null', '7', '"text"', '{}', '{"config": null}', '{"config": [1, 2]}'])('header %s is NN404', (header) => {
    expect(() => deserializeProgram(withHeader(header))).toThrow(expect.objectContaining({ code: 'NN404' }));
  });

  test('a header without thresholdPasses loads as thresholdPasses 1', () => {
    const { header, rebuild } = split(bytes);
    const { thresholdPasses, ...older } = header['config'] as Record<string, unknown>;
    expect(thresholdPasses).toBe(1);
    const back = deserializeProgram(rebuild({ ...header, config: older }));
    expect(back.config).toEqual(program.config);
    expect(back.instructions).toEqual(program.instructions);
  });

  test('accBanks: absent for one bank (the file loads as accBanks 1), stored for two, and both round-trip', () => {
    expect(Object.keys(split(bytes).header['config'] as object)).not.toContain('accBanks');
    expect(deserializeProgram(bytes).config.accBanks).toBe(1);
    const two = serializeProgram(compileDigitsMlp({ accBanks: 2 }).program);
    expect((split(two).header['config'] as Record<string, unknown>)['accBanks']).toBe(2);
    expect(deserializeProgram(two).config.accBanks).toBe(2);
    expect(serializeProgram(deserializeProgram(two))).toEqual(two);
  });

  test.each([[{ accBanks: 3 }, /"accBanks" is 3; it must be an integer from 1 to 2/], [{ accBanks: 2, accDepth: 1 }, /two halves need accDepth ≥ 2/]])('a machine with %j is refused (NN402)', (config, message) => {
    expect(() => compileDigitsMlp(config)).toThrow(message);
  });
});
