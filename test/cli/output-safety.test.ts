// SPDX-License-Identifier: MIT
/**
 * Nothing of the user's is ever lost: `-o` replaces only what nnchip wrote (or, with --force, what
 * is not an input's), never an input's folder or its ancestors; every file-system refusal on the
 * output side is one line with a documented code and exit 6 — never NN901 / exit 70.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../src/diagnostics/codes.js';
import { outputFsError } from '../../src/util/output-paths.js';
import { BIN, nnchip, REPO } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-output-safety-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// a private copy of the digits MLP, so the tests can check nothing of it is touched
const model = join(work, 'm');
cpSync(join(REPO, 'examples/digits-mlp'), model, { recursive: true });
const MODEL = join(model, 'model.json');
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, (() => { try { return readFileSync(join(dir, f), 'base64'); } catch { return '<dir>'; } })()]));
const modelBefore = snapshot(model);

/** The single error line, its code, and the exit code 6. */
function expectOutputError(r: { code: number; stderr: string }, code: string, path?: string): void {
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: `));
  if (path !== undefined) expect(lines[0]).toContain(path);
  expect(r.stderr).not.toMatch(/NN901|at .*\.js:\d+/);
  expect(r.code, r.stderr).toBe(EXIT.output);
}

describe('what -o may replace', () => {
  test('lower m/model.json -o m (the model folder) is refused and deletes nothing, even with --force', () => {
    for (const extra of [[], ['--force']]) expectOutputError(nnchip(['lower', MODEL, '-o', model, ...extra]), 'NN552', model);
    // an ancestor of the model folder, and the current folder
    expectOutputError(nnchip(['lower', MODEL, '-o', work, '--force']), 'NN552', work);
    expectOutputError(nnchip(['lower', MODEL, '-o', '.', '--force'], { cwd: join(work) }), 'NN552');
    // an input file itself, for a single-file output
    expectOutputError(nnchip(['report', MODEL, '-o', MODEL, '--force']), 'NN552', MODEL);
    expect(snapshot(model)).toEqual(modelBefore);
  });

  test('an existing folder nnchip did not write is refused; --force replaces it; nnchip replaces its own folder freely', () => {
    const user = join(work, 'user-folder');
    mkdirSync(user);
    writeFileSync(join(user, 'thesis.tex'), 'precious');
    expectOutputError(nnchip(['lower', MODEL, '-o', user]), 'NN551', user);
    expect(readFileSync(join(user, 'thesis.tex'), 'utf8')).toBe('precious');
    expect(nnchip(['lower', MODEL, '-o', user, '--force']).code).toBe(0);
    expect(readdirSync(user).sort()).toEqual(['.nnchip-output', 'memory-map.json', 'program.asm', 'program.nnp', 'summary.json']);
    // now it is nnchip's: a second run replaces it without --force; so does an empty folder
    expect(nnchip(['lower', MODEL, '-o', user, '--array', '4x4']).code).toBe(0);
    // ... unless something of the user's went into it: a new file, or an edit of nnchip's files
    writeFileSync(join(user, 'notes.txt'), 'mine');
    expectOutputError(nnchip(['lower', MODEL, '-o', user]), 'NN551', 'notes.txt');
    rmSync(join(user, 'notes.txt'));
    writeFileSync(join(user, 'program.asm'), readFileSync(join(user, 'program.asm'), 'utf8') + '; my comment\n');
    expectOutputError(nnchip(['lower', MODEL, '-o', user]), 'NN551', 'program.asm was changed');
    expect(readFileSync(join(user, 'program.asm'), 'utf8')).toMatch(/my comment/);
    expect(nnchip(['lower', MODEL, '-o', user, '--force']).code).toBe(0);
    // what the generated flows make goes into build/ folders, which a new run may replace
    mkdirSync(join(user, 'iverilog', 'build'), { recursive: true });
    writeFileSync(join(user, 'iverilog', 'build', 'tb_top.vvp'), 'made by make sim');
    expect(nnchip(['lower', MODEL, '-o', user]).code).toBe(0);
    mkdirSync(join(work, 'empty'));
    expect(nnchip(['lower', MODEL, '-o', join(work, 'empty')]).code).toBe(0);
    // a symbolic link is replaced itself (with --force), never what it points to
    const target = join(work, 'link-target');
    mkdirSync(target);
    writeFileSync(join(target, 'data.txt'), 'kept');
    symlinkSync(target, join(work, 'link'));
    expectOutputError(nnchip(['lower', MODEL, '-o', join(work, 'link')]), 'NN551');
    expect(nnchip(['lower', MODEL, '-o', join(work, 'link'), '--force']).code).toBe(0);
    expect(readdirSync(target)).toEqual(['data.txt']);
    expect(readdirSync(join(work, 'link'))).toContain('program.nnp');
    // inside the model's folder --force does not apply to what nnchip did not write
    mkdirSync(join(model, 'notes'));
    writeFileSync(join(model, 'notes', 'a.txt'), 'mine');
    expectOutputError(nnchip(['lower', MODEL, '-o', join(model, 'notes'), '--force']), 'NN552');
    expect(readFileSync(join(model, 'notes', 'a.txt'), 'utf8')).toBe('mine');
    rmSync(join(model, 'notes'), { recursive: true });
  });

  test('single files: an unchanged nnchip output is replaced, a user file or an edited output only with --force', () => {
    const report = join(work, 'report.html');
    writeFileSync(report, 'my own page');
    expectOutputError(nnchip(['report', MODEL, '-o', report]), 'NN551', report);
    expect(readFileSync(report, 'utf8')).toBe('my own page');
    expect(nnchip(['report', MODEL, '-o', report, '--force']).code).toBe(0);
    expect(nnchip(['report', MODEL, '-o', report, '--array', '4x4']).code).toBe(0);
    writeFileSync(report, readFileSync(report, 'utf8') + '<!-- my edit -->');
    expectOutputError(nnchip(['report', MODEL, '-o', report]), 'NN551', report);
    expect(readFileSync(report, 'utf8')).toMatch(/my edit/);
    // wasm: refused when any file of its set is someone else's, and then none is written
    const wasm = join(work, 'w', 'net.wasm');
    mkdirSync(join(work, 'w'));
    writeFileSync(join(work, 'w', 'net.mjs'), 'user code');
    expectOutputError(nnchip(['wasm', MODEL, '-o', wasm]), 'NN551', 'net.mjs');
    expect(readdirSync(join(work, 'w'))).toEqual(['net.mjs']);
  });

  test('a file where a folder is expected, and a folder where a file is expected', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    expectOutputError(nnchip(['lower', MODEL, '-o', file, '--force']), 'NN553', file);
    expectOutputError(nnchip(['lower', MODEL, '-o', join(file, 'sub')]), 'NN553');
    const folder = join(work, 'a-folder');
    mkdirSync(folder);
    expectOutputError(nnchip(['report', MODEL, '-o', folder, '--force']), 'NN553', folder);
    expectOutputError(nnchip(['explore', MODEL, '--arrays', '4x4', '--sram-kib', '64', '--bandwidth', '8', '--out', file]), 'NN553');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});

describe('file-system refusals are one line, exit 6', () => {
  test("-o '', a name too long, a symbolic-link loop, /proc (fails fast, no spinning), /sys", () => {
    expectOutputError(nnchip(['lower', MODEL, '-o', '']), 'NN556');
    expectOutputError(nnchip(['report', MODEL, '-o', join(work, 'x'.repeat(300))]), 'NN556', 'ENAMETOOLONG');
    symlinkSync(join(work, 'loop-b'), join(work, 'loop-a'));
    symlinkSync(join(work, 'loop-a'), join(work, 'loop-b'));
    expectOutputError(nnchip(['lower', MODEL, '-o', join(work, 'loop-a', 'out')]), 'NN556', 'ELOOP');
    // Node's recursive mkdir spun forever here: mkdir under /proc says ENOENT while /proc exists
    expectOutputError(nnchip(['lower', MODEL, '-o', '/proc/nnchip-out']), 'NN556', '/proc/nnchip-out');
    expectOutputError(nnchip(['report', MODEL, '-o', '/proc/nnchip-out/r.html']), 'NN556');
    expectOutputError(nnchip(['lower', MODEL, '-o', '/sys/nnchip-out']), 'NN554', '/sys/nnchip-out');
  });

  test.skipIf(process.getuid?.() === 0)('a folder without write permission (not testable as root)', () => {
    const locked = join(work, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      expectOutputError(nnchip(['lower', MODEL, '-o', join(locked, 'out')]), 'NN554', 'EACCES');
      expectOutputError(nnchip(['report', MODEL, '-o', join(locked, 'r.html')]), 'NN554', 'EACCES');
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  test('a missing or unusable TMPDIR (the RTL back end needs a temporary folder)', () => {
    const input = join(work, 'digit.json');
    writeFileSync(input, JSON.stringify([new Array(784).fill(0)]));
    for (const tmp of [join(work, 'no-such-tmp'), join(work, 'a-file-tmp')]) {
      writeFileSync(join(work, 'a-file-tmp'), '');
      const r = nnchip(['run', MODEL, '--input', input, '--backend', 'rtl'], { env: { TMPDIR: tmp } });
      expectOutputError(r, 'NN558', tmp);
    }
  });

  test('the standard output on a full disk (`> /dev/full`): one NN555 line and exit 6 (it was an uncaught ENOSPC with a stack trace)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['isa'], ['run', MODEL, '--input', join(model, 'calibration.json')]]) {
        const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 120_000 });
        expectOutputError({ code: r.status ?? -1, stderr: r.stderr }, 'NN555', 'standard output');
      }
    } finally {
      closeSync(full);
    }
  });

  test('every errno on the output side maps to a one-line NN55x error with exit 6 naming the path', () => {
    const codes = ['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'EISDIR', 'ENOTDIR', 'EBUSY', 'ENOSPC', 'EDQUOT', 'ENOTEMPTY', 'ENAMETOOLONG', 'ELOOP', 'ENOENT', 'EIO', 'EMFILE'];
    for (const code of codes) {
      const e = outputFsError(Object.assign(new Error(`${code}: fake`), { code }), '/some/out', 'cannot write');
      expect(e.code, code).toMatch(/^NN55\d$/);
      expect(e.exitCode, code).toBe(EXIT.output);
      const line = e.format();
      expect(line, code).toContain('/some/out');
      expect(line.split('\n'), code).toHaveLength(1);
    }
    expect(outputFsError(Object.assign(new Error('x'), { code: 'ENOSPC' }), 'p', 'w').code).toBe('NN555');
    expect(outputFsError(Object.assign(new Error('x'), { code: 'EROFS' }), 'p', 'w').detail).toMatch(/read-only/);
  });
});
