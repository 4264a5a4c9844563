/**
 * makeFolders (util/output-paths.ts) when another writer makes the folder between its look and its
 * mkdir: the README's sharded sweep runs several `explore --shard` into one new folder at once, and the
 * loser's mkdir said EEXIST, which was NN559 "something else created it meanwhile" (CI's Slurm test
 * saw it). A folder is what was wanted: it goes on. A file made meanwhile is still refused.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';

// mkdir as if another process had just made `path` (a folder, or a file when the name says so)
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const raced = (path: unknown): never => {
    if (String(path).endsWith('.file')) fs.writeFileSync(String(path), '');
    else fs.mkdirSync(String(path));
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${String(path)}'`), { code: 'EEXIST' });
  };
  return { ...fs, default: { ...fs, mkdirSync: raced }, mkdirSync: raced };
});

const { makeFolders } = await import('../../../src/util/output-paths.js');
const { NnchipError } = await import('../../../src/diagnostics/error.js');

describe('makeFolders racing another writer', () => {
  test('a folder another writer made meanwhile (each level of a new path) is taken as made', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nnchip-race-')), 'a', 'b', 'shards');
    makeFolders(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  test('a file made meanwhile under the name is still an error', () => {
    const at = join(mkdtempSync(join(tmpdir(), 'nnchip-race-')), 'out.file');
    let error: unknown;
    try {
      makeFolders(at);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect(existsSync(at)).toBe(true);
  });
});
