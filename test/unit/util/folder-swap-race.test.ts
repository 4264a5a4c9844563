/**
 * checkOutput (util/output-paths.ts) on an output folder that another nnchip run's commit moves aside
 * while this run reads it (atomic-write.ts swapIn: the old folder renamed away, then the new one in):
 * lstat saw a folder, the listing says ENOENT. That was NN556 "the file system does not let files be
 * created there" (CI's two-writers race in test/cli/atomic-sets.test.ts hit it once); it is another
 * run at work, so nnchip looks again, and the folder back in place passes. Likewise a new folder
 * renamed in between reading the marker and reading a file: that was NN551 "f8.txt was changed after
 * nnchip wrote it" when it happened on the second look too (CI, session 19); it is NN557, looked at again.
 */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';

// the first `failures` listings of a folder named `swapped` fail as if it had just been renamed away;
// the first `commits` full listings of one named `straddled` run another run's commit as they list it
const state = vi.hoisted(() => ({ failures: 0, commits: 0, commit: (_dir: string): void => undefined }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const readdirSync = ((path: unknown, ...rest: unknown[]) => {
    if (String(path).endsWith('swapped') && state.failures > 0) {
      state.failures--;
      throw Object.assign(new Error(`ENOENT: no such file or directory, scandir '${String(path)}'`), { code: 'ENOENT' });
    }
    const listing = (fs.readdirSync as (...a: unknown[]) => unknown)(path, ...rest);
    if (String(path).endsWith('straddled') && rest.length > 0 && state.commits > 0) {
      state.commits--;
      state.commit(String(path));
    }
    return listing;
  }) as typeof fs.readdirSync;
  return { ...fs, default: { ...fs, readdirSync }, readdirSync };
});

const { checkOutput, MARKER, markerText } = await import('../../../src/util/output-paths.js');

/** An nnchip output folder (its marker lists its one file) named `name`, with `text` in its file. */
function outputFolder(name = 'swapped', text = '{}\n', at = join(mkdtempSync(join(tmpdir(), 'nnchip-swap-')), name)): string {
  mkdirSync(at);
  writeFileSync(join(at, 'summary.json'), text);
  writeFileSync(join(at, MARKER), markerText(new Map([['summary.json', text]])));
  return at;
}

let generation = 0;
// another run's commit of a folder output: its new folder renamed in for the old one (atomic-write.ts)
state.commit = (dir) => {
  const fresh = outputFolder('next', `{"generation": ${++generation}}\n`, `${dir}.next`);
  renameSync(dir, `${dir}.old${generation}`);
  renameSync(fresh, dir);
};

test('a folder moved aside while it is read is looked at again, not refused as a file system fault', () => {
  const dir = outputFolder();
  state.failures = 1;
  expect(() => checkOutput(dir, 'folder')).not.toThrow();
  expect(state.failures).toBe(0);
});

test('a folder replaced while it is read, twice running, is looked at again, not refused as changed by the user (NN551)', () => {
  const dir = outputFolder('straddled');
  state.commits = 2;
  expect(() => checkOutput(dir, 'folder')).not.toThrow();
  expect(state.commits).toBe(0);
});

test('one still gone on every look is NN557 (another run is writing), not NN556', () => {
  const dir = outputFolder();
  state.failures = 1000;
  let error: unknown;
  try {
    checkOutput(dir, 'folder');
  } catch (e) {
    error = e;
  }
  expect((error as { code?: string }).code).toBe('NN557');
  expect(String(error)).toMatch(/another nnchip process is replacing it/);
});
