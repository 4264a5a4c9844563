/**
 * Error lines are one line of plain text whatever the names in them: control characters,
 * terminal escapes, line separators and bidi overrides are shown escaped; long names are cut.
 */
import { describe, expect, test } from 'vitest';
import { escapeControls, MAX_NAME_CHARS, NnchipError, shortName } from '../../../src/diagnostics/error.js';

describe('NnchipError.format', () => {
  test('a newline or an ANSI escape in a file name cannot forge a line or color the terminal', () => {
    const line = new NnchipError('NN101', 'cannot be read', { file: 'a\nerror NN000: forged\x1b[31m\r\t.json' }).format();
    expect(line).toBe('error NN101: a\\nerror NN000: forged\\x1b[31m\\r\\t.json: cannot be read — check that the file exists and is readable');
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  test('layer names and details are escaped too; Unicode separators and bidi overrides become \\u escapes', () => {
    const line = new NnchipError('NN203', 'bad\u2028size\u0085', { file: 'm.json', layer: 'x\u202ey' }).format();
    expect(line).toContain('layer "x\\u202ey"');
    expect(line).toContain('bad\\u2028size\\x85');
    expect(escapeControls('plain é ü 字')).toBe('plain é ü 字');
  });

  test(`names over ${MAX_NAME_CHARS} characters keep their start and end around an ellipsis`, () => {
    const long = `/${'d'.repeat(5000)}/model.json`;
    const cut = shortName(long);
    expect(cut).toHaveLength(MAX_NAME_CHARS);
    expect(cut.startsWith('/ddd')).toBe(true);
    expect(cut.endsWith('/model.json')).toBe(true);
    expect(new NnchipError('NN101', 'x', { file: long }).format().length).toBeLessThan(MAX_NAME_CHARS + 100);
    expect(shortName('short.json')).toBe('short.json');
  });
});
