// SPDX-License-Identifier: MIT
/** UTF-16 text (PowerShell's `>`) is told apart from UTF-8 and from binary data such as weight shards. */
import { describe, expect, test } from 'vitest';
import { isUtf16 } from '../../../src/util/text.js';

describe('isUtf16', () => {
  test('with a byte order mark, either order, and without one (ASCII with every other byte zero)', () => {
    for (const text of ['[[0.1, 0.2]]', '{"rows": 4}', 'x']) {
      expect(isUtf16(Buffer.from('\ufeff' + text, 'utf16le'))).toBe(true);
      expect(isUtf16(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]))).toBe(true); // big-endian
      expect(isUtf16(Buffer.from(text + ' ', 'utf16le'))).toBe(true);
    }
  });

  test('UTF-8 (with or without its mark), float32 weights and empty files are not', () => {
    expect(isUtf16(Buffer.from('[[0.1, 0.2]]'))).toBe(false);
    expect(isUtf16(Buffer.from('\ufeff{"a": 1}'))).toBe(false);
    expect(isUtf16(Buffer.alloc(0))).toBe(false);
    // weights whose first bytes are [ASCII, 0] once, but not for four characters
    expect(isUtf16(new Uint8Array(Float32Array.of(1.0000001, 0.5, -2, 3).buffer))).toBe(false);
    expect(isUtf16(Uint8Array.of(0x41, 0, 0x90, 0x3f, 0, 0, 0, 0))).toBe(false);
  });
});
