// SPDX-License-Identifier: MIT
/**
 * TF.js weightsManifest → named float tensors, for both the Layers and the graph-model importer.
 * Decodes every dtype and quantization tfjs-core's io_utils.decodeWeight decodes, with its arithmetic.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fmtInt, NnchipError, shownValue } from '../diagnostics/error.js';
import type { Tensor } from '../ir/graph.js';
import { halfToFloat } from './float16.js';
import { checkBytes, checkedElements, type Limits } from './limits.js';
import { resolveInside } from './safe-path.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Stored form of one weight: its element type on disk and how a stored value becomes a number. */
type Encoding =
  | { readonly kind: 'float32' | 'int32' | 'float16'; readonly bytes: number }
  | { readonly kind: 'affine'; readonly bytes: 1 | 2; readonly scale: number; readonly min: number; readonly round: boolean };

interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly elements: number;
  readonly byteOffset: number;
  readonly encoding: Encoding;
}

const PLAIN_DTYPES = { float32: 4, int32: 4, float16: 2 } as const;
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;

/** The weight's encoding, refusing any dtype or quantization tfjs-converter does not write. */
function encodingOf(w: Json, name: string, file: string): Encoding {
  const dtype = w['dtype'];
  const refuse = (what: string): NnchipError => new NnchipError('NN106', `weight "${name}" ${what}`, { file });
  if (dtype === undefined) throw new NnchipError('NN107', `weight "${name}" has no "dtype" (tfjs-converter writes one for every weight)`, { file }); // was 'has dtype undefined'
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'float16') throw refuse(`has dtype ${shownValue(dtype)}`);
  const q = w['quantization'];
  if (q === undefined) return { kind: dtype, bytes: PLAIN_DTYPES[dtype] };
  if (!isObj(q)) throw refuse('has a quantization entry that is not an object');
  const qd = q['dtype'];
  if (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16') throw refuse(`has quantization dtype ${shownValue(qd)}`);
  if (qd === 'float16') {
    if (dtype !== 'float32') throw refuse(`is ${dtype} quantized as float16 (tfjs allows that only for float32)`);
    return { kind: 'float16', bytes: 2 };
  }
  if (dtype === 'float16') throw refuse(`is float16 quantized as ${qd}`);
  // tfjs-converter writes {scale, min}; {min, max} is accepted too, with the converter's scale (max − min)/(2^bits − 1)
  const levels = qd === 'uint8' ? 255 : 65535;
  const num = (k: string): number | undefined => (typeof q[k] === 'number' && Number.isFinite(q[k]) ? q[k] : undefined);
  const min = num('min');
  const max = num('max');
  const scale = num('scale') ?? (min !== undefined && max !== undefined ? (max - min) / levels : undefined);
  if (min === undefined || scale === undefined) throw refuse(`is quantized as ${qd} without finite "min" and "scale" (or "min" and "max")`);
  return { kind: 'affine', bytes: QUANT_BYTES[qd], scale, min, round: dtype === 'int32' };
}

/** Decode one weight's bytes to float32 values as tfjs does (affine in float64, then stored as float32). */
function decode(bytes: Uint8Array, spec: WeightSpec): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + spec.byteOffset, spec.elements * spec.encoding.bytes);
  const out = new Float32Array(spec.elements);
  const e = spec.encoding;
  for (let i = 0; i < spec.elements; i++) {
    if (e.kind === 'float32') out[i] = view.getFloat32(4 * i, true);
    else if (e.kind === 'int32') out[i] = view.getInt32(4 * i, true);
    else if (e.kind === 'float16') out[i] = halfToFloat(view.getUint16(2 * i, true));
    else if (e.kind === 'affine') {
      const v = e.bytes === 1 ? view.getUint8(i) : view.getUint16(2 * i, true);
      // int32 weights round as tfjs does, and hold +0 where Math.round gives −0 (an Int32Array has no −0)
      out[i] = e.round ? Math.round(v * e.scale + e.min) + 0 : v * e.scale + e.min;
    }
  }
  return out;
}

function readShards(paths: readonly string[], sizes: readonly number[], need: number): Uint8Array {
  const bytes = new Uint8Array(need);
  let at = 0;
  paths.forEach((p, i) => {
    const fd = openSync(p, 'r');
    try {
      at += readSync(fd, bytes, at, sizes[i]!, 0);
    } finally {
      closeSync(fd);
    }
  });
  return bytes;
}

/** Read every weight group (of those `wanted`: the others are neither counted against --max-params nor decoded); the manifest is checked against the shard sizes before any allocation. */
export function readTfjsWeights(manifest: unknown, modelFile: string, limits: Limits, wanted: (name: string) => boolean = () => true): Map<string, Tensor> {
  const file = basename(modelFile);
  const site = { file };
  if (!Array.isArray(manifest)) throw new NnchipError('NN107', 'weightsManifest is missing or not a list', site);
  const tensors = new Map<string, Tensor>();
  let totalParams = 0;
  // each shard's real path, and the name it was listed as: a shard listed twice had its bytes read twice
  const shards = new Map<string, string>();
  for (const group of manifest) {
    if (!isObj(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) throw new NnchipError('NN107', 'a weightsManifest entry needs "paths" and "weights" lists', site);
    const names = group['paths'] as unknown[];
    if (names.some((p) => typeof p !== 'string')) throw new NnchipError('NN107', `a weightsManifest path is ${shownValue(names.find((p) => typeof p !== 'string'))}, not a file name`, site);
    const specs: WeightSpec[] = [];
    // a Set, not a search of specs: a manifest of a million entries was a million squared comparisons (minutes)
    const inGroup = new Set<string>();
    let need = 0;
    for (const w of group['weights'] as unknown[]) {
      if (!isObj(w) || typeof w['name'] !== 'string') throw new NnchipError('NN107', 'a weight entry has no name', site);
      const name = w['name'];
      if (tensors.has(name) || inGroup.has(name)) throw new NnchipError('NN107', `weight "${name}" is listed twice in the weightsManifest`, site);
      inGroup.add(name);
      const encoding = encodingOf(w, name, file);
      // a weight only a dropped node reads (a graph model's unread Const) is neither counted nor decoded
      const used = wanted(name);
      const elements = checkedElements(w['shape'], used ? limits : { ...limits, maxParams: Infinity }, site, `weight "${name}"`);
      specs.push({ name, shape: w['shape'] as number[], elements, byteOffset: need, encoding });
      need += elements * encoding.bytes;
      if (used) totalParams += elements;
      if (totalParams > limits.maxParams) throw new NnchipError('NN109', `the model has over ${fmtInt(limits.maxParams)} weights (--max-params)`, site);
    }
    // each path checked as it is resolved: all resolved first, 200,000 copies of one name took 15 s to reach the second
    const paths = (names as string[]).map((name) => {
      const real = resolveInside(dirname(modelFile), name, file);
      const first = shards.get(real);
      if (first !== undefined) throw new NnchipError('NN107', `weight shard "${name}" is listed twice in the weightsManifest${first === name ? '' : ` (also as "${first}")`}: its bytes would be read twice`, site);
      shards.set(real, name);
      return real;
    });
    const sizes = paths.map((p) => statSync(p).size);
    const have = sizes.reduce((a, b) => a + b, 0);
    // "paths": [] read as "weight shards  hold 0 bytes"
    if (names.length === 0 && need > 0) throw new NnchipError('NN105', `a weightsManifest entry lists no weight files ("paths" is empty) for its ${specs.length} weight${specs.length === 1 ? '' : 's'} of ${fmtInt(need)} bytes`, site);
    if (have !== need) {
      const listed = names.length > 4 ? `${(names as string[]).slice(0, 3).join(', ')} and ${names.length - 3} more` : (names as string[]).join(', ');
      throw new NnchipError('NN105', `weight shards ${listed} hold ${have} bytes but the manifest declares ${need} (${have < need ? 'short' : 'too long'})`, site);
    }
    checkBytes(need, limits, site, 'the weight group');
    const bytes = readShards(paths, sizes, need);
    for (const s of specs) if (wanted(s.name)) tensors.set(s.name, { shape: s.shape, data: decode(bytes, s) });
  }
  return tensors;
}
