#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// nextpnr-ice40 and icepack as commands, from the @yowasp/nextpnr-ice40 package (both compiled to
// WebAssembly), for machines without the Debian packages. Like bin/yowasp-yosys.mjs, it copies the
// current folder (the target folder the Makefile runs in) into the package's virtual file system,
// runs the tool, and writes the files it created or changed back; paths must stay inside the folder.
// The package is found next to nnchip, or through NODE_PATH.
//
//   node bin/yowasp-ice40.mjs nextpnr-ice40 --hx8k --json build/nnchip.json --asc build/nnchip.asc
//   make -C ice40 bitstream "NEXTPNR='node' '/path/to/bin/yowasp-ice40.mjs' 'nextpnr-ice40'" "ICEPACK=…"
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { runInCurrentFolder } from './yowasp-folder.mjs';

const [command, ...args] = process.argv.slice(2);
let tools;
try {
  const require = createRequire(import.meta.url);
  tools = await import(pathToFileURL(require.resolve('@yowasp/nextpnr-ice40')).href);
} catch (e) {
  process.stderr.write(`yowasp-ice40: the @yowasp/nextpnr-ice40 package is not installed (npm i @yowasp/nextpnr-ice40): ${e?.message ?? e}\n`);
  process.exit(127);
}
const run = tools.commands[command];
if (run === undefined) {
  process.stderr.write(`yowasp-ice40: ERROR: unknown command "${command}" (${Object.keys(tools.commands).join(', ')})\n`);
  process.exit(2);
}

await runInCurrentFolder('yowasp-ice40', run, tools.Exit, args);
