// SPDX-License-Identifier: MIT
/** Resolve a path named inside a model file; refuse anything that leaves the model's folder. */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
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
  // a model exported on Windows may separate with "\\": checked (and found) in that form too, so
  // "..\\x.bin" and "\\\\server\\share" are refused as they would be there (they were "missing")
  // and TF.js fetches shard paths as URLs, which decode "%20" (and read "%2e%2e/" as "../")
  const forms = [...new Set([name, name.replaceAll('\\', '/'), urlDecoded(name)])];
  const root = realpathSync(modelDir);
  for (const form of forms) {
    if (isAbsolute(form) || /^[a-zA-Z]:[\\/]/.test(form)) throw refuse('is absolute');
    if (!inside(root, resolve(root, form))) throw refuse("leaves the model's folder");
  }
  const found = forms.map((form) => realIfExists(resolve(root, form))).find((r) => r !== undefined);
  if (found === undefined) {
    // a model file that is a link to another folder: its weights are looked for beside the link, where they were "missing"
    const target = realIfExists(resolve(modelDir, modelFile));
    const elsewhere = target !== undefined && dirname(target) !== root && forms.some((form) => realIfExists(resolve(dirname(target), form)) !== undefined);
    const hint = elsewhere ? { hint: `the model file is a link to ${relative(root, target)}: weights are read beside the link, so link or copy the weight files too, or give nnchip the model's own path` } : {};
    throw new NnchipError('NN105', `weight file "${name}" is missing${forms.length > 1 ? ` (also as ${forms.slice(1).map((f) => `"${f}"`).join(', ')})` : ''}${elsewhere ? ` beside the link ${modelFile}` : ''}`, { file: modelFile, ...hint });
  }
  const real = found;
  if (!inside(root, real)) throw refuse("is a link that leaves the model's folder");
  if (!statSync(real).isFile()) throw new NnchipError('NN105', `weight file "${name}" is not a regular file`, { file: modelFile });
  // the model's own bytes taken as weights (an external-data location or a shard naming the model): read silently before
  if (real === realIfExists(resolve(modelDir, modelFile))) throw new NnchipError('NN105', `weight file "${name}" is the model file itself`, { file: modelFile });
  return real;
}

function realIfExists(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** `name` with its %XX escapes decoded, as a URL's path is (itself when it holds none, or a malformed one). */
function urlDecoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
