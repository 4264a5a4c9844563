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
import { mkdirSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The whole folder is held in memory: refuse to copy more than this (run it in a design folder, not in $HOME). */
const MAX_BYTES = 1 << 30;
let total = 0;

/** Every file under `dir` as a @yowasp tree (symbolic links followed; .git, node_modules and other entries skipped). */
function readTree(dir) {
  const tree = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && safeIsDir(path))) tree[entry.name] = readTree(path);
    else if (entry.isFile() || entry.isSymbolicLink()) {
      const bytes = new Uint8Array(readFileSync(path));
      total += bytes.length;
      if (total > MAX_BYTES) {
        process.stderr.write(`yowasp-yosys: ERROR: ${process.cwd()} holds more than ${MAX_BYTES >> 20} MiB; run it from the design folder\n`);
        process.exit(2);
      }
      tree[entry.name] = bytes;
    }
  }
  return tree;
}

function safeIsDir(path) {
  try {
    return readdirSync(path) !== undefined;
  } catch {
    return false;
  }
}

function sameBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Write the files of `after` that are new or differ from `before` under `dir`. */
function writeBack(dir, before, after) {
  for (const [name, value] of Object.entries(after)) {
    const path = join(dir, name);
    const old = before?.[name];
    if (value instanceof Uint8Array || typeof value === 'string') {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      if (sameBytes(old, bytes)) continue;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    } else {
      mkdirSync(path, { recursive: true });
      writeBack(path, old !== undefined && !(old instanceof Uint8Array) ? old : undefined, value);
    }
  }
}

const out = (fd) => (bytes) => {
  if (bytes !== null && bytes.length > 0) writeSync(fd, bytes);
};

let yosys;
try {
  yosys = await import('@yowasp/yosys');
} catch (e) {
  process.stderr.write(`yowasp-yosys: the @yowasp/yosys package is not installed (npm i @yowasp/yosys): ${e?.message ?? e}\n`);
  process.exit(127);
}

const cwd = process.cwd();
const before = readTree(cwd);
let after;
let code = 0;
try {
  after = await yosys.runYosys(process.argv.slice(2), before, { stdout: out(1), stderr: out(2), decodeASCII: false });
} catch (e) {
  if (!(e instanceof yosys.Exit)) throw e;
  after = e.files;
  code = e.code;
}
if (after !== undefined) writeBack(cwd, before, after);
process.exitCode = code;
