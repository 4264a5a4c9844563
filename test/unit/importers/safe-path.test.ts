// SPDX-License-Identifier: MIT
/**
 * Weight paths stay inside the model folder (importers/safe-path.ts), in POSIX and in Windows form: a
 * model exported on Windows names "data\w.bin", and "..\x.bin" or "\\server\share" must be refused
 * as they would be there (on POSIX they were only "missing").
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveInside } from '../../../src/importers/safe-path.js';
import { failure } from '../../helpers/errors.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'nnchip-safe-path-')));
mkdirSync(join(dir, 'model', 'data'), { recursive: true });
writeFileSync(join(dir, 'model', 'data', 'w.bin'), 'w');
writeFileSync(join(dir, 'outside.bin'), 'x');
const model = join(dir, 'model');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weight paths', () => {
  test('a Windows-separated path inside the folder is found', () => {
    expect(resolveInside(model, 'data\\w.bin', 'model.json')).toBe(join(model, 'data', 'w.bin'));
    expect(resolveInside(model, 'data/w.bin', 'model.json')).toBe(join(model, 'data', 'w.bin'));
  });

  test.each([
    ['..\\outside.bin', "leaves the model's folder"],
    ['data\\..\\..\\outside.bin', "leaves the model's folder"],
    ['\\\\server\\share\\w.bin', 'is absolute'],
    ['\\outside.bin', 'is absolute'],
    ['C:\\outside.bin', 'is absolute'],
    ['../outside.bin', "leaves the model's folder"],
  ])('%s: NN104 %s', (name, why) => {
    const e = failure(() => resolveInside(model, name, 'model.json'));
    expect(e.code).toBe('NN104');
    expect(e.detail).toBe(`weights path "${name}" ${why}`);
  });

  test('a missing Windows-separated path names both forms', () => {
    expect(failure(() => resolveInside(model, 'data\\nope.bin', 'model.json')).detail).toBe('weight file "data\\nope.bin" is missing (also as "data/nope.bin")');
  });
});

describe('URL-encoded weight paths (TF.js fetches shards as URLs)', () => {
  test('"%2e%2e/" is "../" to a URL: refused; "%20" finds the file with a space', () => {
    writeFileSync(join(model, 'data', 'my w.bin'), 'w');
    expect(resolveInside(model, 'data/my%20w.bin', 'model.json')).toBe(join(model, 'data', 'my w.bin'));
    for (const name of ['%2e%2e/outside.bin', '%2E%2E%2Foutside.bin', 'data/%2e%2e/%2e%2e/outside.bin']) expect(failure(() => resolveInside(model, name, 'model.json')).detail).toBe(`weights path "${name}" leaves the model's folder`);
    expect(failure(() => resolveInside(model, '%2Fetc%2Fpasswd', 'model.json')).detail).toBe('weights path "%2Fetc%2Fpasswd" is absolute');
    // a malformed escape is a plain name
    expect(failure(() => resolveInside(model, 'w%zz.bin', 'model.json')).detail).toBe('weight file "w%zz.bin" is missing');
  });
});
