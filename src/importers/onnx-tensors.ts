// SPDX-License-Identifier: MIT
/**
 * ONNX TensorProto and AttributeProto values (decoded by onnx-proto's protobufjs code) → numbers.
 * Every declared size is checked against the limits before anything is allocated; external data
 * files must stay inside the model's folder.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type OnnxProto from 'onnx-proto';
import { fmtInt, NnchipError, type ErrorSite, shownValue } from '../diagnostics/error.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { bf16ToFloat, halfToFloat } from './float16.js';
import { checkBytes, checkedElements, type Limits } from './limits.js';
import { resolveInside } from './safe-path.js';

// onnx-proto is CommonJS: required, not imported — an ES import has node scan its megabyte of
// generated code for export names first (40 ms of every load of this module, ONNX model or not) —,
// and only once an ONNX model is read: requiring it is 12 ms, which every other `lower` and every
// `sim` (the CLI loads the importers with the program reader) spent for nothing
let schema: typeof OnnxProto.onnx | undefined;
/** onnx-proto's `onnx` namespace (the protobuf messages and enums), required on first use. */
export const onnxSchema = (): typeof OnnxProto.onnx => (schema ??= (createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx);
export type TensorProto = OnnxProto.onnx.ITensorProto;
export type AttributeProto = OnnxProto.onnx.IAttributeProto;

const dtypes = (): typeof OnnxProto.onnx.TensorProto.DataType => onnxSchema().TensorProto.DataType;
const attrTypes = (): typeof OnnxProto.onnx.AttributeProto.AttributeType => onnxSchema().AttributeProto.AttributeType;
let enumNames: { readonly dtype: Readonly<Record<number, string>>; readonly attr: Readonly<Record<number, string>> } | undefined;
const namesOf = (e: object): Readonly<Record<number, string>> => Object.fromEntries(Object.entries(e).map(([k, v]) => [v, k]));
const names = (): NonNullable<typeof enumNames> => (enumNames ??= { dtype: namesOf(dtypes()), attr: namesOf(attrTypes()) });
export const dtypeName = (t: number | null | undefined): string => names().dtype[t ?? 0] ?? `type ${String(t)}`;

type Site = ErrorSite;

/** A protobuf int64 (number or Long) as a safe JS integer. */
export function toInt(v: unknown, site: Site, what: string): number {
  const n = typeof v === 'number' ? v : Number(String(v));
  if (!Number.isSafeInteger(n)) throw new NnchipError('NN107', `${what} is ${String(v)}, not an integer nnchip can represent`, site);
  return n;
}

export interface TensorSource {
  readonly file: string;
  /** the model's folder, against which external data paths are resolved */
  readonly dir: string;
  readonly limits: Limits;
}

function dimsOf(t: TensorProto, site: Site, what: string, limits: Limits): { dims: number[]; n: number } {
  const dims = (t.dims ?? []).map((d, i) => toInt(d, site, `${what} dimension ${i}`));
  // an empty 1-D tensor is legal ONNX (empty axes or pads); any other zero-sized shape is refused
  const n = dims.length === 0 ? 1 : dims.length === 1 && dims[0] === 0 ? 0 : checkedElements(dims, limits, site, what);
  return { dims, n };
}

/** The keys of ONNX's external data (onnx/external_data_helper.py ExternalDataInfo). */
const EXTERNAL_KEYS = ['location', 'offset', 'length', 'checksum', 'basepath'];

/** Bytes of an external-data tensor, read from [offset, offset + bytes) of a file inside the folder. */
function readExternal(t: TensorProto, bytes: number, src: TensorSource, site: Site, what: string): Uint8Array {
  // a key given twice: one of its values was taken, silently (ONNX's checker refuses it)
  const keys = (t.externalData ?? []).map((e) => e.key ?? '');
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new NnchipError('NN107', `${what} gives its external-data "${twice}" twice`, site);
  if ((t.rawData?.length ?? 0) > 0) throw new NnchipError('NN107', `${what} is stored externally and holds raw_data too: which is its data is not said`, site);
  // a key nnchip does not know ("ofset"): the data was read from offset 0, silently
  const unknown = keys.find((k) => !EXTERNAL_KEYS.includes(k));
  if (unknown !== undefined) throw new NnchipError('NN107', `${what} has an unknown external-data key ${shownValue(unknown)}${didYouMean(unknown, EXTERNAL_KEYS)} (ONNX's keys: ${EXTERNAL_KEYS.join(', ')})`, site);
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined) throw new NnchipError('NN107', `${what} is stored externally but names no location`, site);
  const offset = toInt(entries.get('offset') ?? 0, site, `${what} external offset`);
  const length = entries.has('length') ? toInt(entries.get('length'), site, `${what} external length`) : bytes;
  // a negative offset was reported as a size mismatch ("48 bytes at offset -4 but its shape needs 48")
  if (offset < 0) throw new NnchipError('NN107', `${what} external offset is ${offset}; expected a byte position from 0`, site);
  // offsets and lengths are decimal integers (onnx reads them with int()): "0x10" was read as 16
  for (const k of ['offset', 'length']) {
    const v = entries.get(k);
    if (v !== undefined && !/^\d+$/.test(v)) throw new NnchipError('NN107', `${what} external ${k} is ${shownValue(v)}; expected a byte count in decimal digits`, site);
  }
  if (length !== bytes) throw new NnchipError('NN105', `${what} declares ${length} bytes of external data at offset ${offset} but its shape needs ${bytes}`, site);
  const path = resolveInside(src.dir, location, src.file);
  const size = statSync(path).size;
  if (offset + bytes > size) throw new NnchipError('NN105', `${what} needs bytes ${offset}..${offset + bytes} of "${location}", which holds ${size} (short)`, site);
  checkBytes(bytes, src.limits, site, what);
  const out = new Uint8Array(bytes);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, out, 0, bytes, offset);
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Raw little-endian bytes of a tensor (raw_data or external), or undefined when typed fields hold it. */
function rawBytes(t: TensorProto, bytes: number, src: TensorSource, site: Site, what: string): Uint8Array | undefined {
  if (t.dataLocation === onnxSchema().TensorProto.DataLocation.EXTERNAL) return readExternal(t, bytes, src, site, what);
  const raw = t.rawData;
  if (raw === null || raw === undefined || raw.length === 0) return undefined;
  // raw_data beside a typed field (float_data, int32_data, …): one was read and the other ignored, silently
  const typed = (['floatData', 'int32Data', 'int64Data', 'doubleData', 'uint64Data'] as const).find((k) => (t[k]?.length ?? 0) > 0);
  if (typed !== undefined) throw new NnchipError('NN107', `${what} holds both raw_data and ${typed.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}: which is its data is not said`, site);
  if (raw.length !== bytes) throw new NnchipError('NN105', `${what} holds ${raw.length} bytes of raw data but its shape needs ${bytes} (${raw.length < bytes ? 'short' : 'too long'})`, site);
  return raw;
}

/** Whether a TensorProto data type is a float type nnchip reads as float32 (FLOAT, FLOAT16, BFLOAT16, DOUBLE). */
export function isFloatType(t: number | null | undefined): boolean {
  const d = dtypes();
  return t === d.FLOAT || t === d.FLOAT16 || t === d.BFLOAT16 || t === d.DOUBLE;
}

/** v rounded to float type `to` (FLOAT16, BFLOAT16: to nearest, ties to even, as ONNX Runtime's Cast; FLOAT and DOUBLE: to float32). */
export function roundToFloat(v: number, to: number): number {
  const f = Math.fround(v);
  const d = dtypes();
  if (to === d.BFLOAT16) {
    if (!Number.isFinite(f)) return f;
    const bits = new Uint32Array(new Float32Array([f]).buffer)[0]!;
    const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
    return bf16ToFloat(rounded);
  }
  if (to !== d.FLOAT16 || !Number.isFinite(f) || f === 0) return f;
  const a = Math.abs(f);
  if (a >= 65520) return Math.sign(f) * Infinity;
  // the half grid's spacing at |v| (subnormals below 2^-14 share 2^-24); Math.round's ties go up, so ties to even by hand
  const step = 2 ** (Math.max(Math.floor(Math.log2(a)), -14) - 10);
  const q = a / step;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r -= 1;
  return Math.sign(f) * r * step;
}

/**
 * A float tensor: its ONNX dims and data as float32. FLOAT16 and BFLOAT16 (onnxconverter-common's
 * float16 models, bfloat16 checkpoints) are exact in float32; DOUBLE is rounded to nearest float32.
 * Typed fields: float_data, double_data, and 16-bit types as bit patterns in int32_data.
 */
export function floatTensor(t: TensorProto, src: TensorSource, site: Site, what: string): { dims: number[]; data: Float32Array } {
  if (!isFloatType(t.dataType)) throw new NnchipError('NN106', `${what} has data type ${dtypeName(t.dataType)}; nnchip reads FLOAT, FLOAT16, BFLOAT16 or DOUBLE weights`, site);
  const d = dtypes();
  const width = t.dataType === d.DOUBLE ? 8 : t.dataType === d.FLOAT ? 4 : 2;
  const { dims, n } = dimsOf(t, site, what, src.limits);
  checkBytes(n * Math.max(4, width), src.limits, site, what);
  const raw = rawBytes(t, n * width, src, site, what);
  if (raw !== undefined) {
    const data = new Float32Array(n);
    if (width === 4) {
      new Uint8Array(data.buffer).set(raw); // copy: raw_data need not be 4-byte aligned
      return { dims, data };
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const half = t.dataType === d.FLOAT16 ? halfToFloat : bf16ToFloat;
    for (let i = 0; i < n; i++) data[i] = width === 8 ? view.getFloat64(i * 8, true) : half(view.getUint16(i * 2, true));
    return { dims, data };
  }
  const field = t.dataType === d.FLOAT ? 'floatData' : t.dataType === d.DOUBLE ? 'doubleData' : 'int32Data';
  const vals: ArrayLike<number> = t[field] ?? [];
  // the values in another type's field (a FLOAT16 tensor's float_data): 'holds 0 values' named neither the field nor the fix
  const other = vals.length === 0 ? (['floatData', 'int32Data', 'int64Data', 'doubleData', 'uint64Data'] as const).find((k) => k !== field && (t[k]?.length ?? 0) > 0) : undefined;
  const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  if (other !== undefined) throw new NnchipError('NN107', `${what} is ${dtypeName(t.dataType ?? 0)} but holds its values in ${snake(other)}; ONNX keeps ${dtypeName(t.dataType ?? 0)} values in ${snake(field)} or raw_data`, site);
  if (vals.length !== n) throw new NnchipError('NN105', `${what} holds ${vals.length} values but its shape needs ${n}`, site);
  if (width !== 2) return { dims, data: Float32Array.from(vals) };
  const half = t.dataType === d.FLOAT16 ? halfToFloat : bf16ToFloat;
  return { dims, data: Float32Array.from(vals, (v) => half(Number(v))) };
}

/** A small integer tensor (INT64 or INT32), e.g. a Reshape target. */
/**
 * An INT64/INT32 tensor's values. saturate: values beyond ±2^53 become ±(2^53 − 1) instead of NN107
 * (Slice's starts/ends, where PyTorch writes ±(2^63 − 1) for "to the end": any value past the axis clamps alike).
 */
export function intTensor(t: TensorProto, src: TensorSource, site: Site, what: string, saturate = false): { dims: number[]; data: number[] } {
  const wide = t.dataType === dtypes().INT64;
  if (!wide && t.dataType !== dtypes().INT32) throw new NnchipError('NN106', `${what} has data type ${dtypeName(t.dataType)}; expected INT64`, site);
  const { dims, n } = dimsOf(t, site, what, src.limits);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  const sat = (v: unknown): unknown => {
    if (!saturate) return v;
    const big = typeof v === 'bigint' ? v : typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v) : v) : /^-?\d+$/.test(String(v)) ? BigInt(String(v)) : v;
    return typeof big === 'bigint' ? (big > limit ? limit : big < -limit ? -limit : big) : big;
  };
  const raw = rawBytes(t, n * (wide ? 8 : 4), src, site, what);
  if (raw !== undefined) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = Array.from({ length: n }, (_, i) => (wide ? toInt(sat(view.getBigInt64(i * 8, true)), site, what) : view.getInt32(i * 4, true)));
    return { dims, data };
  }
  const vals = wide ? (t.int64Data ?? []) : (t.int32Data ?? []);
  if (vals.length !== n) throw new NnchipError('NN105', `${what} holds ${vals.length} values but its shape needs ${n}`, site);
  return { dims, data: vals.map((v) => toInt(sat(v), site, what)) };
}

/** The values each quantized type holds. */
export const QUANT_RANGES = { int8: [-128, 127], uint8: [0, 255], int32: [-(2 ** 31), 2 ** 31 - 1] } as const;

/** An 8-bit or INT32 integer tensor (a quantized weight, its zero point, a quantized bias): its dims, values and type. */
export function quantizedTensor(t: TensorProto, src: TensorSource, site: Site, what: string): { dims: number[]; data: number[]; type: 'int8' | 'uint8' | 'int32' } {
  const type = t.dataType === dtypes().INT8 ? 'int8' : t.dataType === dtypes().UINT8 ? 'uint8' : t.dataType === dtypes().INT32 ? 'int32' : undefined;
  if (type === undefined) throw new NnchipError('NN110', `${what} has data type ${dtypeName(t.dataType)}; nnchip reads quantized tensors of INT8, UINT8 or INT32`, site);
  const { dims, n } = dimsOf(t, site, what, src.limits);
  const width = type === 'int32' ? 4 : 1;
  checkBytes(n * width, src.limits, site, what);
  const raw = rawBytes(t, n * width, src, site, what);
  if (raw !== undefined) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = Array.from({ length: n }, (_, i) => (type === 'int8' ? view.getInt8(i) : type === 'uint8' ? view.getUint8(i) : view.getInt32(i * 4, true)));
    return { dims, data, type };
  }
  // typed: 8-bit values are stored in int32_data, one per entry
  const vals = (t.int32Data ?? []).map(Number);
  if (vals.length !== n) throw new NnchipError('NN105', `${what} holds ${vals.length} values but its shape needs ${n}`, site);
  const [lo, hi] = QUANT_RANGES[type];
  const bad = vals.find((v) => !(Number.isInteger(v) && v >= lo && v <= hi));
  if (bad !== undefined) throw new NnchipError('NN107', `${what} holds ${bad}, outside ${type.toUpperCase()}'s range ${lo}..${hi}`, site);
  return { dims, data: vals, type };
}

/** A node's attributes by name, with typed accessors and defaults. */
export class Attributes {
  private readonly byName: Map<string, AttributeProto>;
  constructor(list: readonly AttributeProto[] | null | undefined, private readonly site: Site) {
    this.byName = new Map();
    // the ONNX checker refuses an attribute given twice; which of the two applied was a guess
    for (const a of list ?? []) {
      const name = a.name ?? '';
      if (this.byName.has(name)) throw new NnchipError('NN107', `attribute ${name} is given twice`, site);
      this.byName.set(name, a);
    }
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  /** The attribute, refused (NN107) when it declares another type than the op defines (an unset type is trusted). */
  private get(name: string, type: number): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a !== undefined && a.type !== undefined && a.type !== null && a.type !== 0 && a.type !== type) {
      throw new NnchipError('NN107', `attribute ${name} is ${names().attr[a.type] ?? `type ${a.type}`}; the op defines it as ${names().attr[type]}`, this.site);
    }
    return a;
  }
  private finite(name: string, v: number): number {
    if (!Number.isFinite(v)) throw new NnchipError('NN107', `attribute ${name} is ${v}; expected a finite number`, this.site);
    return v;
  }
  int(name: string, fallback: number): number {
    const a = this.get(name, attrTypes().INT);
    return a === undefined ? fallback : toInt(a.i ?? 0, this.site, `attribute ${name}`);
  }
  float(name: string, fallback: number): number {
    const a = this.get(name, attrTypes().FLOAT);
    return a === undefined ? fallback : this.finite(name, Number(a.f ?? 0));
  }
  ints(name: string): number[] | undefined {
    const a = this.get(name, attrTypes().INTS);
    return a === undefined ? undefined : (a.ints ?? []).map((v) => toInt(v, this.site, `attribute ${name}`));
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, attrTypes().FLOATS);
    return a === undefined ? undefined : (a.floats ?? []).map((v) => this.finite(name, Number(v)));
  }
  string(name: string, fallback: string): string {
    const s = this.get(name, attrTypes().STRING)?.s;
    return s === undefined || s === null ? fallback : Buffer.from(s).toString('utf8');
  }
  strings(name: string): string[] | undefined {
    const a = this.get(name, attrTypes().STRINGS);
    return a === undefined ? undefined : (a.strings ?? []).map((v) => Buffer.from(v).toString('utf8'));
  }
  tensor(name: string): TensorProto | undefined {
    return this.get(name, attrTypes().TENSOR)?.t ?? undefined;
  }
}

/**
 * NN109 when the initializers declare more than --max-params weights in all, from their dims before
 * any is decoded: the line gives the total and the largest (VGG-16 was refused at its 102,760,448-weight
 * classifier, and --max-params raised to that was refused again at the total), and the hint the flag
 * that takes the model.
 */
export function checkDeclaredWeights(initializers: readonly TensorProto[], limits: Limits, file: string): void {
  const unlimited = { ...limits, maxParams: Infinity };
  let [total, largest, largestName] = [0, 0, ''];
  for (const t of initializers) {
    const site = { file };
    const dims = (t.dims ?? []).map((d, i) => toInt(d, site, `initializer dimension ${i}`));
    const n = dims.length === 0 ? 1 : dims.length === 1 && dims[0] === 0 ? 0 : checkedElements(dims, unlimited, site, `initializer "${t.name ?? ''}"`);
    total += n;
    if (n > largest) [largest, largestName] = [n, t.name ?? ''];
  }
  if (total <= limits.maxParams) return;
  const mb = fmtInt(Math.ceil((total * 4) / 2 ** 20));
  throw new NnchipError('NN109', `the initializers declare ${fmtInt(total)} weights in all (the largest, "${largestName}", ${fmtInt(largest)}), over the limit of ${fmtInt(limits.maxParams)} (--max-params)`, {
    file,
    hint: `if the model is really that large, lower it with --max-params ${total}: the compiler holds its weights as float32, ${mb} MB and more (--max-memory bounds each allocation)`,
  });
}
