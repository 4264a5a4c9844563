// SPDX-License-Identifier: MIT
/**
 * The rules for where nnchip may write (which existing things it may replace) and the one-line
 * errors for every way the file system can refuse; atomic-write.ts applies them.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';

/** Inside every output folder: the sign that nnchip wrote it, with the sha256 of each file it wrote. */
export const MARKER = '.nnchip-output';
/** Where the generated flows (make sim, verilate, synth, pnr; FuseSoC) put what they make. */
const TOOL_FOLDER = 'build';

/** The marker of a folder of `files` (relative path → contents). */
export function markerText(files: ReadonlyMap<string, string | Uint8Array>): string {
  const hashes = Object.fromEntries([...files].map(([rel, c]) => [rel, sha256(c)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const note = 'written by nnchip, which replaces this folder when these files are unchanged and all else is in build/ folders';
  return JSON.stringify({ format: 'nnchip-output', note, files: hashes }, null, 2) + '\n';
}
/** Beside single-file outputs: each file nnchip wrote in this folder with the sha256 of what it wrote. */
export const MANIFEST = '.nnchip-outputs';
/** Held by a run while it renames its outputs into a folder (atomic-write.ts). */
export const LOCK = '.nnchip-lock';

export type OutputKind = 'file' | 'folder';

export interface OutputOptions {
  /** --force: replace an existing file or folder nnchip did not write (never an input, nor what is in an input's folder). */
  readonly force?: boolean;
  /** The command's input files and folders: never replaced, nor the folders holding them, nor their ancestors. */
  readonly inputs?: readonly (string | undefined)[];
}

const errno = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '');

/** A file-system error on the output side as a one-line NnchipError naming `path`. */
export function outputFsError(e: unknown, path: string, doing: string): NnchipError {
  if (e instanceof NnchipError) return e;
  const code = errno(e);
  const at = { file: path };
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new NnchipError('NN554', `${doing}: permission denied (${code})`, at);
    case 'EROFS':
      return new NnchipError('NN554', `${doing}: the file system is read-only (EROFS)`, at);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new NnchipError('NN555', `${doing}: no space left (${code})`, at);
    case 'ENAMETOOLONG':
      return new NnchipError('NN556', `${doing}: the name is too long (ENAMETOOLONG)`, at);
    case 'ELOOP':
      return new NnchipError('NN556', `${doing}: too many levels of symbolic links (ELOOP)`, at);
    case 'ENOENT':
      return new NnchipError('NN556', `${doing}: the file system does not let files be created there (ENOENT)`, at);
    case 'ENOTDIR':
      return new NnchipError('NN553', `${doing}: a part of the path is a file, not a folder (ENOTDIR)`, at);
    case 'EISDIR':
      return new NnchipError('NN553', `${doing}: it is a folder, a file was expected (EISDIR)`, at);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new NnchipError('NN559', `${doing}: something else created it meanwhile (${code}); run again`, at);
    case 'EBUSY':
      return new NnchipError('NN559', `${doing}: it is in use (EBUSY: a mount point or the current folder?)`, at);
    default:
      return new NnchipError('NN559', `${doing}: ${code !== '' ? code : e instanceof Error ? e.message : String(e)}`, at);
  }
}

/** Run `f`, turning a file-system error into the output error for `path`. */
export function onOutput<T>(path: string, doing: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw outputFsError(e, path, doing);
  }
}

/** mkdir -p without Node's recursive mkdir, which spins forever where mkdir says ENOENT for an existing parent (/proc). */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const st = onOutput(at, 'cannot create the folder', () => lstatOrNull(at));
    if (st !== null) {
      if (!st.isDirectory() && !(st.isSymbolicLink() && statOrNull(at)?.isDirectory() === true)) throw new NnchipError('NN553', 'is a file, not a folder (a folder is needed here)', { file: at });
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  // another writer (a shard of the same sweep) may make the folder between our look and our mkdir: a folder is what we wanted
  for (const d of missing.reverse()) onOutput(d, 'cannot create the folder', () => {
    try {
      mkdirSync(d);
    } catch (e) {
      if (errno(e) !== 'EEXIST' || statOrNull(d)?.isDirectory() !== true) throw e;
    }
  });
}

export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The absolute path with symbolic links of its existing part resolved (what a write would really touch). */
export function realLocation(path: string): string {
  let at = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return resolve(path);
      rest.push(basename(at));
      at = up;
    }
  }
}

const isWithin = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

/** The current folder (a NUL, never a path, when it was removed: then nothing is its ancestor). */
function currentFolder(): string {
  try {
    return realLocation(process.cwd());
  } catch {
    return '\0';
  }
}

export const sha256 = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * sha256 of the file's bytes, read a piece at a time: whether a file in an output folder is still what
 * nnchip wrote read it whole, so a file of 1.5 GB put there took 1.5 GB of memory (and 19 s) to be
 * found changed, and one over 2 GiB failed as "cannot read the folder: ERR_FS_FILE_TOO_LARGE".
 */
function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    for (let n = readSync(fd, piece); n > 0; n = readSync(fd, piece)) hash.update(piece.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Longer than any marker, manifest, journal or lock nnchip writes (a marker lists a folder's files, 100 bytes each). */
const MAX_OWN_FILE_BYTES = 2 ** 24;

/**
 * The text of one of nnchip's own files in an output folder (marker, manifest, journal, lock), or
 * null when there is none. Only a regular file, not through a link, of bounded size is read: one
 * planted as a FIFO blocked every later write there for ever, a link to /dev/zero never ended.
 * A file that exists but is not such a file reads as '' (no valid contents).
 */
export function readOwnFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    if (errno(e) === 'ELOOP') return '';
    throw e;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size <= MAX_OWN_FILE_BYTES ? readFileSync(fd, 'utf8') : '';
  } finally {
    closeSync(fd);
  }
}

/** The manifest of `dir`: file name → sha256 of the bytes nnchip wrote. */
export function readManifest(dir: string): Map<string, string> {
  try {
    const doc = JSON.parse(readOwnFile(join(dir, MANIFEST)) ?? '') as { files?: Record<string, unknown> };
    return new Map(Object.entries(doc.files ?? {}).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
  } catch {
    return new Map();
  }
}

export function manifestText(entries: ReadonlyMap<string, string>): string {
  const files = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ format: 'nnchip-outputs', note: 'files nnchip wrote here; nnchip replaces them only while unchanged', files }, null, 2) + '\n';
}

/** True when the regular file at `path` is, byte for byte, what nnchip last wrote there. */
function isOwnFile(path: string, size: number): boolean {
  const want = readManifest(dirname(path)).get(basename(path));
  if (want === undefined || size > 2 ** 31) return false;
  try {
    return fileSha256(path) === want;
  } catch {
    return false;
  }
}

/**
 * Why the folder at `path` is not nnchip's to replace, or null when it is: empty, or with a marker
 * whose files are unchanged and nothing else in it but what the flows put in build/ folders and
 * files nnchip wrote into it one by one, unchanged (its manifest: `board flash-image hw` rewrites
 * hw/flash.bin, `-o hw/other.bin` adds one), so the folder can still be generated again.
 */
/**
 * notOwnFolder, where the folder may vanish while it is read: another run's commit moves the old
 * folder aside and its new one in (atomic-write.ts swapIn), so it is another run at work (NN557,
 * which checkOutput looks at once more), not a file system that refuses files (ENOENT's NN556).
 */
function folderNotOwn(path: string): string | null {
  const replacing = (what: string): NnchipError => new NnchipError('NN557', `the folder ${what} while nnchip read it: another nnchip process is replacing it; run again when it has finished`, { file: path });
  try {
    const before = lstatOrNull(path);
    const marker = readOwnFile(join(path, MARKER));
    const why = notOwnFolder(path);
    // a refusal from reads that straddled another run's commit (its new folder renamed in, or its
    // marker rewritten, between reading the marker and a file) is that run at work, not a change
    if (why !== null && (lstatOrNull(path)?.ino !== before?.ino || readOwnFile(join(path, MARKER)) !== marker)) throw replacing('changed');
    return why;
  } catch (e) {
    if (errno(e) === 'ENOENT') throw replacing('went away');
    throw e;
  }
}

function notOwnFolder(path: string): string | null {
  if (readdirSync(path).length === 0) return null;
  let listed: Record<string, unknown>;
  try {
    listed = (JSON.parse(readOwnFile(join(path, MARKER)) ?? '') as { files: Record<string, unknown> }).files;
    if (typeof listed !== 'object' || listed === null) throw new Error('no file list');
  } catch {
    return `nnchip did not write it (no readable ${MARKER} inside)`;
  }
  const written = readManifest(path);
  // listed only now: a big folder without the marker (-o /usr) is refused at once
  for (const rel of readdirSync(path, { recursive: true, encoding: 'utf8' })) {
    if (rel === MARKER || rel === MANIFEST) continue;
    const st = lstatOrNull(join(path, rel));
    if (st === null || st.isDirectory()) continue;
    const want = Object.hasOwn(listed, rel) ? listed[rel] : written.get(rel);
    if (want === undefined) {
      if (!rel.split(sep).includes(TOOL_FOLDER)) return `it holds ${rel}, which nnchip did not write`;
    } else if (!st.isFile() || fileSha256(join(path, rel)) !== want) return `${rel} was changed after nnchip wrote it`;
  }
  return null;
}

/**
 * The rules, checked before computing and again, under the folder's lock, before the rename: an
 * existing output is replaced only when nnchip wrote it (an empty folder, or one whose marker
 * lists its files unchanged, with nothing else but build/ folders; a file whose bytes the folder's
 * manifest records) or with --force; never an input, the folder holding an input or an ancestor
 * of it, the current folder or an ancestor of it (not even with --force), and --force does not
 * reach into an input's folder; the wrong kind is an error.
 */
export function checkOutput(path: string, kind: OutputKind, opts: OutputOptions = {}, underLock = false): void {
  for (let look = 1; ; look++) {
    try {
      return checkOnce(path, kind, opts);
    } catch (e) {
      // another run is renaming files in: its manifest and files disagree, or its folder is moved aside
      // or replaced, until it is done. Its lock may already be gone when we look (our reads straddled
      // its last rename), so look once more after NN551, and while NN557 says a commit is under way
      // (each look after its lock; another run writing again and again may straddle several)
      const again = !underLock && e instanceof NnchipError && ((e.code === 'NN551' && look === 1) || (e.code === 'NN557' && look < REPLACING_LOOKS));
      if (!again) throw e;
      waitForLock(join(dirname(resolve(path)), LOCK));
    }
  }
}

/** How many times checkOutput looks at a folder another run keeps replacing before it gives up with NN557. */
const REPLACING_LOOKS = 20;

/** Wait (at most 5 s) while `lock` exists. */
function waitForLock(lock: string): void {
  for (let i = 0; i < 250 && lstatOrNull(lock) !== null; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}

function checkOnce(path: string, kind: OutputKind, opts: OutputOptions): void {
  if (path === '') throw new NnchipError('NN556', 'the output path is empty', { file: "''" });
  if (path.includes('\0')) throw new NnchipError('NN556', 'the output path contains a NUL byte', { file: path.replace(/\0/g, '\\0') });
  const real = onOutput(path, 'cannot look at the output path', () => realLocation(path));
  let insideInput = false;
  for (const input of opts.inputs ?? []) {
    if (input === undefined || input === '') continue;
    const inReal = realLocation(input);
    const holder = statOrNull(inReal)?.isDirectory() === true ? inReal : dirname(inReal);
    if (real === inReal) throw new NnchipError('NN552', `it is an input of this command (${input})`, { file: path });
    if (isWithin(holder, real)) throw new NnchipError('NN552', `it holds the input ${input}; nnchip never writes over an input's folder or its ancestors`, { file: path });
    if (isWithin(real, holder)) insideInput = true;
  }
  if (isWithin(currentFolder(), real)) throw new NnchipError('NN552', 'it is the current folder or one of its ancestors', { file: path });
  const st = onOutput(path, 'cannot look at the output path', () => lstatOrNull(path));
  if (st === null) return;
  // refused unless --force, which does not reach into an input's folder
  const notOurs = (what: string): NnchipError =>
    insideInput ? new NnchipError('NN552', `${what}, inside the folder of an input: nnchip does not replace it, even with --force`, { file: path }) : new NnchipError('NN551', what, { file: path });
  const force = opts.force === true && !insideInput;
  if (kind === 'folder') {
    if (st.isDirectory()) {
      const why = force ? null : onOutput(path, 'cannot read the folder', () => folderNotOwn(path));
      if (why !== null) throw notOurs(`the folder exists and ${why}`);
      return;
    }
    if (st.isSymbolicLink()) {
      if (!force) throw notOurs('is a symbolic link nnchip did not make');
      return;
    }
    throw new NnchipError('NN553', 'is a file, not a folder: this command writes a folder', { file: path });
  }
  if (st.isDirectory()) throw new NnchipError('NN553', 'is a folder, not a file: name the file to write', { file: path });
  if (st.isFile()) {
    if (!force && !isOwnFile(path, st.size)) throw notOurs('the file exists and is not an unchanged nnchip output');
    return;
  }
  if (st.isSymbolicLink()) {
    if (!force) throw notOurs('is a symbolic link nnchip did not make');
    return;
  }
  throw new NnchipError('NN553', 'is not a regular file (a device, FIFO or socket): name a regular file', { file: path });
}
