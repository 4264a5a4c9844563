// SPDX-License-Identifier: MIT
/**
 * Finds and reads the shipped templates: rtl-templates/ (the RTL, test bench, FPGA harness) and
 * targets/ (one folder per flow). Both sit at the package root, next to src/ and dist/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { internal } from '../../diagnostics/error.js';

let cachedRoot: string | undefined;

/** The package root: the nearest ancestor of this module that holds rtl-templates/ and targets/. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'rtl-templates')) && existsSync(join(dir, 'targets'))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw internal('cannot find rtl-templates/ and targets/ above the nnchip package');
    dir = up;
  }
}

/** Every file under `folder` (relative to the package root), as path-relative-to-folder → text, sorted. */
export function readTemplateDir(folder: string): Map<string, string> {
  const base = join(packageRoot(), folder);
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(base, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(base);
  return out;
}
