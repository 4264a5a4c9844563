// SPDX-License-Identifier: MIT
/**
 * disasm writes the listing in pieces cut after newlines: one string of a long program's listing
 * (9.4 million instructions, 800 MB) is longer than V8 makes one, and was an internal error.
 */
import { describe, expect, test } from 'vitest';
import { writePieces } from '../../../src/cli/commands/disasm.js';

describe('writePieces', () => {
  const text = Array.from({ length: 500 }, (_, i) => `${String(i).padStart(4, '0')}: matmul acc=${i} ; layer é${i % 7}\n`).join('') + 'halt';
  const bytes = new TextEncoder().encode(text);

  test.each([1, 7, 64, 1000, 1 << 20])('pieces of at most %i bytes: the same text, every piece but the last ending a line, each drained', async (piece) => {
    const pieces: string[] = [];
    let drains = 0;
    await writePieces(bytes, (t) => pieces.push(t), async () => void drains++, piece);
    expect(drains).toBe(pieces.length);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces.slice(0, -1)) expect(p.endsWith('\n')).toBe(true);
    // a line longer than a piece is written whole rather than cut
    for (const p of pieces) expect(new TextEncoder().encode(p).length <= Math.max(piece, 64)).toBe(true);
  });

  test('nothing to write', async () => {
    const pieces: string[] = [];
    await writePieces(new Uint8Array(0), (t) => pieces.push(t));
    expect(pieces).toEqual([]);
  });
});
