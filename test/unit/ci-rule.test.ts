/** One "are we in CI" rule for every test that skips on a missing tool; CI=false and CI= are not CI. And no test times itself. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isCi } from '../helpers/ci.js';

const TEST = resolve(import.meta.dirname, '..');

/** The test sources below `dir`; a symbolic link is not followed (test/bad-inputs holds a link loop on purpose). */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? testFiles(path) : e.isFile() && /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

describe('the CI rule', () => {
  test('CI=true and CI=1 are CI; unset, empty and CI=false are not', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({})).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({ CI: 'false' })).toBe(false);
  });

  test('no test reads the CI variable itself', () => {
    const own = join(TEST, 'helpers', 'ci.ts');
    const readers = testFiles(TEST).filter((f) => f !== own && /env(\.CI\b|\[['"]CI['"]\])/.test(readFileSync(f, 'utf8')));
    expect(readers).toEqual([]);
  });

  test('no test asserts a wall-clock time (speed goals live in bench/, which prints figures and ratios)', () => {
    const own = join(TEST, 'unit', 'ci-rule.test.ts');
    // an expect of a clock difference: expect(performance.now() - start).toBeLessThan(…), or of a variable a clock set
    const clocked = /expect\(\s*(performance\.now\(\)|Date\.now\(\)|process\.hrtime)/;
    const timers = testFiles(TEST).filter((f) => f !== own && clocked.test(readFileSync(f, 'utf8')));
    expect(timers).toEqual([]);
  });
});
