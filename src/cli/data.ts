// SPDX-License-Identifier: MIT
/**
 * Reading sample files: JSON, an array of samples or {"inputs": [...], "labels"?: [...]}; each
 * sample flat (the model's element count) or nested (exactly the model's input shape).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { fmtInt, NnchipError, whyUnreadable } from '../diagnostics/error.js';
import { modelDims } from '../isa/layout.js';
import { batchOf, sampleSize, type Program } from '../isa/program.js';
import { SampleParser } from './sample-json.js';

/**
 * Data files over this are refused before reading. The file stays in memory as bytes, its
 * numbers as float32: at most 2 bytes of file per number, so 256 MiB needs at most ~1 GiB more.
 */
export const MAX_DATA_BYTES = 256 * 1024 * 1024;

/**
 * Calibration files of more samples than this are refused once parsed, before an array is made per
 * sample (calibrationFrom): calibration keeps one per sample (about 125 bytes), so 2.6 million
 * one-value samples (a 5 MB file) took 380 MB, and the 256 MB a data file may be would have taken
 * 16 GB. `run`, `eval` and `board run` stream a file's samples (Samples.sample) and take any count.
 */
export const MAX_CALIBRATION_SAMPLES = 2 ** 20;

/**
 * The bytes of a regular file no larger than `cap`. Opened non-blocking and checked on the open
 * descriptor: a FIFO (which would wait for a writer) or a device (/dev/zero never ends) is refused
 * at once, even if the name is swapped between a check and the read.
 */
export function readRegularFile(path: string, cap: number, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new NnchipError('NN101', `cannot be read (${whyUnreadable(e, path)})`, { file: path });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NnchipError('NN101', 'is not a regular file', { file: path });
    // the cap is fixed: NN109's own hint (raise --max-params / --max-memory) would name flags that do not move it
    if (st.size > cap) throw new NnchipError('NN109', `the file is ${fmtInt(st.size)} bytes; ${what} over ${fmtInt(cap)} bytes are refused`, { file: basename(path), hint: what === 'data files' ? 'use fewer samples, or split them over several files (no flag raises this limit)' : 'give a smaller file (no flag raises this limit)' });
    const bytes = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, bytes, read, st.size - read, read);
      if (n === 0) break; // the file shrank while being read
      read += n;
    }
    return bytes.subarray(0, read);
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', 'cannot be read', { file: path });
  } finally {
    closeSync(fd);
  }
}

/** The model input as users give one sample: its element count and its nested shape. */
export interface InputSpec {
  readonly size: number;
  /** In the model's own layout (channel-major [C, H, W] for ONNX maps); absent: counts only. */
  readonly dims?: readonly number[];
}

export function programInputSpec(p: Program): InputSpec {
  const perSample = batchOf(p) > 1 ? p.input.shape.slice(1) : p.input.shape;
  return { size: sampleSize(p), dims: modelDims(perSample, p.input.layout) };
}

export interface Samples {
  readonly count: number;
  /** Sample i's values (a view: no copy). */
  sample(i: number): Float32Array;
  /** Every sample (views); for small files (calibration, test benches). */
  readonly inputs: Float32Array[];
  readonly labels: number[] | null;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (d: readonly number[]): string => `[${d.join(', ')}]`;

/** A nested sample must have the model's shape (a leading 1, the batch, allowed); a flat one its count. */
function checker(spec: InputSpec, file: string): (index: number, dims: readonly number[], count: number) => void {
  return (index, dims, count) => {
    if (dims.length <= 1 || spec.dims === undefined) {
      if (count !== spec.size) throw new NnchipError('NN303', `sample ${index} has ${count} numbers; the model input needs ${spec.size}`, { file });
      return;
    }
    if (same(dims, spec.dims) || (dims[0] === 1 && same(dims.slice(1), spec.dims))) return;
    throw new NnchipError('NN307', `sample ${index} has shape ${shapeText(dims)}; the model input is ${shapeText(spec.dims)}`, { file });
  };
}

/** Read samples; a nested sample must match `spec.dims`, a flat one `spec.size` (or just a count). */
export function readSamples(path: string, spec: number | InputSpec): Samples {
  const file = basename(path);
  const { size, dims } = typeof spec === 'number' ? { size: spec, dims: undefined } : spec;
  const bytes = readRegularFile(path, MAX_DATA_BYTES, 'data files');
  const parsed = new SampleParser(bytes, file).parse(checker(dims === undefined ? { size } : { size, dims }, file));
  let count = parsed.entries;
  if (parsed.flatList && size !== 1) {
    if (parsed.entries !== size) throw new NnchipError('NN303', `the file is one flat list of ${parsed.entries} numbers; the model input needs ${size}`, { file });
    count = 1; // a single flat sample
  }
  const labels = parsed.labels;
  if (labels !== null && labels.length !== count) throw new NnchipError('NN302', `"labels" has ${labels.length} entr${labels.length === 1 ? 'y' : 'ies'} for ${count} sample${count === 1 ? '' : 's'}; give one integer class per sample`, { file });
  const fraction = labels?.findIndex((l) => !Number.isInteger(l)) ?? -1;
  if (fraction >= 0) throw new NnchipError('NN302', `label ${fraction} is ${labels![fraction]}, not an integer class`, { file });
  const sample = (i: number): Float32Array => parsed.values.subarray(i * size, (i + 1) * size);
  return {
    count,
    sample,
    get inputs() {
      return Array.from({ length: count }, (_, i) => sample(i));
    },
    labels,
  };
}
