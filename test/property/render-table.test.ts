// SPDX-License-Identifier: MIT
/**
 * The CLI's tables: cells of one-column characters (printable ASCII, → × µ …, color codes) are
 * laid out by render.ts itself (asciiTable), the rest by cli-table3; on such cells both must draw
 * the same bytes, whatever the cells (empty, spaces, any width, any number of rows and columns).
 * table() takes that path only for such cells and draws wide or multi-line cells as cli-table3 does.
 */
import fc from 'fast-check';
import { Chalk } from 'chalk';
import { expect, test } from 'vitest';
import { asciiTable, cliTable3, table } from '../../src/cli/render.js';
import { captureIo } from '../../src/cli/context.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);

const NARROW_EXTRA = ['µ', '·', '×', '—', '…', '←', '→', '↔', '↙', '≤', '≥'];
const bold = new Chalk({ level: 1 }).bold;
const asciiCell = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 14 });
// the one-column characters the commands print besides ASCII (layer shapes "4→3"), some cells in bold
const narrowCell = fc
  .tuple(fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constantFrom(...NARROW_EXTRA)), maxLength: 14 }), fc.boolean())
  .map(([c, b]) => (b ? bold(c) : c));
const narrowCells = fc.integer({ min: 1, max: 6 }).chain((cols) => fc.array(fc.array(narrowCell, { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 8 }));
const asciiCells = fc.integer({ min: 1, max: 6 }).chain((cols) => fc.array(fc.array(asciiCell, { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 8 }));

test('asciiTable draws printable-ASCII cells byte for byte as cli-table3 does', () => {
  fc.assert(
    fc.property(asciiCells, (cells) => {
      expect(asciiTable(cells)).toBe(cliTable3(cells));
    }),
    { numRuns: 400, seed: SEED },
  );
});

test('asciiTable draws → × µ … and bold cells byte for byte as cli-table3 does (every layer table has a →)', () => {
  fc.assert(
    fc.property(narrowCells, (cells) => {
      expect(asciiTable(cells)).toBe(cliTable3(cells));
    }),
    { numRuns: 400, seed: SEED },
  );
});

test('table(): numbers as fmtInt writes them; colored, wide and multi-line cells as cli-table3 draws them', () => {
  const io = captureIo();
  expect(table(['a', 'n'], [['x', 1234567], ['', 0]], io)).toBe(cliTable3([['a', 'n'], ['x', '1,234,567'], ['', '0']]) + '\n');
  const color = { ...io, color: new Chalk({ level: 1 }) };
  const odd = [['layer', 'shape'], ['conv→1', '28x28x1→13x13x8'], ['日本', 'a\nb'], ['é', 'ok']];
  for (const rows of [odd.slice(1), [['plain', 'row']]]) {
    const head = odd[0]!;
    expect(table(head, rows, color)).toBe(cliTable3([head.map((h) => color.color.bold(h)), ...rows]) + '\n');
    expect(table(head, rows, io)).toBe(cliTable3([head, ...rows]) + '\n');
  }
});
