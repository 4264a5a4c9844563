/** A key given twice in one object (JSON.parse keeps the last, silently) and a UTF-8 byte order mark (JSON.parse fails on it). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { configFrom } from '../../../src/cli/options.js';
import { loadModel } from '../../../src/importers/index.js';
import { duplicateKey, withoutBom } from '../../../src/util/json-text.js';

describe('duplicateKey', () => {
  test.each([
    ['{"rows": 4, "rows": 8}', { key: 'rows', at: '' }],
    ['{"a": {"b": 1, "c": {"b": 2}, "b": 3}}', { key: 'b', at: 'a' }],
    ['{"layers": [{"name": "x"}, {"config": {"units": 1, "units": 2}}]}', { key: 'units', at: 'layers[1].config' }],
    ['[{"k": 1}, {"k": 2}, {"k": 3, "k": 4}]', { key: 'k', at: '[2]' }],
    ['{"a\\"b": 1, "a\\u0022b": 2}', { key: 'a"b', at: '' }],
  ])('%s', (text, want) => expect(duplicateKey(text)).toEqual(want));

  test.each(['{"a": 1, "b": {"a": 2}}', '{"s": "{\\"a\\": 1, \\"a\\": 2}"}', '[{"a": 1}, {"a": 2}]', '{"a": [1, 2, {"a": 3}], "b": "a,a"}', '{}', '[]', '3'])('%s has none', (text) => {
    expect(duplicateKey(text)).toBeUndefined();
  });
});

test('withoutBom', () => {
  expect(withoutBom('\ufeff{"a": 1}')).toBe('{"a": 1}');
  expect(withoutBom('{"a": 1}')).toBe('{"a": 1}');
});

test('a model file and a machine configuration with a UTF-8 byte order mark are read (they were NN102/NN402 "Unexpected token \'\ufeff\'")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-bom-'));
  const model = join(dir, 'tiny.nnchip.json');
  writeFileSync(model, '\ufeff' + readFileSync(new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url), 'utf8'));
  expect(loadModel(model).nodes.length).toBeGreaterThan(0);
  const config = join(dir, 'config.json');
  writeFileSync(config, '\ufeff{"rows": 4, "cols": 2}');
  expect(configFrom({ config })).toMatchObject({ rows: 4, cols: 2 });
});
