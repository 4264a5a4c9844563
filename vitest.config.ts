import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Test files under `dir` (relative paths). */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

// A file that replaces modules (vi.mock, vi.doMock) needs modules of its own: it runs isolated, in a
// fresh module graph. Every other file shares its worker's modules with the files before it, which
// saves each file the import of nnchip's modules again (test/unit: 131 → 63 s on 2 cores); such a file
// must leave what it changes (process.env, exported settings) as it found it.
const MOCKING = testFiles('test').filter((file) => /\bvi\.(do)?[mM]ock\(/.test(readFileSync(file, 'utf8')));

// what both projects run with (the root's globalSetup, the build, runs once for both)
const common = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    // vitest's default is one worker on a 2-core machine; most heavy files wait on child processes (yosys, nextpnr, vvp)
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      { test: { ...common, name: 'shared', include: ['test/**/*.test.ts'], exclude: MOCKING, isolate: false } },
      { test: { ...common, name: 'isolated', include: MOCKING, isolate: true } },
    ],
  },
});
