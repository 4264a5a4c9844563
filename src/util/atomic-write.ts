// SPDX-License-Identifier: MIT
/**
 * The only code that writes outputs. An output set — one file, sibling files (wasm's .wasm + .mjs +
 * types, explore's csv + json) or one folder (lower, verilog) — is first written whole under hidden
 * staging names in the same folder, then, under that folder's lock, recorded in a journal and
 * renamed into place; what may be replaced is decided by output-paths.ts.
 *
 * Why this design: a rename within one folder is atomic, so a Ctrl-C, an error or a kill -9 before
 * the journal leaves the old set untouched (the staging names are hidden and the next run removes
 * them). Node has no renameat2(RENAME_EXCHANGE) and POSIX cannot rename several names at once, so
 * between the renames of one commit (microseconds: the old folder moved aside, then the new one in;
 * or file after file) a kill -9 can interrupt the swap: the journal then says the new set is
 * complete, and the next nnchip run writing in that folder finishes the renames before anything
 * else (roll forward). Ctrl-C cannot land in that window: the commit is synchronous, and signal
 * handlers run between ticks. Two runs writing one output take turns on the lock; one that cannot
 * get it within a few seconds stops with NN557 and leaves nothing behind. Locks, staging names and
 * temporary folders carry their run (host and pid, run-owner.ts), so leftovers of a dead run are
 * removed and a live run on another host sharing the folder (NFS, a cluster) is left alone.
 */
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import { ageOf, OWNER, OWNER_PATTERN, ownerGone } from './run-owner.js';
import { checkOutput as checkPath, LOCK, lstatOrNull, makeFolders, MANIFEST, manifestText, MARKER, markerText, onOutput, outputFsError, readManifest, readOwnFile, sha256, type OutputKind, type OutputOptions } from './output-paths.js';

export type { OutputOptions } from './output-paths.js';
export type Contents = string | Uint8Array;

const STAGE = '.nnchip-new-';
const BACKUP = '.nnchip-old-';
const STAGING_NAME = new RegExp(`^\\.nnchip-(?:new|old)-(${OWNER_PATTERN})-`);
const JOURNAL = '.nnchip-journal';
/** How long a run waits for another one's commit (its lock) before giving up with NN557. */
const LOCK_WAIT_MS = 5000;

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

/** Temporary folders are named <prefix><owner>-XXXXXX, so a later run can tell a dead run's ones. */
const TEMP_NAME = new RegExp(`^nnchip-[a-z0-9-]*?(${OWNER_PATTERN})-[A-Za-z0-9]{6}$`);
/** Staging and backups of a run on another host are left alone this long (it may still be writing). */
const FOREIGN_STAGING_MS = 3_600_000;

/** Remove the temporary folders of nnchip runs that died without cleaning up (kill -9). */
function sweepDeadTemps(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const owner = TEMP_NAME.exec(name)?.[1];
    if (owner === undefined || !ownerGone(owner, join(base, name), FOREIGN_STAGING_MS)) continue;
    try {
      if (uid === undefined || statSync(join(base, name)).uid === uid) rmSync(join(base, name), { recursive: true, force: true });
    } catch {
      // someone else's, or gone
    }
  }
}

/** A fresh temporary folder that Ctrl-C removes too; call the returned `remove` when done with it. */
export function tempFolder(prefix: string): { readonly path: string; readonly remove: () => void } {
  cleanupOnSignal();
  const base = tmpdir();
  sweepDeadTemps(base);
  let path: string;
  try {
    path = mkdtempSync(join(base, `${prefix}${OWNER}-`));
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    throw new NnchipError('NN558', `cannot create a temporary folder there (${code})`, { file: base });
  }
  pending.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      pending.delete(path);
    },
  };
}

const sleepMs = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A commit holds the lock for its renames only: a lock this old is left over. */
const STALE_LOCK_MS = 60_000;

function readOrEmpty(path: string): string {
  try {
    return readOwnFile(path) ?? '';
  } catch {
    return '';
  }
}

/** An empty lock is being written by its owner; otherwise its owner's end or its age decides. */
function isStale(lock: string, holder: string): boolean {
  const age = ageOf(lock);
  if (age === Infinity) return false; // gone: the next attempt creates it
  return age > STALE_LOCK_MS || (holder !== '' && ownerGone(holder, lock, STALE_LOCK_MS));
}

/**
 * Create the lock with its owner already in it, or return false when it exists. The owner is written
 * to a staged file that is then hard-linked as the lock, so a run killed while taking it leaves no
 * empty lock (which would block others until it is old), only a staged file recover() removes. Where
 * the file system has no hard links, the lock is created, then written.
 */
function takeLock(folder: string, lock: string): boolean {
  const staged = join(folder, `${STAGE}${OWNER}-lock`);
  writeFileSync(staged, `${OWNER}\n`);
  try {
    linkSync(staged, lock);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${OWNER}\n`);
      closeSync(fd);
      return true;
    } catch (e2) {
      if ((e2 as { code?: string }).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    rmSync(staged, { force: true });
  }
}

function withLock<T>(folder: string, f: () => T): T {
  const lock = join(folder, LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let holder = '';
  for (;;) {
    try {
      if (takeLock(folder, lock)) break;
    } catch (e) {
      throw outputFsError(e, folder, 'cannot write in the folder');
    }
    holder = readOrEmpty(lock).trim();
    // a lock whose writer died (kill -9), or older than any commit takes (its pid reused), is stale;
    // an empty one is being written by its owner, unless it is old
    if (isStale(lock, holder)) onOutput(lock, 'cannot remove a stale lock', () => rmSync(lock, { force: true }));
    else if (Date.now() > deadline) throw new NnchipError('NN557', `another nnchip process${holder !== '' ? ` (${holder.replace(/^.*\./, 'pid ')})` : ''} is writing in this folder; run again when it has finished`, { file: folder });
    else sleepMs(20);
  }
  try {
    return f();
  } finally {
    rmSync(lock, { force: true });
  }
}

interface JournalEntry {
  readonly staged: string;
  readonly final: string;
  readonly backup: string;
}

/** A name nnchip gives inside the folder: `final` an output's own name, the others its staging names. */
const isPlainName = (name: unknown): name is string => typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
const isStagingName = (name: unknown): boolean => isPlainName(name) && (name.startsWith(STAGE) || name.startsWith(BACKUP));

/**
 * The entries of the folder's journal, or null when it has none. A journal nnchip did not write —
 * not a regular file, not JSON, or naming a file outside the folder ("final": "../x") — is refused:
 * replaying it renamed files elsewhere on the disk.
 */
function readJournal(folder: string): JournalEntry[] | null {
  const text = readOwnFile(join(folder, JOURNAL));
  if (text === null) return null;
  let entries: unknown;
  try {
    entries = (JSON.parse(text) as { entries?: unknown }).entries;
  } catch {
    entries = undefined;
  }
  const valid = Array.isArray(entries) && entries.every((e: Partial<Record<keyof JournalEntry, unknown>> | null) => typeof e === 'object' && e !== null && isStagingName(e.staged) && isStagingName(e.backup) && isPlainName(e.final));
  if (!valid) {
    throw new NnchipError('NN553', 'is not a journal nnchip wrote: it must list renames of nnchip\'s staged files within this folder', {
      file: join(folder, JOURNAL),
      hint: 'remove it (a commit nnchip left unfinished names only files of its folder), or choose another output path (-o/--out)',
    });
  }
  return entries as JournalEntry[];
}

/** Called at each step of a commit (tests kill the process there to prove a killed commit recovers). */
export const commitSteps: { onStep?: (step: string) => void } = {};

/** Move `final` aside (nothing can be renamed over a folder, nor a folder over a file) and `staged` into its place. */
function swapIn(folder: string, e: JournalEntry): void {
  const final = join(folder, e.final);
  const st = lstatOrNull(final);
  if (st !== null && (st.isDirectory() || lstatOrNull(join(folder, e.staged))?.isDirectory() === true)) {
    renameSync(final, join(folder, e.backup));
    commitSteps.onStep?.(`moved aside ${e.final}`);
  }
  renameSync(join(folder, e.staged), final);
  commitSteps.onStep?.(`renamed in ${e.final}`);
}

/** Finish, under the folder's lock, a commit a killed run left half done (every write does this first). */
export function recoverOutputs(folder: string): void {
  withLock(folder, () => onOutput(folder, 'cannot write in the folder', () => recover(folder)));
}

/** Finish a commit a killed run left half done, then remove staging and backups of dead runs. */
function recover(folder: string): void {
  const journal = join(folder, JOURNAL);
  const entries = readJournal(folder);
  if (entries !== null) {
    for (const e of entries) if (lstatOrNull(join(folder, e.staged)) !== null) swapIn(folder, e);
    unlinkSync(journal);
  }
  for (const name of readdirSync(folder)) {
    const owner = STAGING_NAME.exec(name)?.[1];
    try {
      if (owner !== undefined && ownerGone(owner, join(folder, name), FOREIGN_STAGING_MS)) rmSync(join(folder, name), { recursive: true, force: true });
    } catch {
      // another user's, in a shared folder: not ours to remove
    }
  }
}

interface Item {
  /** As the user named it (for messages). */
  readonly path: string;
  readonly kind: OutputKind;
  /** Write the complete output at `staged`. */
  readonly write: (staged: string) => void;
  /** sha256 of a file's contents (recorded in the folder's manifest). */
  readonly hash?: string;
}

let serial = 0;

/**
 * May `path` be written (output-paths.ts rules)? Called by commands before they compute, and by
 * every write. A commit a killed run left half done in that folder is finished first.
 */
export function checkOutput(path: string, kind: OutputKind, opts: OutputOptions = {}): void {
  let journal = false;
  try {
    journal = path !== '' && lstatOrNull(join(dirname(resolve(path)), JOURNAL)) !== null;
  } catch {
    // an unusable path: checkPath says why
  }
  if (journal) recoverOutputs(dirname(resolve(path)));
  checkPath(path, kind, opts);
}

function commit(items: readonly Item[], opts: OutputOptions): void {
  cleanupOnSignal();
  for (const it of items) checkOutput(it.path, it.kind, opts);
  const folder = dirname(resolve(items[0]!.path));
  makeFolders(folder);
  const staged = items.map((it) => ({ it, name: basename(resolve(it.path)), staged: `${STAGE}${OWNER}-${++serial}`, backup: `${BACKUP}${OWNER}-${serial}` }));
  try {
    for (const s of staged) {
      const at = join(folder, s.staged);
      pending.add(at);
      onOutput(s.it.path, 'cannot write', () => s.it.write(at));
    }
    withLock(folder, () =>
      onOutput(folder, 'cannot write in the folder', () => {
        recover(folder);
        for (const it of items) checkPath(it.path, it.kind, opts, true);
        const entries: JournalEntry[] = staged.map((s) => ({ staged: s.staged, final: s.name, backup: s.backup }));
        const files = staged.filter((s) => s.it.hash !== undefined);
        if (files.length > 0) {
          const manifest = readManifest(folder);
          for (const name of manifest.keys()) if (lstatOrNull(join(folder, name)) === null) manifest.delete(name);
          for (const s of files) manifest.set(s.name, s.it.hash!);
          const m = `${STAGE}${OWNER}-${++serial}`;
          pending.add(join(folder, m));
          writeFileSync(join(folder, m), manifestText(manifest), { flush: true });
          entries.push({ staged: m, final: MANIFEST, backup: `${BACKUP}${OWNER}-${serial}` });
        }
        const journalTmp = `${STAGE}${OWNER}-journal`;
        pending.add(join(folder, journalTmp));
        writeFileSync(join(folder, journalTmp), JSON.stringify({ owner: OWNER, entries }) + '\n', { flush: true });
        renameSync(join(folder, journalTmp), join(folder, JOURNAL));
        commitSteps.onStep?.('journal written');
        for (const e of entries) swapIn(folder, e);
        unlinkSync(join(folder, JOURNAL));
        for (const e of entries) rmSync(join(folder, e.backup), { recursive: true, force: true });
      }),
    );
  } finally {
    for (const s of staged) {
      rmSync(join(folder, s.staged), { recursive: true, force: true });
      pending.delete(join(folder, s.staged));
    }
    for (const p of pending) if (dirname(p) === folder && basename(p).startsWith(STAGE)) (rmSync(p, { force: true }), pending.delete(p));
  }
}

const fileItem = (path: string, contents: Contents): Item => ({ path, kind: 'file', hash: sha256(contents), write: (at) => writeFileSync(at, contents, { flush: true }) });

/** Write one file atomically; it may replace only what output-paths.ts allows. */
export function writeFileAtomic(path: string, contents: Contents, opts: OutputOptions = {}): void {
  commit([fileItem(path, contents)], opts);
}

/** Write sibling files (one folder) as one set: all new ones or all old ones, never a mix. */
export function writeFilesAtomic(files: ReadonlyMap<string, Contents>, opts: OutputOptions = {}): void {
  const paths = [...files.keys()];
  if (new Set(paths.map((p) => dirname(resolve(p)))).size !== 1) throw new Error('writeFilesAtomic: the files of one set must share a folder');
  commit([...files].map(([p, c]) => fileItem(p, c)), opts);
}

/** Write a whole folder of files (relative paths), with the marker that lets nnchip replace it later. */
export function writeDirAtomic(dir: string, files: ReadonlyMap<string, Contents>, opts: OutputOptions = {}): void {
  const write = (at: string): void => {
    mkdirSync(at);
    writeFileSync(join(at, MARKER), markerText(files));
    for (const [rel, contents] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = join(at, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, contents, { flush: true });
    }
  };
  commit([{ path: dir, kind: 'folder', write }], opts);
}
