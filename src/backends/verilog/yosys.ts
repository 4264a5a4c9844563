// SPDX-License-Identifier: MIT
/**
 * Which yosys the synthesis flows run: the system binary, the optional npm package @yowasp/yosys
 * (yosys compiled to WebAssembly, through bin/yowasp-yosys.mjs), or one the user names — and how
 * the target Makefiles are told.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { NnchipError } from '../../diagnostics/error.js';
import { packageRoot } from './templates.js';
import { findTool, runTool } from './tools.js';

/**
 * Which yosys runs the synthesis flows. `system`: the yosys on PATH (Debian's package). `yowasp`:
 * the optional npm dependency @yowasp/yosys, yosys compiled to WebAssembly, run by node through
 * bin/yowasp-yosys.mjs (that package only has an in-memory API; the wrapper gives it a command
 * line over the current folder). `path`: a yosys binary the user named.
 */
export type YosysKind = 'system' | 'yowasp' | 'path';

export interface YosysCommand {
  readonly kind: YosysKind;
  /** The command and its leading arguments: `[/usr/bin/yosys]` or `[node, .../yowasp-yosys.mjs]`. */
  readonly argv: readonly string[];
  /** Where the choice came from, for messages: `--yosys`, `NNCHIP_YOSYS` or `auto`. */
  readonly chosenBy: 'option' | 'env' | 'auto';
  /** @yowasp/yosys's package version (yowasp only). */
  readonly packageVersion: string | null;
}

/** The installed @yowasp/yosys, as the wrapper script will find it. */
export interface YowaspInstall {
  readonly wrapper: string;
  readonly packageVersion: string;
}

/** The @yowasp/yosys package resolved from nnchip's own bin/ folder (where the wrapper imports it), or null. */
export function findYowaspYosys(): YowaspInstall | null {
  try {
    const wrapper = join(packageRoot(), 'bin', 'yowasp-yosys.mjs');
    statSync(wrapper);
    // the package's "exports" hides package.json, so resolve its entry (gen/bundle.js) and go up
    const entry = createRequire(wrapper).resolve('@yowasp/yosys');
    let dir = dirname(entry);
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@yowasp/yosys') return { wrapper, packageVersion: pkg.version ?? 'unknown' };
      } catch {
        // not the package folder yet
      }
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  } catch {
    return null;
  }
}

export interface ResolveYosysOptions {
  /** `system`, `yowasp` or a path to (or command name of) a yosys binary; default: $NNCHIP_YOSYS, else auto. */
  readonly choice?: string | undefined;
  /** Environment to read NNCHIP_YOSYS and PATH from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The @yowasp/yosys lookup (tests replace it). */
  readonly yowasp?: () => YowaspInstall | null;
}

const INSTALL_YOSYS = 'install one: apt-get install -y yosys (Debian package "yosys"), or npm i @yowasp/yosys (yosys compiled to WebAssembly, runs on node)';

/**
 * The yosys to run. An explicit choice (`--yosys`, else NNCHIP_YOSYS) is obeyed or is NN701;
 * otherwise the system yosys on PATH is preferred (native, several times faster) and
 * @yowasp/yosys is the fallback. Nothing found is NN701 naming both ways to install one.
 */
export function resolveYosys(opts: ResolveYosysOptions = {}): YosysCommand {
  const env = opts.env ?? process.env;
  const path = env['PATH'] ?? '';
  const lookupYowasp = opts.yowasp ?? findYowaspYosys;
  const fromEnv = env['NNCHIP_YOSYS'];
  const choice = opts.choice !== undefined && opts.choice !== '' ? opts.choice : fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'auto';
  const chosenBy = choice === 'auto' ? 'auto' : opts.choice !== undefined && opts.choice !== '' ? 'option' : 'env';
  const by = chosenBy === 'option' ? '--yosys' : 'NNCHIP_YOSYS';
  const system = (): YosysCommand | null => {
    const found = findTool('yosys', path);
    return found === null ? null : { kind: 'system', argv: [found], chosenBy, packageVersion: null };
  };
  const yowasp = (): YosysCommand | null => {
    const found = lookupYowasp();
    return found === null ? null : { kind: 'yowasp', argv: [process.execPath, found.wrapper], chosenBy, packageVersion: found.packageVersion };
  };
  switch (choice) {
    case 'auto': {
      const found = system() ?? yowasp();
      if (found === null) throw new NnchipError('NN701', `yosys is not on PATH and the @yowasp/yosys package is not installed: ${INSTALL_YOSYS}`);
      return found;
    }
    case 'system': {
      const found = system();
      if (found === null) throw new NnchipError('NN701', `${by}=system, but yosys is not on PATH (Debian package "yosys"; or use ${by}=yowasp after npm i @yowasp/yosys)`);
      return found;
    }
    case 'yowasp': {
      const found = yowasp();
      if (found === null) throw new NnchipError('NN701', `${by}=yowasp, but the @yowasp/yosys package is not installed: npm i @yowasp/yosys (or apt-get install -y yosys and use ${by}=system)`);
      return found;
    }
    default: {
      // a path (anything with a slash) must be an executable file; a bare name is looked up on PATH
      const found = choice.includes('/') || choice.includes(sep) ? (isExecutable(choice) ? choice : null) : findTool(choice, path);
      if (found === null) throw new NnchipError('NN701', `${by}=${choice}: no such executable (expected system, yowasp or a path to a yosys binary; ${INSTALL_YOSYS})`);
      return { kind: 'path', argv: [found], chosenBy, packageVersion: null };
    }
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A word for /bin/sh inside a make command-line variable: single-quoted, and `$` doubled for make. */
export function makeShellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`.replace(/\$/g, '$$$$');
}

/** The `YOSYS=...` assignment for the target Makefiles (`$(YOSYS)` expands into a shell command). */
export function yosysMakeVar(y: YosysCommand): string {
  return `YOSYS=${y.argv.map(makeShellWord).join(' ')}`;
}

/** `Yosys 0.23 (git sha1 …)` → `0.23`; null when the banner has no version. */
export function parseYosysVersion(banner: string): string | null {
  return /Yosys\s+([0-9][^\s(]*)/.exec(banner)?.[1] ?? null;
}

/** The version the chosen yosys reports (`yosys -V`), run in `cwd` (the wrapper reads that folder). */
export async function yosysVersion(y: YosysCommand, cwd: string): Promise<string | null> {
  const [cmd, ...lead] = y.argv;
  const run = await runTool(cmd!, [...lead, '-V'], cwd, 'yosys -V');
  return parseYosysVersion(run.stdout + run.stderr);
}
