#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `yosys` as a command, from the @yowasp/yosys package (yosys compiled to WebAssembly), for
// machines without a system yosys. The package only offers an API that runs yosys in a virtual
// file system, so this wrapper copies the current folder (the design root the target Makefiles
// `cd` into) into that file system, runs yosys with the given arguments, and writes the files
// yosys created or changed back to disk. Paths on the command line and in scripts must therefore
// be relative and stay inside the current folder: nothing above it is visible.
//
//   node bin/yowasp-yosys.mjs -q -p "read_verilog a.v; synth_ice40 -json a.json"
//   make -C ice40 synth "YOSYS='node' '/path/to/nnchip/bin/yowasp-yosys.mjs'"
import { runInCurrentFolder } from './yowasp-folder.mjs';

let yosys;
try {
  yosys = await import('@yowasp/yosys');
} catch (e) {
  process.stderr.write(`yowasp-yosys: the @yowasp/yosys package is not installed (npm i @yowasp/yosys): ${e?.message ?? e}\n`);
  process.exit(127);
}

await runInCurrentFolder('yowasp-yosys', yosys.runYosys, yosys.Exit, process.argv.slice(2));
