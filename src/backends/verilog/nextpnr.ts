// SPDX-License-Identifier: MIT
/**
 * Which nextpnr-ice40 and icepack the iCE40 flow runs: the system binaries (Debian's nextpnr-ice40
 * and fpga-icestorm) or, when nextpnr-ice40 is not on PATH, the optional npm package
 * @yowasp/nextpnr-ice40 (both compiled to WebAssembly, run by node through bin/yowasp-ice40.mjs).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from './templates.js';
import { findTool } from './tools.js';
import { makeShellWord } from './yosys.js';

export interface YowaspIce40Install {
  readonly wrapper: string;
  readonly packageVersion: string;
}

/** @yowasp/nextpnr-ice40 as bin/yowasp-ice40.mjs will find it (beside nnchip, or through NODE_PATH), or null. */
export function findYowaspIce40(): YowaspIce40Install | null {
  try {
    const wrapper = join(packageRoot(), 'bin', 'yowasp-ice40.mjs');
    statSync(wrapper);
    // "exports" hides package.json: resolve the entry (gen/bundle.js), the package is one folder up
    const entry = createRequire(wrapper).resolve('@yowasp/nextpnr-ice40');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    return pkg.name === '@yowasp/nextpnr-ice40' ? { wrapper, packageVersion: pkg.version ?? 'unknown' } : null;
  } catch {
    return null;
  }
}

export interface Ice40Tools {
  /** system: nextpnr-ice40 on PATH; yowasp: the @yowasp/nextpnr-ice40 package. */
  readonly kind: 'system' | 'yowasp';
  readonly nextpnr: readonly string[];
  /** null: no icepack (system nextpnr without fpga-icestorm, and no package): no bitstream. */
  readonly icepack: readonly string[] | null;
  readonly packageVersion: string | null;
}

export interface ResolveIce40Options {
  readonly path?: string;
  /** The package lookup (tests replace it). */
  readonly yowasp?: () => YowaspIce40Install | null;
}

/**
 * The system nextpnr-ice40 when on PATH (native, several times faster), else the npm package;
 * null when neither is there. icepack follows: the system one, else the package's.
 */
export function resolveIce40Tools(opts: ResolveIce40Options = {}): Ice40Tools | null {
  const path = opts.path ?? process.env['PATH'] ?? '';
  const lookup = opts.yowasp ?? findYowaspIce40;
  const nextpnr = findTool('nextpnr-ice40', path);
  const icepack = findTool('icepack', path);
  if (nextpnr !== null) {
    const pack = icepack !== null ? [icepack] : ((y) => (y === null ? null : [process.execPath, y.wrapper, 'icepack']))(lookup());
    return { kind: 'system', nextpnr: [nextpnr], icepack: pack, packageVersion: null };
  }
  const y = lookup();
  if (y === null) return null;
  const run = (tool: string): string[] => [process.execPath, y.wrapper, tool];
  return { kind: 'yowasp', nextpnr: run('nextpnr-ice40'), icepack: icepack !== null ? [icepack] : run('icepack'), packageVersion: y.packageVersion };
}

/** The `NEXTPNR=...` and `ICEPACK=...` assignments for targets/ice40/Makefile. */
export function ice40MakeVars(t: Ice40Tools): string[] {
  const word = (argv: readonly string[]): string => argv.map(makeShellWord).join(' ');
  return [`NEXTPNR=${word(t.nextpnr)}`, ...(t.icepack === null ? [] : [`ICEPACK=${word(t.icepack)}`])];
}
