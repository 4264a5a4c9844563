// SPDX-License-Identifier: MIT
/**
 * The Program: instructions + the initial DRAM image (constants) + where the input and output
 * tensors live and how to (de)quantize them. Also its binary container (.nnp) and the host-side
 * helpers every back end uses to place an input and read an output.
 */
import { containerCount, fmtInt, MAX_JSON_DEPTH, nestedDeeperThan, NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from './config.js';
import { wordsOf } from './encode.js';
import { windowBytes, windowRows, type InputWindows } from './input-windows.js';
import { knownDeepFrozenList } from './list-memo.js';
import { dequantize, quantizeToInt8 } from './numerics.js';
import { INSN_BYTES, type Instruction } from './spec.js';

/**
 * A tensor in DRAM: `rows` pixels of `rowBytes` int8 codes (channels), `rowStride` bytes apart
 * within a line of `width` pixels; lines start `lineStride` bytes apart (borders live between).
 */
export interface DramTensor {
  readonly name: string;
  /** [H, W, C] or [K], without the batch dimension; codes are stored pixel-major (HWC). */
  readonly shape: readonly number[];
  /** 'chw': values are given (input) and read (output) channel-major, as ONNX models do; reordered on the host (isa/layout.ts). */
  readonly layout?: 'hwc' | 'chw';
  /** address of pixel 0 */
  readonly dram: number;
  readonly rows: number;
  readonly rowBytes: number;
  readonly rowStride: number;
  /** pixels per line (default: all rows in one line) */
  readonly width?: number;
  readonly lineStride?: number;
  /**
   * A batch stored with a border between its samples (passes/batch.ts): the rows come in samples
   * of `sampleRows` pixels, each laid out as above from its own first pixel, `sampleStride` bytes
   * after the previous sample's. Absent: one sample.
   */
  readonly sampleRows?: number;
  readonly sampleStride?: number;
  /** real = (code − zp) · scale */
  readonly scale: number;
  readonly zp: number;
  /**
   * The input only: stored as its first convolution's windows (isa/input-windows.ts), from `dram`
   * on; rows … lineStride above then describe the codes as given, not where they are stored.
   */
  readonly windows?: InputWindows;
}

/** One named region of a memory (`dram`, `act`, `wgt`, `acc`, `qnt`, `out`), in bytes for dram and entries otherwise. */
export interface Region {
  readonly space: 'dram' | 'act' | 'wgt' | 'acc' | 'qnt' | 'out';
  readonly name: string;
  readonly start: number;
  readonly size: number;
}

/** Per-layer bookkeeping for reports: which instructions implement it and what it costs. */
export interface LayerInfo {
  readonly name: string;
  readonly op: string;
  /** e.g. "784→64" */
  readonly shape: string;
  readonly firstInsn: number;
  readonly insnCount: number;
  readonly macs: number;
  readonly weightBytes: number;
}

/**
 * Bytes a reader cannot change through the type system: a Uint8Array without index assignment or
 * its writing methods (typed arrays cannot be frozen). A back end that needs other bytes copies.
 */
export type ReadonlyBytes = Omit<Uint8Array, number | 'set' | 'fill' | 'copyWithin' | 'reverse' | 'sort' | 'subarray'> & {
  readonly [index: number]: number;
  subarray(begin?: number, end?: number): ReadonlyBytes;
};

/**
 * A Program is read-only for everyone who receives one: every field is readonly, the constants
 * are ReadonlyBytes, and programs handed out by the CLI loader are frozen (freezeProgram).
 */
export interface Program {
  readonly config: ArrayConfig;
  readonly instructions: readonly Instruction[];
  /** Total DRAM bytes the program uses (constants first, then activations). */
  readonly dramSize: number;
  /** Initial contents of dram[0 .. constants.length). */
  readonly constants: ReadonlyBytes;
  readonly input: DramTensor;
  /**
   * The model's outputs, one or more, each stored where the layer computing it left it. An inference's
   * output codes are theirs one after the other, in this order (readOutputs); a batched program has one.
   */
  readonly outputs: readonly DramTensor[];
  readonly layers: readonly LayerInfo[];
  /** Index into `layers` of each instruction (halt belongs to the last layer): per-layer figures. */
  readonly insnLayer: readonly number[];
  readonly memoryMap: readonly Region[];
  /** Free-form provenance (model name, quantization notes). Never a timestamp. */
  readonly notes: readonly string[];
  /** Samples per inference (absent: 1); the input and output shapes then start with it. */
  readonly batch?: number;
}

export function tensorSize(t: DramTensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Samples per inference. */
export function batchOf(program: Program): number {
  return program.batch ?? 1;
}

/** Input values of one sample (the input tensor holds batchOf(program) of them). */
export function sampleSize(program: Program): number {
  return tensorSize(program.input) / batchOf(program);
}

/**
 * Quantize one inference's input: one float sample, or for a batched program its B samples one
 * after the other (flattened, row-major), into input codes.
 */
export function quantizeInput(program: Program, sample: ArrayLike<number>): Int8Array {
  const t = program.input;
  const n = tensorSize(t);
  if (sample.length !== n) throw new NnchipError('NN303', `input sample has ${sample.length} values; the model input ${JSON.stringify(t.shape)} needs ${n}`);
  const codes = new Int8Array(n);
  // a batched program's samples are vectors: no channel-major reordering applies
  const [h = 1, w = 1, c = n] = t.shape.length === 3 && batchOf(program) === 1 ? t.shape : [];
  // channel-major samples (ONNX) are stored pixel-major: code i = (pixel p, channel ch) ← sample[ch·H·W + p]
  const from = t.layout === 'chw' ? (i: number): number => (i % c) * h * w + Math.floor(i / c) : (i: number): number => i;
  for (let i = 0; i < n; i++) codes[i] = quantizeToInt8(Number(sample[from(i)]), t.scale, t.zp);
  return codes;
}

/**
 * Samples [first, first + batch) of `data` (`per` values each) as one inference's input: a view
 * when all are there, else a copy filled up with zero samples (whose outputs are dropped). The one
 * implementation of batch padding: the generated WASM loader holds this function's text
 * (backends/wasm/loader/loader.ts), so it must stay self-contained.
 */
export function batchSlice<T extends Int8Array | Float32Array | Float64Array>(data: T, per: number, batch: number, first: number): T {
  const from = first * per;
  const to = (first + batch) * per;
  if (from === 0 && to === data.length) return data;
  if (to <= data.length) return data.subarray(from, to) as T;
  const padded = new (data.constructor as new (n: number) => T)(batch * per);
  padded.set(data.subarray(from));
  return padded;
}

/**
 * Per-sample inputs → one code array per inference: groups of batchOf(program) samples, the last
 * group filled up with all-zero samples (batchSlice; splitOutputs drops their outputs).
 */
export function quantizeBatches(program: Program, samples: readonly ArrayLike<number>[]): Int8Array[] {
  const b = batchOf(program);
  const size = sampleSize(program);
  const flat = new Float64Array(samples.length * size);
  samples.forEach((x, i) => {
    if (x.length !== size) throw new NnchipError('NN303', `input sample has ${x.length} values; the model input needs ${size}`);
    flat.set(Array.from(x, Number), i * size);
  });
  const out: Int8Array[] = [];
  for (let i = 0; i < samples.length; i += b) out.push(quantizeInput(program, batchSlice(flat, size, b, i)));
  return out;
}

/** Output codes of one inference: every output's, one after the other. */
export function outputSize(program: Program): number {
  let n = 0;
  for (const t of program.outputs) n += tensorSize(t);
  return n;
}

/** Each output with where its codes start in an inference's output codes (readOutputs). */
export function outputParts(program: Program): { readonly t: DramTensor; readonly offset: number; readonly size: number }[] {
  let offset = 0;
  return program.outputs.map((t) => {
    const part = { t, offset, size: tensorSize(t) };
    offset += part.size;
    return part;
  });
}

/** One inference's output codes from DRAM: each output's rows (readTensor), one output after the other. */
export function readOutputs(dram: Uint8Array, program: Program): Int8Array {
  if (program.outputs.length === 1) return readTensor(dram, program.outputs[0]!);
  const out = new Int8Array(outputSize(program));
  for (const { t, offset } of outputParts(program)) out.set(readTensor(dram, t), offset);
  return out;
}

/** One output code array per inference → one per sample (the first `count`; padding dropped). */
export function splitOutputs(program: Program, perInference: readonly Int8Array[], count: number): Int8Array[] {
  const b = batchOf(program);
  const size = outputSize(program) / b;
  const out: Int8Array[] = [];
  for (const codes of perInference) for (let j = 0; j < b && out.length < count; j++) out.push(codes.slice(j * size, (j + 1) * size));
  return out;
}

/** One sample's output codes (every output's) → values, each output by its own scale and zero point. */
export function dequantizeOutput(program: Program, codes: Int8Array): Float64Array {
  const values = new Float64Array(codes.length);
  for (const { t, offset, size } of outputParts(program)) for (let i = offset; i < Math.min(offset + size, codes.length); i++) values[i] = dequantize(codes[i]!, t.scale, t.zp);
  return values;
}

/** A fresh DRAM image: constants, zeros elsewhere, and the input codes written row by row. */
export function initialDram(program: Program, inputCodes: Int8Array): Uint8Array {
  const dram = new Uint8Array(program.dramSize);
  dram.set(program.constants, 0);
  writeTensor(dram, program.input, inputCodes);
  return dram;
}

/** The rows a tensor is stored as in DRAM: its pixels, or for a windowed input its windows (as a plain tensor). */
export function storedLayout(t: DramTensor): DramTensor {
  const win = t.windows;
  if (win === undefined) return t;
  const { windows: _, ...plain } = t;
  return { ...plain, rows: win.rows, rowBytes: windowBytes(win, t.shape[2] ?? 1), rowStride: win.rowStride, width: win.width, lineStride: win.lineStride };
}

/** A tensor's codes (rows × rowBytes, as given) → the codes of its stored rows (storedLayout). */
export function storedCodes(t: DramTensor, codes: Int8Array): Int8Array {
  return t.windows === undefined ? codes : windowRows(t.windows, t.shape, codes, t.zp);
}

/** DRAM address of pixel r of a tensor. */
export function pixelAddress(t: DramTensor, r: number): number {
  const width = t.width ?? t.rows;
  const per = t.sampleRows ?? t.rows;
  const [sample, q] = [Math.floor(r / per), r % per];
  return t.dram + sample * (t.sampleStride ?? 0) + Math.floor(q / width) * (t.lineStride ?? width * t.rowStride) + (q % width) * t.rowStride;
}

/** Whether pixel r of the tensor is at t.dram + r·rowBytes for every r (pixelAddress), and all of them in `dram`: its rows are one run of bytes. */
export function rowsAreContiguous(t: DramTensor, dram: Uint8Array): boolean {
  if (![t.dram, t.rows, t.rowBytes].every((v) => Number.isSafeInteger(v) && v >= 0) || t.dram + t.rows * t.rowBytes > dram.length) return false;
  const width = t.width ?? t.rows;
  const per = t.sampleRows ?? t.rows;
  const n = t.rowBytes;
  const oneLine = width >= per;
  const oneSample = per >= t.rows;
  return width >= 1 && per >= 1 && t.rowStride === n && (oneLine || (t.lineStride ?? width * t.rowStride) === width * n) && (oneSample || (t.sampleStride ?? 0) === per * n);
}

// Otherwise line runs or byte loops, not a view per row: inputs are often one-byte pixels (28×28×1), and typed-array
// stores convert int8 ↔ uint8 modulo 256, which is the two's-complement byte.
export function writeTensor(dram: Uint8Array, given: DramTensor, givenCodes: Int8Array): void {
  const t = storedLayout(given);
  const codes = storedCodes(given, givenCodes);
  const n = t.rowBytes;
  // rows back to back (most inputs): one copy of the bytes (--prove writes a thousand inputs)
  if (rowsAreContiguous(t, dram) && codes.length >= t.rows * n) return dram.set(new Uint8Array(codes.buffer, codes.byteOffset, t.rows * n), t.dram);
  // pixels back to back within a line (padded lines: AlexNet's 224 lines of 224 three-byte pixels):
  // one copy per line; a line past the end of DRAM, or codes too few, byte by byte
  const lineRuns = t.rowStride === n && codes.length >= t.rows * n;
  const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.length);
  const width = t.width ?? t.rows;
  const per = t.sampleRows ?? t.rows;
  for (let r = 0; r < t.rows; ) {
    const at = pixelAddress(t, r);
    const q = r % per;
    const run = lineRuns && width >= 1 && per >= 1 ? Math.min(width - (q % width), per - q, t.rows - r) : 1;
    if (run > 1 && at >= 0 && at + run * n <= dram.length) dram.set(bytes.subarray(r * n, (r + run) * n), at);
    else for (let k = 0; k < run; k++) for (let b = 0, a = pixelAddress(t, r + k); b < n; b++) dram[a + b] = codes[(r + k) * n + b]!;
    r += run;
  }
}

export function readTensor(dram: Uint8Array, t: DramTensor): Int8Array {
  const n = t.rowBytes;
  if (rowsAreContiguous(t, dram)) return new Int8Array(dram.buffer.slice(dram.byteOffset + t.dram, dram.byteOffset + t.dram + t.rows * n));
  const out = new Int8Array(t.rows * n);
  for (let r = 0; r < t.rows; r++) {
    const at = pixelAddress(t, r);
    for (let b = 0; b < n; b++) out[r * n + b] = dram[at + b]!;
  }
  return out;
}

// ---- binary container: "NNCHIP" v1, u32 header length, JSON header, instruction words, constants

/** Objects and arrays a program header may hold: its layers and memory regions, a few per layer (a lowering of 2^21 instructions has some thousands). */
const MAX_HEADER_CONTAINERS = 2 ** 22;
const MAGIC = [0x4e, 0x4e, 0x43, 0x48, 0x49, 0x50, 0x00, 0x01]; // "NNCHIP\0\x01"

/** The machine as the container stores it: accBanks only when it is 2 (a file without it is a one-bank machine, as every file before it). */
export function storedConfig(c: ArrayConfig): ArrayConfig | Omit<ArrayConfig, 'accBanks'> {
  if (c.accBanks !== 1) return c;
  const { accBanks: _, ...rest } = c;
  return rest;
}

export function serializeProgram(p: Program): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      config: storedConfig(p.config),
      instructionCount: p.instructions.length,
      dramSize: p.dramSize,
      constantsLength: p.constants.length,
      input: p.input,
      // the first output where every file has had it; more (a model of several) after it
      output: p.outputs[0],
      ...(p.outputs.length > 1 ? { moreOutputs: p.outputs.slice(1) } : {}),
      layers: p.layers,
      insnLayer: p.insnLayer,
      memoryMap: p.memoryMap,
      notes: p.notes,
      ...(p.batch === undefined ? {} : { batch: p.batch }),
    }),
  );
  const code = wordsOf(p.instructions);
  const out = new Uint8Array(MAGIC.length + 4 + header.length + code.length + p.constants.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  out.set(code, MAGIC.length + 4 + header.length);
  out.set(p.constants, MAGIC.length + 4 + header.length + code.length);
  return out;
}

/** A .nnp file split into its sections; the header is still untrusted JSON (isa/validate.ts reads it). */
export interface ProgramContainer {
  readonly header: Record<string, unknown>;
  /** The instruction words (a view into the file's bytes). */
  readonly code: Uint8Array;
  /** A copy of the constants: a Program never shares bytes with the file it came from (unless the caller hands the bytes over). */
  readonly constants: Uint8Array;
}

/** Bytes a file's start must hold for checkProgramMagic: the magic, "NNCHIP\0" and the format version. */
export const PROGRAM_MAGIC_BYTES = MAGIC.length;

/**
 * NN404 unless `start` (a file's first bytes, or all of them) opens with this format's magic: a file
 * of another kind, or a program of another format version (it was "not an nnchip program").
 */
export function checkProgramMagic(start: Uint8Array, file?: string): void {
  const site = file === undefined ? {} : { file };
  if (start.length >= MAGIC.length && MAGIC.slice(0, 6).every((b, i) => start[i] === b) && (start[6] !== MAGIC[6] || start[7] !== MAGIC[7])) {
    const version = (start[6]! << 8) | start[7]!;
    throw new NnchipError('NN404', `is an nnchip program of format version ${version}; this nnchip reads version ${(MAGIC[6]! << 8) | MAGIC[7]!}`, { ...site, hint: `lower the model again with this nnchip (\`nnchip lower\`), or use the nnchip that wrote it` });
  }
  if (start.length < MAGIC.length || MAGIC.some((b, i) => start[i] !== b)) throw new NnchipError('NN404', 'missing the NNCHIP program header', site);
}

/**
 * Check the magic and that the sections add up to the file size; nothing is allocated before.
 * `owned`: the caller hands `bytes` over (nothing else holds or changes them, as a file just read),
 * so the constants are a view of them, not a copy (ResNet-18's are 42 MB).
 */
export function readContainer(bytes: Uint8Array, file?: string, owned = false): ProgramContainer {
  const site = file === undefined ? {} : { file };
  const bad = (why: string): NnchipError => new NnchipError('NN404', why, site);
  checkProgramMagic(bytes, file);
  if (bytes.length < MAGIC.length + 4) throw bad('missing the NNCHIP program header');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const codeStart = MAGIC.length + 4 + headerLength;
  if (codeStart > bytes.length) throw bad('truncated program header');
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, codeStart));
  } catch {
    throw bad('corrupt program header');
  }
  // each object or array is one JSON.parse makes before anything is checked: a header of 30 million took gigabytes
  if (containerCount(text, MAX_HEADER_CONTAINERS) > MAX_HEADER_CONTAINERS) throw bad(`the program header holds over ${fmtInt(MAX_HEADER_CONTAINERS)} objects and arrays`);
  try {
    header = JSON.parse(text);
  } catch {
    throw bad('corrupt program header');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('corrupt program header');
  if (nestedDeeperThan(header)) throw bad(`the program header nests arrays or objects over ${MAX_JSON_DEPTH} levels deep`);
  const h = header as Record<string, unknown>;
  const [count, constantsLength] = [h['instructionCount'], h['constantsLength']];
  const size = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!size(count) || !size(constantsLength)) throw bad('the program header has no valid instructionCount and constantsLength');
  const constStart = codeStart + count * INSN_BYTES;
  if (constStart + constantsLength !== bytes.length) throw bad('program sections do not add up to the file size');
  return { header: h, code: bytes.subarray(codeStart, constStart), constants: owned ? new Uint8Array(bytes.buffer, bytes.byteOffset + constStart, constantsLength) : new Uint8Array(bytes.subarray(constStart)) };
}

/** Deep-freeze a Program (objects and arrays; typed arrays cannot be frozen: constants are ReadonlyBytes). */
export function freezeProgram(p: Program): Program {
  freezeReachable(p);
  return p;
}

/**
 * Freeze `v` and what it reaches, and say whether all of it is frozen now: an object found frozen
 * already is not walked into to freeze (however shallowly it was frozen), only to look. One walk,
 * with no array per object (a 2×2 array's program is half a million instruction objects).
 */
export function freezeReachable(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return true;
  // the compiler's instruction list, frozen with its instructions (list-memo.ts freezeList): no walk of half a million objects
  if (knownDeepFrozenList(v)) return true;
  if (Object.isFrozen(v)) return partsFrozen(v, isDeepFrozen);
  Object.freeze(v);
  return partsFrozen(v, freezeReachable);
}

/** Every object `v` reaches is frozen (typed arrays aside). */
function isDeepFrozen(v: unknown): boolean {
  return typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || (Object.isFrozen(v) && partsFrozen(v, isDeepFrozen));
}

/** `each` on every own value of an object or element of an array (all of them, even after a false), true when every call was. */
function partsFrozen(v: object, each: (x: unknown) => boolean): boolean {
  let all = true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null && !each(x)) all = false;
    }
    return all;
  }
  // (for…in, not Object.values: a frozen object's keys come from V8's enum cache and no array is
  // made per object — a 2×2 array's half million instructions walked 2-3× faster; an inherited
  // enumerable value, which plain objects do not have, would only be looked at too)
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null && !each(x)) all = false;
  }
  return all;
}
