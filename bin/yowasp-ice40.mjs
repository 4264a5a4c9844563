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
import { mkdirSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
        process.stderr.write(`yowasp-ice40: ERROR: ${process.cwd()} holds more than ${MAX_BYTES >> 20} MiB; run it from the design folder\n`);
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

const cwd = process.cwd();
const before = readTree(cwd);
let after;
let code = 0;
try {
  after = await run(args, before, { stdout: out(1), stderr: out(2), decodeASCII: false });
} catch (e) {
  if (!(e instanceof tools.Exit)) throw e;
  after = e.files;
  code = e.code;
}
if (after !== undefined) writeBack(cwd, before, after);
process.exitCode = code;
