#!/usr/bin/env node
// The installed `nnchip` command: runs the compiled CLI (npm ci / npm run build produce dist/).
import { main } from '../dist/src/cli/main.js';

// `nnchip ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
