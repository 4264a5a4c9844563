/**
 * Builds dist/ once before the suite, so tests that spawn bin/nnchip.mjs run the current sources:
 * tsc, then the CLI bundle and its code cache (scripts/bundle-cli.mjs, as `npm run build`), which
 * bin/nnchip.mjs runs when fresh (test/cli/bundle.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // The CLI colours its output when FORCE_COLOR says so (README); a CI that sets it must not colour the
  // lines the tests read, so no test process inherits it (test/cli/color.test.ts sets it itself).
  delete process.env['FORCE_COLOR'];
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  // tsc emits even when it reports type errors; `npm test` type-checks separately and fails on them.
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
  } catch {
    process.stderr.write('global-setup: tsc reported type errors (see `npm run typecheck`); testing what it emitted\n');
  }
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/bundle-cli.mjs', import.meta.url))], { stdio: 'pipe' });
}
