// SPDX-License-Identifier: MIT
// The shared half of bin/yowasp-yosys.mjs and bin/yowasp-ice40.mjs: the @yowasp packages run a tool
// (compiled to WebAssembly) in a virtual file system, so the current folder is copied in, the tool
// runs, and the files it created or changed are written back. Paths must stay inside the folder.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The whole folder is held in memory: refuse to copy more than this (run it in a design folder, not in $HOME). */
const MAX_BYTES = 1 << 30;

/** A folder the wrapper will not copy: the message says why. */
export class FolderError extends Error {}

/**
 * Every regular file under `dir` as a @yowasp tree (symbolic links followed; .git, node_modules and
 * anything not a regular file or folder skipped: a link to /dev/zero or a FIFO would never end).
 * Sizes are added up from stat before any file is read; over `maxBytes`, a FolderError.
 */
export function readTree(dir, maxBytes = MAX_BYTES, counter = { total: 0 }, seen = new Set()) {
  const tree = {};
  const here = statSync(dir);
  // a link back to a folder being read (a loop) is skipped, not followed forever
  const id = `${here.dev}:${here.ino}`;
  if (seen.has(id)) return tree;
  seen.add(id);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue; // a dangling link
    }
    if (st.isDirectory()) tree[entry.name] = readTree(path, maxBytes, counter, seen);
    else if (st.isFile()) {
      counter.total += st.size;
      if (counter.total > maxBytes) throw new FolderError(`holds more than ${maxBytes >> 20} MiB of files; run it from the design folder`);
      tree[entry.name] = new Uint8Array(readFileSync(path));
    }
  }
  seen.delete(id);
  return tree;
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

/**
 * Run `run(args, files, options)` (a @yowasp command) on a copy of the current folder and write back
 * what it changed; the process exits with the tool's code. `name` prefixes this wrapper's own errors.
 */
export async function runInCurrentFolder(name, run, Exit, args) {
  const cwd = process.cwd();
  let before;
  try {
    before = readTree(cwd);
  } catch (e) {
    if (!(e instanceof FolderError)) throw e;
    process.stderr.write(`${name}: ERROR: ${cwd} ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  let after;
  let code = 0;
  try {
    after = await run(args, before, { stdout: out(1), stderr: out(2), decodeASCII: false });
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    after = e.files;
    code = e.code;
  }
  if (after !== undefined) writeBack(cwd, before, after);
  process.exitCode = code;
}
