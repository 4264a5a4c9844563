#!/usr/bin/env node
// The installed `nnchip` command: runs the compiled CLI (npm ci / npm run build produce dist/):
// the one-script bundle with its code cache when it is built and fresh (src/cli/bundle.ts), else
// the ES modules.
import { bundledMain } from '../dist/src/cli/bundle.js';

// `nnchip ... | head` closes the pipe early: that is not an error. Any other failure to write the
// standard output (`> file` on a full disk: ENOSPC) is one error line and exit 6 (output not
// written), as for an -o path; it was an uncaught exception with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  const code = ['ENOSPC', 'EDQUOT', 'EFBIG'].includes(e.code) ? 'NN555' : ['EACCES', 'EPERM', 'EROFS'].includes(e.code) ? 'NN554' : 'NN559';
  const why = code === 'NN555' ? 'no space left' : code === 'NN554' ? 'permission denied' : 'the write failed';
  const hint = code === 'NN555' ? 'free some space, or send the output somewhere else' : 'send the output somewhere else';
  process.stderr.write(`error ${code}: standard output: ${why} (${e.code ?? e.message}) — ${hint}\n`);
  process.exit(6);
});
// stderr itself failing leaves nothing to report on
process.stderr.on('error', () => process.exit(6));
const main = bundledMain() ?? (await import('../dist/src/cli/main.js')).main;
process.exitCode = await main(process.argv.slice(2));
