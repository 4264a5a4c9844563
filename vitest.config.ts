import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker on a 2-core machine; most heavy files wait on child processes (yosys, nextpnr, vvp)
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
