// SPDX-License-Identifier: MIT
/** Reading sample files: JSON, an array of samples or {"inputs": [...], "labels"?: [...]}. */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';

const MAX_DATA_BYTES = 512 * 1024 * 1024;

function flatten(x: unknown, out: number[], file: string, index: number): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new NnchipError('NN302', `sample ${index} contains ${x}`, { file });
    out.push(x);
  } else if (Array.isArray(x)) for (const e of x) flatten(e, out, file, index);
  else throw new NnchipError('NN302', `sample ${index} contains ${JSON.stringify(x)?.slice(0, 20)}, not a number`, { file });
}

export interface Samples {
  readonly inputs: Float32Array[];
  readonly labels: number[] | null;
}

/** Read samples; each must have exactly `size` numbers once flattened. */
export function readSamples(path: string, size: number): Samples {
  const file = basename(path);
  let text: string;
  try {
    if (statSync(path).size > MAX_DATA_BYTES) throw new NnchipError('NN109', `the data file is over ${MAX_DATA_BYTES} bytes`, { file });
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NnchipError('NN302', `invalid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  const list = Array.isArray(json) ? json : obj?.['inputs'];
  if (!Array.isArray(list) || list.length === 0) throw new NnchipError('NN302', 'no samples found', { file });
  // a single flat sample of the right size is accepted as one sample
  const samples = list.every((v) => typeof v === 'number') && list.length === size ? [list] : list;
  const inputs = samples.map((s, i) => {
    const flat: number[] = [];
    flatten(s, flat, file, i);
    if (flat.length !== size) throw new NnchipError('NN303', `sample ${i} has ${flat.length} numbers; the model input needs ${size}`, { file });
    return Float32Array.from(flat);
  });
  const rawLabels = obj?.['labels'];
  let labels: number[] | null = null;
  if (rawLabels !== undefined) {
    if (!Array.isArray(rawLabels) || rawLabels.length !== inputs.length || rawLabels.some((l) => !Number.isInteger(l))) {
      throw new NnchipError('NN302', `"labels" must be ${inputs.length} integers, one per sample`, { file });
    }
    labels = rawLabels as number[];
  }
  return { inputs, labels };
}
