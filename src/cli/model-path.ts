// SPDX-License-Identifier: MIT
/**
 * What the user named on the command line: a model file, a folder holding one, or a lowered program.
 * Each command says which of these it needs, so a wrong kind of input gets a sentence, not "cannot be read".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';

/** The file names a model folder may hold, in the order they are looked for. */
const MODEL_FILES = ['model.json', 'model.onnx'] as const;
/** JSON files beside a model that are not models. */
const NOT_MODELS = new Set(['calibration.json', 'summary.json', 'memory-map.json', 'explore.json', 'certificate.json', 'package.json']);

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** A lowered program: a `.nnp` file, or a folder written by `nnchip lower` (it holds program.nnp). */
export function isProgramPath(path: string): boolean {
  return path.endsWith('.nnp') || (isDir(path) && existsSync(join(path, 'program.nnp')));
}

/** The model file a path names: the path itself, or the one model.json / model.onnx in a folder. */
export function resolveModelPath(path: string, command: string): string {
  if (isProgramPath(path)) {
    throw new NnchipError('NN801', `${command} needs the float model (model.json, model.onnx or an nnchip JSON model), not a lowered program`, {
      file: path,
      hint: 'pass the model the program was lowered from',
    });
  }
  if (!isDir(path)) return path;
  const found = MODEL_FILES.filter((f) => existsSync(join(path, f)));
  if (found.length === 1) return join(path, found[0]!);
  if (found.length > 1) throw new NnchipError('NN101', `is a folder holding both ${found.join(' and ')}`, { file: path, hint: `name one of them, e.g. ${join(path, found[0]!)}` });
  const others = readdirSync(path).filter((f) => /\.(json|onnx)$/i.test(f) && !NOT_MODELS.has(f)).sort();
  const guess = others.length > 0 ? `did you mean ${join(path, others[0]!)}?` : 'name the model file (model.json, model.onnx or an nnchip JSON model)';
  throw new NnchipError('NN101', `is a folder without ${MODEL_FILES.join(' or ')}`, { file: path, hint: guess });
}

/** The program.nnp a path names; a model file gets told to be lowered first. */
export function resolveProgramPath(path: string, command: string): string {
  if (path.endsWith('.nnp')) return path;
  if (isDir(path)) {
    if (existsSync(join(path, 'program.nnp'))) return join(path, 'program.nnp');
    const model = MODEL_FILES.find((f) => existsSync(join(path, f)));
    if (model === undefined) throw new NnchipError('NN101', 'is a folder without program.nnp', { file: path, hint: 'name a folder written by `nnchip lower`, or its program.nnp' });
    throw lowerFirst(path, command);
  }
  if (/\.(json|onnx)$/i.test(path)) throw lowerFirst(path, command);
  return path;
}

function lowerFirst(path: string, command: string): NnchipError {
  return new NnchipError('NN801', `${command} needs a lowered program (a folder written by \`nnchip lower\`, or its program.nnp), not a model`, {
    file: path,
    hint: `lower it first: nnchip lower ${path}`,
  });
}

/** A short name for outputs: `examples/digits-mlp/model.json` → digits-mlp, `tiny.nnchip.json` → tiny. */
export function modelStem(path: string): string {
  const stem = basename(path).replace(/(\.nnchip)?\.(json|onnx)$/i, '').replace(/\.(nnchip|nnp)$/i, '');
  if (stem !== 'model' && stem !== 'program') return stem;
  return basename(dirname(resolve(path))).replace(/\.nnchip$/i, '');
}
