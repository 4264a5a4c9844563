/**
 * Colour follows the conventions a terminal user expects: FORCE_COLOR (0/false off, else on) beats
 * NO_COLOR and TERM=dumb, and otherwise each stream is styled only when it is a terminal — stderr
 * by its own terminal, not stdout's. --json output is never styled.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { colorWanted } from '../../src/cli/context.js';
import { BIN, REPO } from '../helpers/cli.js';

const ESC = '\x1b[';
const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');

/** The CLI on pipes (never a terminal), with exactly these colour variables set. */
function run(args: readonly string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['FORCE_COLOR', 'NO_COLOR', 'TERM', 'CLICOLOR_FORCE'].includes(k)));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...base, ...env }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('colorWanted', () => {
  test.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true], // no-color.org: only a value turns colour off
    [true, { TERM: 'dumb' }, false],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '' }, true],
    [false, { FORCE_COLOR: '3' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { FORCE_COLOR: 'false' }, false],
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ] as const)('tty %s, env %j → %s', (tty, env, expected) => {
    expect(colorWanted(tty, env)).toBe(expected);
  });
});

describe('the CLI on pipes', () => {
  test('no colour variables: no escape codes on stdout or stderr', () => {
    const ok = run(['isa'], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain(ESC);
    const bad = run(['lower', 'nope.json'], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error NN101: /);
    expect(bad.stderr).not.toContain(ESC);
  });

  test('FORCE_COLOR=1 styles both streams; NO_COLOR does not override it', () => {
    for (const env of [{ FORCE_COLOR: '1' }, { FORCE_COLOR: '1', NO_COLOR: '1' }]) {
      expect(run(['isa'], env).stdout).toContain(`${ESC}1m`);
      expect(run(['lower', 'nope.json'], env).stderr).toMatch(/^\x1b\[31merror NN101: /);
    }
  });

  test('FORCE_COLOR=0 and NO_COLOR turn it off', () => {
    for (const env of [{ FORCE_COLOR: '0' }, { NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      expect(run(['isa'], env).stdout).not.toContain(ESC);
      expect(run(['lower', 'nope.json'], env).stderr).not.toContain(ESC);
    }
  });

  test('--json is plain even when colour is forced: results and errors parse', () => {
    const ok = run(['run', TINY, '--input', join(REPO, 'examples/tiny/calibration.json'), '--json'], { FORCE_COLOR: '1' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain(ESC);
    expect(JSON.parse(ok.stdout).backend).toBe('ref');
    const bad = run(['lower', 'nope.json', '--json'], { FORCE_COLOR: '1' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error.code).toBe('NN101');
  });
});
