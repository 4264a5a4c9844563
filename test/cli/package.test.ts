/**
 * The npm package as a user gets it: `npm pack` (prepack builds dist), installed into an empty folder,
 * then `npx nnchip lower` on shipped examples and the README's library snippet, run as written.
 * Packs a copy of the repository so that rebuilding dist/ cannot disturb other tests using it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO } from '../helpers/cli.js';

const TIMEOUT = 600_000;
const work = mkdtempSync(join(tmpdir(), 'nnchip-package-'));
const source = join(work, 'source');
const user = join(work, 'user');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: TIMEOUT, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  if (r.error !== undefined) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The README's "## Library" code block, as written. */
function librarySnippet(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /\n## Library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'a ```ts block under "## Library" in README.md').toBeDefined();
  return block!;
}

let tarball = '';
let packWarnings = '';

beforeAll(() => {
  const skip = new Set(['node_modules', 'dist', 'out', '.git']);
  cpSync(REPO, source, { recursive: true, filter: (src) => !skip.has(src.slice(REPO.length).split('/').filter(Boolean)[0] ?? '') || src === REPO });
  symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir'); // tsc for prepack
  mkdirSync(user);
  const pack = run(npm, ['pack', '--json', '--pack-destination', work], source);
  ok(pack, 'npm pack');
  packWarnings = pack.stderr;
  tarball = join(work, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'nnchip-user', private: true, type: 'module' }));
  ok(run(npm, ['install', tarball, '--no-audit', '--no-fund', '--omit=optional'], user), 'npm install of the tarball');
}, TIMEOUT);

describe('the npm package', () => {
  test('npm reads the project config without warnings', () => {
    expect(packWarnings).not.toMatch(/Unknown (project|user|env) config/);
  });

  test('ships dist, a LICENSE and the example models, not scripts that need dev dependencies', () => {
    const pkg = join(user, 'node_modules', 'nnchip');
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} nnchip authors\n/);
    expect(existsSync(join(pkg, 'dist', 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'examples', 'tiny', 'calibration.json'))).toBe(true);
    const shipped = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shipped(join(dir, e.name)) : [e.name]));
    expect(shipped(join(pkg, 'examples')).filter((f) => /\.(mjs|py|d\.mts)$/.test(f))).toEqual([]);
  });

  test.each([['examples/digits-mlp', 'digits-mlp.nnchip'], ['examples/tiny/tiny.nnchip.json', 'tiny.nnchip'], ['examples/digits-onnx/model.onnx', 'digits-onnx.nnchip']])(
    'npx nnchip lower %s',
    (example, out) => {
      ok(run('npx', ['--no-install', 'nnchip', 'lower', join('node_modules', 'nnchip', example)], user), `npx nnchip lower ${example}`);
      expect(existsSync(join(user, out, 'program.nnp'))).toBe(true);
    },
    TIMEOUT,
  );

  test("the README's library snippet runs as written", () => {
    const prelude = [
      "import { readFileSync as readForTest } from 'node:fs';",
      "process.chdir(new URL('./node_modules/nnchip/examples/digits-mlp/', import.meta.url).pathname);",
      "const samples = JSON.parse(readForTest('calibration.json', 'utf8')).inputs.slice(0, 20).map((s) => Float32Array.from(s.flat(Infinity)));",
      'const sample = samples[0];',
    ].join('\n');
    writeFileSync(join(user, 'snippet.mjs'), `${prelude}\n${librarySnippet()}\nconsole.log(JSON.stringify(Array.from(codes)));\n`);
    const codes = JSON.parse(ok(run(process.execPath, ['snippet.mjs'], user), 'the README snippet')) as number[];
    expect(codes).toHaveLength(10); // the digits MLP's ten logits, as int8 codes
    for (const c of codes) expect(Number.isInteger(c) && c >= -128 && c <= 127).toBe(true);
  });
});
