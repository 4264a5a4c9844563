// SPDX-License-Identifier: MIT
/**
 * nnchip's own files in an output folder (.nnchip-output, .nnchip-outputs, .nnchip-journal,
 * .nnchip-lock) are read only as small regular files, and a journal is replayed only when every
 * rename it lists stays inside its folder. A FIFO planted there blocked every later write for ever,
 * a link to /dev/zero never ended, and a journal naming "../x" moved files elsewhere on the disk.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { checkOutput, writeFileAtomic } from '../../../src/util/atomic-write.js';
import { readOwnFile } from '../../../src/util/output-paths.js';
import { BIN, REPO } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-own-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
let n = 0;
const fresh = (): string => {
  const dir = join(work, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};

/** The real command, stopped after 20 s: a read that blocks cannot hang the test run itself. */
function lower(out: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'lower', TINY, '-o', out, '--input-range', '0,1'], { cwd: work, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { code: r.status, stderr: r.stderr };
}

describe("nnchip's own files in an output folder", () => {
  test.each([
    ['a FIFO', (p: string) => spawnSync('mkfifo', [p])],
    ['a link to /dev/zero', (p: string) => symlinkSync('/dev/zero', p)],
  ])('a marker that is %s: the folder is not nnchip\'s (NN551), at once', (_, plant) => {
    const out = join(fresh(), 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'program.nnp'), 'x');
    plant(join(out, '.nnchip-output'));
    const r = lower(out);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/^(warning.*\n)*error NN551: .*no readable \.nnchip-output inside/);
  });

  test('a listed file grown past 2 GiB (sparse) is "changed" (NN551), hashed a piece at a time: it was NN559 ERR_FS_FILE_TOO_LARGE, and 1.5 GB read whole', () => {
    const out = join(fresh(), 'out');
    expect(lower(out).code).toBe(0);
    spawnSync('truncate', ['-s', String(2 ** 31 + 1), join(out, 'program.asm')]); // sparse: no disk used
    expect(() => checkOutput(out, 'folder')).toThrow(expect.objectContaining({ code: 'NN551', detail: expect.stringMatching(/program\.asm was changed after nnchip wrote it/) }));
  }, 60_000);

  test('a manifest or a journal that is a FIFO: one error or a normal write, never a wait', () => {
    const dir = fresh();
    spawnSync('mkfifo', [join(dir, '.nnchip-outputs')]);
    const r1 = spawnSync(process.execPath, [BIN, 'wasm', TINY, '-o', join(dir, 'm.wasm'), '--input-range', '0,1'], { cwd: work, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    expect(r1.status, r1.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, '.nnchip-outputs'), 'utf8')).files).toHaveProperty('m.wasm');
    spawnSync('mkfifo', [join(dir, '.nnchip-journal')]);
    const r2 = lower(join(dir, 'out'));
    expect(r2.code, r2.stderr).toBe(6);
    expect(r2.stderr).toMatch(/error NN553: .*\.nnchip-journal: is not a journal nnchip wrote/);
  });

  test('readOwnFile: missing is null, anything but a small regular file is empty, a file its text', () => {
    const dir = fresh();
    expect(readOwnFile(join(dir, 'none'))).toBeNull();
    symlinkSync('/dev/zero', join(dir, 'zero'));
    expect(readOwnFile(join(dir, 'zero'))).toBe('');
    mkdirSync(join(dir, 'folder'));
    expect(readOwnFile(join(dir, 'folder'))).toBe('');
    writeFileSync(join(dir, 'f'), '{"a":1}');
    expect(readOwnFile(join(dir, 'f'))).toBe('{"a":1}');
  });

  // names a journal may not use: outside the folder, the folder itself, not a name at all
  const badName = fc.oneof(fc.constantFrom('../victim', '..', '.', '', '/tmp/x', 'a/b', 'a\\b', 'x\0y'), fc.string().filter((s) => s === '' || s.includes('/') || s === '..'), fc.integer(), fc.constant(null));
  const entry = fc.record({ staged: fc.constant('.nnchip-new-h.1-1'), final: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^[a-z]+$/.test(s)), backup: fc.constant('.nnchip-old-h.1-1') });
  const field = fc.constantFrom('staged', 'final', 'backup');

  test('a journal with any entry naming a path outside its folder is refused, and nothing is renamed', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 3 }), fc.nat(), field, badName, (entries, at, key, bad) => {
        const root = fresh();
        const folder = join(root, 'out');
        mkdirSync(folder);
        writeFileSync(join(root, 'victim'), 'precious');
        writeFileSync(join(folder, '.nnchip-new-h.1-1'), 'staged');
        const damaged = entries.map((e, i) => (i === at % entries.length ? { ...e, [key]: bad } : e));
        writeFileSync(join(folder, '.nnchip-journal'), JSON.stringify({ owner: 'h.1', entries: damaged }));
        const before = readdirSync(folder).sort();
        let error: unknown;
        try {
          writeFileAtomic(join(folder, 'new.txt'), 'new');
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(NnchipError);
        expect((error as NnchipError).code).toBe('NN553');
        expect(readdirSync(folder).sort()).toEqual(before);
        expect(readFileSync(join(root, 'victim'), 'utf8')).toBe('precious');
        expect(existsSync(join(folder, 'new.txt'))).toBe(false);
      }),
      { numRuns: 40, seed: 14 },
    );
  });

  test('a journal nnchip wrote (renames within the folder) is still rolled forward', () => {
    const folder = fresh();
    writeFileSync(join(folder, '.nnchip-new-h.1-1'), 'rolled forward');
    writeFileSync(join(folder, '.nnchip-journal'), JSON.stringify({ owner: 'h.1', entries: [{ staged: '.nnchip-new-h.1-1', final: 'done.txt', backup: '.nnchip-old-h.1-1' }] }));
    writeFileAtomic(join(folder, 'other.txt'), 'new');
    expect(readFileSync(join(folder, 'done.txt'), 'utf8')).toBe('rolled forward');
    expect(existsSync(join(folder, '.nnchip-journal'))).toBe(false);
  });
});
