/**
 * `nnchip wasm` writes model.mjs + model.d.mts: TypeScript finds the types for `import … from './model.mjs'`
 * under both nodenext and bundler module resolution (a model.d.ts beside a .mjs is not found: TS7016).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';

/** The project's own TypeScript (a dev dependency), by its package.json: its exports do not list bin/. */
const TSC = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

const CONSUMER = `import { load, inputShape, type Net } from './model.mjs';
const net: Net = await load();
const out: Float32Array = net.run(new Float32Array(net.input.length));
const codes: Int8Array = net.runRaw(net.quantize([0, 0, 0, 0]));
// @ts-expect-error run takes numbers, not a string: proves the types were found (an untyped module would accept it)
net.run('four numbers');
export const seen: number = out.length + codes.length + inputShape.length;
`;

const RESOLUTIONS = [
  { name: 'nodenext', options: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'bundler', options: { module: 'esnext', moduleResolution: 'bundler' } },
] as const;

describe('nnchip wasm types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-wasm-types-'));
  const r = nnchip(['wasm', join(REPO, 'examples/tiny/tiny.nnchip.json'), '-o', join(dir, 'model.wasm'), '--json']);

  test('the types are written as model.d.mts beside model.mjs', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ loader: join(dir, 'model.mjs'), types: join(dir, 'model.d.mts') });
    expect(existsSync(join(dir, 'model.d.mts'))).toBe(true);
    expect(existsSync(join(dir, 'model.d.ts'))).toBe(false);
  });

  test.each(RESOLUTIONS)('a consumer type-checks with $name resolution', ({ name, options }) => {
    writeFileSync(join(dir, 'consumer.mts'), CONSUMER);
    const config = join(dir, `tsconfig.${name}.json`);
    const compilerOptions = { ...options, target: 'es2022', lib: ['es2022'], types: [], strict: true, noEmit: true, noImplicitAny: true };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: ['consumer.mts'] }));
    const tsc = spawnSync(process.execPath, [TSC, '-p', config], { cwd: dir, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
