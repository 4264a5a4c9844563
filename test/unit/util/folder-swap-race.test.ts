/**
 * checkOutput (util/output-paths.ts) on an output folder that another nnchip run's commit moves aside
 * while this run reads it (atomic-write.ts swapIn: the old folder renamed away, then the new one in):
 * lstat saw a folder, the listing says ENOENT. That was NN556 "the file system does not let files be
 * created there" (CI's two-writers race in test/cli/atomic-sets.test.ts hit it once); it is another
 * run at work, so nnchip looks once more, and the folder back in place passes.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';

// the first listing of a folder named `swapped` fails as if it had just been renamed away
const state = vi.hoisted(() => ({ failures: 0 }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const readdirSync = ((path: unknown, ...rest: unknown[]) => {
    if (String(path).endsWith('swapped') && state.failures > 0) {
      state.failures--;
      throw Object.assign(new Error(`ENOENT: no such file or directory, scandir '${String(path)}'`), { code: 'ENOENT' });
    }
    return (fs.readdirSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdirSync;
  return { ...fs, default: { ...fs, readdirSync }, readdirSync };
});

const { checkOutput, MARKER, markerText } = await import('../../../src/util/output-paths.js');

/** An nnchip output folder (its marker lists its one file) named `swapped`. */
function outputFolder(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nnchip-swap-')), 'swapped');
  const files = new Map([['summary.json', '{}\n']]);
  mkdirSync(dir);
  writeFileSync(join(dir, 'summary.json'), '{}\n');
  writeFileSync(join(dir, MARKER), markerText(files));
  return dir;
}

test('a folder moved aside while it is read is looked at again, not refused as a file system fault', () => {
  const dir = outputFolder();
  state.failures = 1;
  expect(() => checkOutput(dir, 'folder')).not.toThrow();
  expect(state.failures).toBe(0);
});

test('one still gone on the second look is NN557 (another run is writing), not NN556', () => {
  const dir = outputFolder();
  state.failures = 2;
  let error: unknown;
  try {
    checkOutput(dir, 'folder');
  } catch (e) {
    error = e;
  }
  expect((error as { code?: string }).code).toBe('NN557');
  expect(String(error)).toMatch(/another nnchip process is replacing it/);
});
