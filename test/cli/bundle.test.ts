// SPDX-License-Identifier: MIT
/**
 * bin/nnchip.mjs runs the CLI bundle (src/cli/bundle.ts: one script of the CLI's modules compiled
 * as CommonJS, with a V8 code cache; global-setup builds it as `npm run build` does) when it is
 * fresh, and the ES modules of dist/ otherwise. Both print the same bytes and exit with the same
 * codes; a bundle that any module of dist/ has changed under (a `tsc` build of other sources since)
 * or whose cache is gone is not run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { makeConfig } from '../../src/isa/config.js';
import { serializeProgram } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { BIN, REPO } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-bundle-'));
const program = join(dir, 'p.nnp');
writeFileSync(program, serializeProgram(compile(randomMlp([12, 9, 4], 31), { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples: randomSamples(8, 12, 32) } }).program));

/** One CLI run of `bin`: exit code, stdout, stderr without the bundle's LOADED lines, and whether the bundle ran. */
function run(bin: string, args: readonly string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string; bundled: boolean } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NNCHIP_TRACE_MODULES: '1', ...env }, timeout: 120_000 });
  const loaded = /^LOADED .*\n/gm;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(loaded, ''), bundled: loaded.test(r.stderr) };
}

test('the bundle and the ES modules print the same bytes and exit codes', () => {
  const out = (name: string) => join(dir, name);
  const cases: string[][] = [
    ['--version'],
    ['sim', '--help'],
    ['sim', program],
    ['sim', program, '--json'],
    ['sim', program, '--prove', '--samples', '3', '--json', '--out', out('cert')],
    ['sim', program, '--max-cycles', '1'],
    ['sim', join(dir, 'missing.nnp')],
    ['sim', program, '--mode', 'sideways'],
    ['run', program, '--backend', 'sim', '--json', '--input', out('x.json')],
    ['disasm', program],
  ];
  writeFileSync(out('x.json'), JSON.stringify({ inputs: randomSamples(2, 12, 33) }));
  for (const args of cases) {
    const bundled = run(BIN, args);
    const modules = run(BIN, args, { NNCHIP_BUNDLE: '0' });
    expect(bundled.bundled, args.join(' ')).toBe(true);
    expect(modules.bundled).toBe(false);
    expect({ ...bundled, bundled: null }, args.join(' ')).toEqual({ ...modules, bundled: null });
  }
  // the certificate --prove wrote (the second run overwrote the first's): the same as a bundled run writes
  const cert = readFileSync(out('cert/certificate.json'), 'utf8');
  run(BIN, ['sim', program, '--prove', '--samples', '3', '--out', out('cert')]);
  expect(readFileSync(out('cert/certificate.json'), 'utf8')).toBe(cert);
}, 120_000);

test('the files the bundle writes are the ES modules\' bytes (lower, and wasm\'s loader, which copies functions\' source text)', () => {
  const model = join(REPO, 'examples/digits-mlp/model.json');
  const written = (mode: string, env: Record<string, string>): Map<string, string> => {
    const out = join(dir, `written-${mode}`);
    for (const args of [['lower', model, '-o', join(out, 'lowered')], ['wasm', program, '-o', join(out, 'digits.wasm')]]) {
      const r = run(BIN, args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.bundled).toBe(mode === 'bundled');
    }
    const files = new Map<string, string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : files.set(join(d, e.name).slice(out.length), readFileSync(join(d, e.name), 'latin1'));
    };
    walk(out);
    return files;
  };
  const bundled = written('bundled', {});
  expect([...bundled.keys()].sort()).toEqual(expect.arrayContaining(['/digits.mjs', '/digits.wasm', '/lowered/program.nnp']));
  expect(bundled).toEqual(written('modules', { NNCHIP_BUNDLE: '0' }));
}, 120_000);

test('a bundle older than a module of dist/, or without its cache, is not run', () => {
  // a copy of the built tree (timestamps kept: the manifest records them)
  const tree = mkdtempSync(join(tmpdir(), 'nnchip-bundle-tree-'));
  try {
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO, part), join(tree, part), { recursive: true, preserveTimestamps: true });
    symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'));
    const bin = join(tree, 'bin/nnchip.mjs');
    const expected = run(BIN, ['sim', program, '--json'], { NNCHIP_BUNDLE: '0' }).stdout;
    const fresh = run(bin, ['sim', program, '--json']);
    expect(fresh.bundled).toBe(true);
    expect(fresh.stdout).toBe(expected);
    // a tsc build writes every module: the same bytes at a new time are the same module
    const trace = join(tree, 'dist/sim/trace.js');
    const later = new Date(Date.now() + 5_000);
    utimesSync(trace, later, later);
    expect(run(bin, ['sim', program, '--json']).bundled).toBe(true);
    // other bytes of the same length at a new time are not (a comment's letter changed)
    writeFileSync(trace, readFileSync(trace, 'utf8').replace('// SPDX', '// SPDY'));
    utimesSync(trace, later, later);
    const stale = run(bin, ['sim', program, '--json']);
    expect(stale.bundled).toBe(false);
    expect(stale.stdout).toBe(expected);
    cpSync(join(REPO, 'dist/sim/trace.js'), trace, { preserveTimestamps: true });
    expect(run(bin, ['sim', program, '--json']).bundled).toBe(true);
    rmSync(join(tree, 'dist/src/cli/cli.bundle.cache'));
    const uncached = run(bin, ['sim', program, '--json']);
    expect(uncached.bundled).toBe(false);
    expect(uncached.stdout).toBe(expected);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}, 120_000);

test('V8 takes the code cache: the build made it under the flag a run sets (bundle.ts V8_TUNING), and a run given its own interrupt budget keeps it', () => {
  const cache = (args: readonly string[], nodeFlags: readonly string[] = []): string => {
    const r = spawnSync(process.execPath, [...nodeFlags, BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NNCHIP_TRACE_CACHE: '1' }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return /^CODE CACHE (\w+)$/m.exec(r.stderr)?.[1] ?? 'not compiled';
  };
  expect(cache(['sim', program])).toBe('accepted');
  expect(cache(['--version'])).toBe('accepted');
  // another budget on node's command line is node's to keep (V8 then refuses the cache: other flags)
  expect(cache(['--version'], ['--interrupt-budget=1000'])).toBe('rejected');
});

test('tuneV8 leaves an interrupt budget node was given alone', async () => {
  const { tuneV8 } = await import('../../src/cli/bundle.js');
  expect(tuneV8(['--interrupt-budget=1000'])).toBe(false);
  expect(tuneV8(['--interrupt_budget', '1000'])).toBe(false);
  expect(tuneV8(['--max-old-space-size=100'])).toBe(true);
});
