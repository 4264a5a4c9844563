// SPDX-License-Identifier: MIT
/** Resolve a path named inside a model file; refuse anything that leaves the model's folder. */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Returns the real path of `name` relative to `modelDir`, after checking that neither the
 * lexical path nor its symlink-resolved target leaves the folder. Nothing is opened here.
 */
export function resolveInside(modelDir: string, name: string, modelFile: string): string {
  const refuse = (why: string): NnchipError => new NnchipError('NN104', `weights path "${name}" ${why}`, { file: modelFile });
  if (typeof name !== 'string' || name === '' || name.includes('\0')) throw refuse('is not a file name');
  if (isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name)) throw refuse('is absolute');
  const root = realpathSync(modelDir);
  const lexical = resolve(root, name);
  if (!inside(root, lexical)) throw refuse("leaves the model's folder");
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new NnchipError('NN105', `weight file "${name}" is missing`, { file: modelFile });
  }
  if (!inside(root, real)) throw refuse("is a link that leaves the model's folder");
  if (!statSync(real).isFile()) throw new NnchipError('NN105', `weight file "${name}" is not a regular file`, { file: modelFile });
  return real;
}
