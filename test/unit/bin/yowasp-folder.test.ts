// SPDX-License-Identifier: MIT
/**
 * bin/yowasp-folder.mjs copies the folder a @yowasp tool runs in into its virtual file system. Only
 * regular files are read, their sizes summed before any is read: a link to /dev/zero (as a design
 * folder could hold) made the wrapper read without end until the machine ran out of memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs module of the command-line wrappers (no types)
import { FolderError, readTree } from '../../../bin/yowasp-folder.mjs';

const work = mkdtempSync(join(tmpdir(), 'nnchip-yowasp-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('readTree (the folder a @yowasp tool sees)', () => {
  test('regular files and folders are copied; links to devices, FIFOs, dangling links, loops, .git and node_modules are not', () => {
    const dir = join(work, 'design');
    mkdirSync(join(dir, 'rtl'), { recursive: true });
    mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'Makefile'), 'all:\n');
    writeFileSync(join(dir, 'rtl', 'top.v'), 'module top; endmodule\n');
    writeFileSync(join(dir, 'node_modules', 'x', 'big.bin'), 'x');
    symlinkSync('/dev/zero', join(dir, 'zero.hex'));
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling.v'));
    symlinkSync(dir, join(dir, 'rtl', 'loop'));
    symlinkSync(join(dir, 'rtl', 'top.v'), join(dir, 'linked.v'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const tree = readTree(dir) as Record<string, unknown>;
    expect(Object.keys(tree).sort()).toEqual(['Makefile', 'linked.v', 'rtl']);
    const rtl = tree['rtl'] as Record<string, unknown>;
    expect(Object.keys(rtl).sort()).toEqual(['loop', 'top.v']);
    expect(rtl['loop']).toEqual({});
    expect(new TextDecoder().decode(tree['linked.v'] as Uint8Array)).toBe('module top; endmodule\n');
  });

  test('more bytes than the limit is a FolderError before the files are read', () => {
    const dir = join(work, 'big');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.bin'), new Uint8Array(600));
    writeFileSync(join(dir, 'b.bin'), new Uint8Array(600));
    expect(() => readTree(dir, 1000)).toThrow(FolderError);
    expect(() => readTree(dir, 1000)).toThrow(/holds more than .* MiB of files; run it from the design folder/);
    expect(Object.keys(readTree(dir, 1200) as object).sort()).toEqual(['a.bin', 'b.bin']);
  });
});
