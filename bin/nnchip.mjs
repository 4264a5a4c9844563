#!/usr/bin/env node
// The installed `nnchip` command: runs the compiled CLI (npm ci / npm run build produce dist/):
// the one-script bundle with its code cache when it is built and fresh (src/cli/bundle.ts), else
// the ES modules.
import { bundledMain } from '../dist/src/cli/bundle.js';

// `nnchip ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const main = bundledMain() ?? (await import('../dist/src/cli/main.js')).main;
process.exitCode = await main(process.argv.slice(2));
