// SPDX-License-Identifier: MIT
/**
 * An input that cannot be opened says why, from its errno, the same in every reader (models, data files,
 * programs): a loop of symbolic links or a file used as a folder read "no such file?", as if missing.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readRegularFile } from '../../../src/cli/data.js';
import { readProgramFile } from '../../../src/cli/program-file.js';
import { loadModel } from '../../../src/importers/index.js';
import { failure } from '../../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-unreadable-'));
symlinkSync('loop-b', join(dir, 'loop-a'));
symlinkSync('loop-a', join(dir, 'loop-b'));
writeFileSync(join(dir, 'file'), '{}');

describe('why an input cannot be read', () => {
  test.each([
    ['a loop of links', join(dir, 'loop-a'), 'cannot be read (ELOOP: its symbolic links form a loop)'],
    ['a file used as a folder', join(dir, 'file', 'model.json'), 'cannot be read (ENOTDIR: a part of the path is a file, not a folder)'],
    ['a name too long', join(dir, `${'n'.repeat(300)}.json`), 'cannot be read (ENAMETOOLONG: the name is too long)'],
    ['a missing file', join(dir, 'none.json'), 'cannot be read (no such file?)'],
    ['an empty name', '', 'cannot be read (the file name is empty)'],
  ])('%s: the same NN101 from the model, data and program readers', (_, path, detail) => {
    for (const read of [() => loadModel(path), () => readRegularFile(path, 1024, 'data files')]) {
      const e = failure(read);
      expect(e.code).toBe('NN101');
      expect(e.detail).toBe(detail);
    }
    // a program path is resolved first (a missing one is a usage error, NN801, naming what to give); one that resolves reads the same
    const p = failure(() => readProgramFile(path));
    if (p.code === 'NN101') expect(p.detail).toBe(detail);
    else expect(p.code).toBe('NN801');
  });
});
