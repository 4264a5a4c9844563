/** `nnchip wasm` and `nnchip run --backend wasm`, spawned as a user runs them. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { emitWasm } from '../../../../src/backends/wasm/emit.js';
import { calibrationSamples, compileDigitsMlp, DIGITS_MLP } from '../../../helpers/compile.js';
import { nnchip } from '../../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-wasm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nnchip wasm', () => {
  test('writes the module, loader and types; the module is the library build, byte for byte', async () => {
    const out = join(dir, 'digits.wasm');
    const r = nnchip(['wasm', DIGITS_MLP, '-o', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { wasm: string; loader: string; types: string; simd: boolean; pages: number };
    expect(summary).toMatchObject({ wasm: out, loader: join(dir, 'digits.mjs'), types: join(dir, 'digits.d.mts'), simd: true });
    const { program } = compileDigitsMlp();
    expect(new Uint8Array(readFileSync(out))).toEqual(emitWasm(program, { simd: true }));
    expect(readFileSync(join(dir, 'digits.d.mts'), 'utf8')).toContain('export declare function load');
    const loader = (await import(pathToFileURL(summary.loader).href)) as { load(): Promise<{ run(x: Float32Array): Float32Array }> };
    expect((await loader.load()).run(calibrationSamples()[0]!)).toHaveLength(10);
  });

  test('--no-simd writes the scalar build; a lowered program folder is accepted too', () => {
    const lowered = join(dir, 'digits.nnchip');
    expect(nnchip(['lower', DIGITS_MLP, '-o', lowered]).code).toBe(0);
    const out = join(dir, 'scalar.wasm');
    const r = nnchip(['wasm', lowered, '-o', out, '--no-simd']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scalar/);
    expect(new Uint8Array(readFileSync(out))).toEqual(emitWasm(compileDigitsMlp().program, { simd: false }));
  });

  test('-o must name a .wasm file; nothing is written', () => {
    const r = nnchip(['wasm', DIGITS_MLP, '-o', join(dir, 'model.js')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NN801/);
    expect(existsSync(join(dir, 'model.js'))).toBe(false);
  });
});

describe('nnchip run --backend wasm', () => {
  test('raw outputs equal the reference back end', () => {
    const input = join(dir, 'inputs.json');
    writeFileSync(input, JSON.stringify(calibrationSamples().slice(0, 4).map((x) => Array.from(x))));
    const [wasm, ref] = ['wasm', 'ref'].map((backend) => nnchip(['run', DIGITS_MLP, '--input', input, '--backend', backend, '--json']));
    expect(wasm!.code).toBe(0);
    const raw = (r: { stdout: string }): unknown => (JSON.parse(r.stdout) as { raw: unknown }).raw;
    expect(raw(wasm!)).toEqual(raw(ref!));
  });
});
