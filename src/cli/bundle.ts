// SPDX-License-Identifier: MIT
/**
 * The CLI as one script with a V8 code cache (`npm run build` writes both: scripts/bundle-cli.mjs).
 * A small `nnchip sim` spends a third of its CPU time loading the CLI: resolving, reading,
 * compiling and linking some 80 ES modules, then compiling each function it calls. Node 20 has
 * no compile cache for ES modules; a vm.Script has one (`cachedData`). The build compiles the
 * CLI's modules again as CommonJS, puts them in one script (each module a function in a table,
 * required on first use, as Node would) and runs a few `sim`s with it to fill the cache with the
 * bytecode of what they call. bin/nnchip.mjs runs the bundle when it is fresh and falls back to
 * the ES modules of dist/ when it is missing, out of date (a module of dist/ it was built beside
 * has other bytes now: a `tsc` build of other sources) or turned off (NNCHIP_BUNDLE=0); a cache V8 rejects
 * (another node or V8 flags) only costs the compile. Same sources, same outputs, byte for byte.
 * NNCHIP_TRACE_MODULES=1 names on stderr each bundled module as it loads, and each package it
 * leaves to Node (chalk), as required (the tests watch it); NNCHIP_TRACE_CACHE=1 says whether V8
 * took the code cache.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import type { CliIo } from './context.js';

/** dist/, where the bundle sits beside the ES modules it was built with. */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The script, its code cache and its manifest, relative to dist/. */
export const BUNDLE_FILES = { script: 'src/cli/cli.bundle.cjs', cache: 'src/cli/cli.bundle.cache', manifest: 'src/cli/cli.bundle.json' } as const;

/**
 * What the build records: each file the bundle depends on, with its size, mtime and sha1 then. A
 * file with its recorded time (a copy that keeps times may move them by a fraction of a
 * millisecond) is taken as unchanged; else its bytes decide (npm sets every time in a package, and a
 * tsc build writes every file, changed or not).
 */
export interface BundleManifest {
  readonly files: readonly (readonly [file: string, size: number, mtimeMs: number, sha1: string])[];
}

export type CliMain = (argv: readonly string[], io?: CliIo) => Promise<number>;

/**
 * The bundle's function: given the repository root (module ids are relative to it), how to require
 * what it does not hold (a built-in, an ES-module package) from a module's file, and a file's URL
 * (a module's import.meta.url); returns dist/src/cli/main.js's exports.
 */
type BundleFn = (root: string, nodeRequire: (file: string, spec: string) => unknown, fileUrl: (file: string) => string, trace: ((id: string) => void) | null) => { main: CliMain };

export const sha1Of = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

/** The manifest's files all as recorded (none changed, none missing), else false. */
function fresh(manifest: BundleManifest): boolean {
  const base = DIST + sep; // not join() per file: 190 of them, cold, cost 2-3 ms
  for (const [file, size, mtimeMs, sha1] of manifest.files) {
    const s = statSync(base + file, { throwIfNoEntry: false });
    if (s === undefined || s.size !== size) return false;
    if (Math.abs(s.mtimeMs - mtimeMs) >= 1 && sha1Of(readFileSync(base + file)) !== sha1) return false;
  }
  return true;
}

/** The bundle compiled (with its code cache when given): a SyntaxError if it is cut short. */
function compileBundle(cachedData?: Buffer): Script {
  const file = join(DIST, BUNDLE_FILES.script);
  // ASCII (scripts/bundle-cli.mjs escapes the rest): latin1 reads it with no UTF-8 decoding
  return new Script(readFileSync(file, 'latin1'), { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
}

/** Run the compiled bundle: the CLI's main. */
function startBundle(script: Script): CliMain {
  const fn = script.runInThisContext() as BundleFn;
  const trace = process.env['NNCHIP_TRACE_MODULES'] === '1' ? (id: string) => void process.stderr.write(`LOADED ${id}\n`) : null;
  const requires = new Map<string, NodeJS.Require>();
  const nodeRequire = (from: string, spec: string): unknown => {
    if (trace !== null && !isBuiltin(spec)) trace(spec);
    let r = requires.get(from);
    if (r === undefined) requires.set(from, (r = createRequire(from)));
    return r(spec);
  };
  return fn(join(DIST, '..'), nodeRequire, (f) => pathToFileURL(f).href, trace).main;
}

/**
 * V8's interrupt budget, 8× its default of 67,584: how much bytecode a function runs before V8
 * weighs optimizing it with TurboFan. A whole-process `sim` of a small program runs each pass over
 * the program once, and at the default TurboFan compiled dozens of those passes a few milliseconds
 * into them, on a background thread whose CPU time counts as much as the main one's (80–115 ms of
 * optimizing compiles, by --trace-opt, in a 0.14–0.22 CPU s run), for code that was done by the
 * time the compile finished. A longer run (ResNet-18, `lower`, `--prove`) still optimizes its hot
 * loops, a fraction of a millisecond later. It is a tuning of when to compile, not of what code
 * computes: no output depends on it. V8 keys the code cache on its flags, so the cache is made
 * under the same flag (runBundle) and the run sets it before compiling the script; a node given
 * the flag on its own command line (or in NODE_OPTIONS) keeps its value.
 */
export const V8_TUNING = '--interrupt-budget=540672';

/** Sets V8_TUNING once, unless node was given the interrupt budget itself. */
export function tuneV8(flags: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]): boolean {
  if (flags.some((f) => /^--interrupt[-_]budget([=]|$)/.test(f))) return false;
  setFlagsFromString(V8_TUNING);
  return true;
}

/** Compile and run the bundle without its cache (scripts/bundle-cli.mjs makes the cache from the script after a few runs). */
export function runBundle(): { main: CliMain; script: Script } {
  tuneV8();
  const script = compileBundle();
  return { main: startBundle(script), script };
}

/** The bundled CLI's main when the bundle is built, fresh and wanted; else null (run dist/src/cli/main.js). */
export function bundledMain(): CliMain | null {
  tuneV8(); // the ES modules run under it too
  if (process.env['NNCHIP_BUNDLE'] === '0' || (process.features as { require_module?: boolean }).require_module !== true) return null;
  let script: Script;
  try {
    const manifest = JSON.parse(readFileSync(join(DIST, BUNDLE_FILES.manifest), 'utf8')) as BundleManifest;
    if (!fresh(manifest)) return null;
    script = compileBundle(readFileSync(join(DIST, BUNDLE_FILES.cache)));
  } catch {
    return null; // not built, or being built again this moment (the build removes the manifest first and writes it last)
  }
  // NNCHIP_TRACE_CACHE=1: whether V8 took the cache (it refuses one made under other flags, or by another node)
  if (process.env['NNCHIP_TRACE_CACHE'] === '1') process.stderr.write(`CODE CACHE ${script.cachedDataRejected === true ? 'rejected' : 'accepted'}\n`);
  return startBundle(script);
}
