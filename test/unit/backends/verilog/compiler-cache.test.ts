// SPDX-License-Identifier: MIT
/**
 * Verilator builds compile through ccache when it is there and can write its cache (tools.ts
 * compilerCache); OBJCACHE in the environment is the user's choice and is left to Verilator's make.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { compilerCache } from '../../../../src/backends/verilog/tools.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-ccache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder on PATH holding a `ccache` that reports `cacheDir` as its cache folder. */
function fakeCcache(name: string, cacheDir: string): string {
  const bin = join(work, name);
  mkdirSync(bin);
  writeFileSync(join(bin, 'ccache'), `#!/bin/sh\n[ "$1" = --get-config ] && [ "$2" = cache_dir ] && echo '${cacheDir}'\n`);
  chmodSync(join(bin, 'ccache'), 0o755);
  return bin;
}

describe('the compiler cache of a Verilator build', () => {
  test('ccache on PATH whose cache folder can be made: used', () => {
    const bin = fakeCcache('usable', join(work, 'not-yet', 'cache'));
    expect(compilerCache({ PATH: bin })).toBe(join(bin, 'ccache'));
  });

  test('no ccache on PATH: none', () => {
    mkdirSync(join(work, 'empty'));
    expect(compilerCache({ PATH: join(work, 'empty') })).toBeNull();
  });

  test('OBJCACHE set (even empty): Verilator\'s make reads it, nnchip adds none', () => {
    const bin = fakeCcache('set', join(work, 'cache-set'));
    expect(compilerCache({ PATH: bin, OBJCACHE: '' })).toBeNull();
    expect(compilerCache({ PATH: bin, OBJCACHE: 'sccache' })).toBeNull();
  });

  test('a cache folder it cannot make (below a file): none, since ccache would fail the build', () => {
    writeFileSync(join(work, 'a-file'), '');
    const bin = fakeCcache('blocked', join(work, 'a-file', 'cache'));
    expect(compilerCache({ PATH: bin })).toBeNull();
  });

  test('a ccache that reports no cache folder: none', () => {
    const bin = fakeCcache('silent', '');
    expect(compilerCache({ PATH: bin })).toBeNull();
  });
});
