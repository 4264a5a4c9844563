/**
 * Every hostile fixture gets exactly its expected one-line error and exit code, and nothing is
 * written. Fixtures: test/bad-inputs/<case>/ (made by generate.mjs); UPDATE_EXPECTED=1 rewrites
 * expected.txt, whose diff is then reviewed like any golden file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/context.js';

const ROOT = import.meta.dirname;
const CASES = readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory());

describe('bad inputs', () => {
  test.each(CASES)('%s', async (name) => {
    const dir = join(ROOT, name);
    const work = mkdtempSync(join(tmpdir(), `nnchip-bad-${name}-`));
    const out = join(work, 'out.nnchip');
    const args = (JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')) as string[]).map((a) => a.replace('$DIR', dir).replace('$OUT', out));
    const io = captureIo();
    const code = await main(args, io);
    const stderr = io.err.join('');
    const actual = `exit ${code}\n${stderr.replaceAll(dir, '$DIR')}`;
    const expectedPath = join(dir, 'expected.txt');
    if (process.env['UPDATE_EXPECTED'] === '1') writeFileSync(expectedPath, actual);
    expect(actual).toBe(readFileSync(expectedPath, 'utf8'));
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1); // one line, no stack trace
    expect(stderr).not.toMatch(/internal error|    at /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual([]); // no temporary leftovers either
  });
});
