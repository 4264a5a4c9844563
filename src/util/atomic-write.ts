// SPDX-License-Identifier: MIT
/**
 * The only code that writes outputs. Everything goes to a temporary sibling first and is renamed
 * into place when complete, so a failure (or Ctrl-C) leaves the previous outputs untouched.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export type Contents = string | Uint8Array;

const pending = new Set<string>();
/** Work to undo on Ctrl-C besides removing paths, e.g. stopping a running EDA tool. */
const onSignal = new Set<() => void>();
let hooked = false;
function cleanupOnSignal(): void {
  if (hooked) return;
  hooked = true;
  const clean = (sig: NodeJS.Signals): void => {
    for (const f of onSignal) f();
    for (const p of pending) rmSync(p, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', clean);
  process.once('SIGTERM', clean);
}

/** Run `f` if the process is interrupted before the returned function is called. */
export function untilDone(f: () => void): () => void {
  cleanupOnSignal();
  onSignal.add(f);
  return () => void onSignal.delete(f);
}

/** A fresh temporary folder that Ctrl-C removes too; call the returned `remove` when done with it. */
export function tempFolder(prefix: string): { readonly path: string; readonly remove: () => void } {
  cleanupOnSignal();
  const path = mkdtempSync(join(tmpdir(), prefix));
  pending.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      pending.delete(path);
    },
  };
}

function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/** Write one file atomically (temp file + rename). */
export function writeFileAtomic(path: string, contents: Contents): void {
  cleanupOnSignal();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  pending.add(tmp);
  try {
    writeFileSync(tmp, contents);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
    pending.delete(tmp);
  }
}

/** Write a whole directory of files: built beside the target, then swapped in with renames. */
export function writeDirAtomic(dir: string, files: ReadonlyMap<string, Contents>): void {
  cleanupOnSignal();
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempNameFor(dir);
  const old = `${tmp}.old`;
  pending.add(tmp);
  try {
    rmSync(tmp, { recursive: true, force: true });
    for (const [rel, contents] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, contents);
    }
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    pending.delete(tmp);
  }
}
