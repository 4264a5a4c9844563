// SPDX-License-Identifier: MIT
/**
 * The one validator for programs: a .nnp file's header read field by field (types, ranges, sizes
 * bounded before anything is allocated), then every Program — read or compiled — checked against
 * its instruction stream and its machine. What passes runs the same on every back end.
 */
import { escapeControls, NnchipError, withFile } from '../diagnostics/error.js';
import { DEFAULT_CONFIG, depthOf, validateConfig, type ArrayConfig } from './config.js';
import type { Access } from './effects.js';
import { decodeAll, rememberFrozen, rememberWords } from './encode.js';
import { checkProgram, rememberChecked } from './interpret.js';
import { checkOrdering } from './ordering.js';
import { windowBytes, type InputWindows } from './input-windows.js';
import { freezeReachable, readContainer, storedLayout, type DramTensor, type LayerInfo, type Program, type Region } from './program.js';
import { BUFFER_LIST, INSN_BYTES } from './spec.js';

/** The largest DRAM image a program may declare (every run allocates it; the WASM memory holds it). */
export const MAX_DRAM_BYTES = 2 ** 30;
/** The most instructions a program file may hold (decoding allocates an object for each). */
export const MAX_INSTRUCTIONS = 2 ** 24;
/** Tensor rank and batch limits (a batch is a dense network's samples per inference). */
const MAX_RANK = 8;
const MAX_BATCH = 65536;
/** Outputs of one program: a detector's heads are a handful; more is a damaged header. */
export const MAX_OUTPUTS = 256;

type Parser = (v: unknown, what: string) => unknown;

/** A header value in an error message: JSON, cut short (it may be anything). */
function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Parsers that throw `fail(message)`; one set per file so every message names it. */
function parsers(fail: (why: string) => NnchipError) {
  const int =
    (lo: number, hi = Number.MAX_SAFE_INTEGER): Parser =>
    (v, what) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) throw fail(`${what} is ${show(v)}; it must be an integer from ${lo} to ${hi}`);
      return v;
    };
  // names and notes are printed: nnchip writes them without control characters (importers/index.ts)
  const str: Parser = (v, what) => {
    if (typeof v !== 'string') throw fail(`${what} is ${show(v)}; it must be a string`);
    if (escapeControls(v) !== v) throw fail(`${what} holds a control character (${show(escapeControls(v))})`);
    return v;
  };
  const oneOf =
    (values: readonly string[]): Parser =>
    (v, what) => {
      if (typeof v !== 'string' || !values.includes(v)) throw fail(`${what} is ${show(v)}; it must be one of ${values.join(', ')}`);
      return v;
    };
  const list =
    (item: Parser, max = Infinity): Parser =>
    (v, what) => {
      if (!Array.isArray(v) || v.length > max) throw fail(`${what} is ${show(v)}; it must be a list${max < Infinity ? ` of at most ${max}` : ''}`);
      return v.map((x, i) => item(x, `${what}[${i}]`));
    };
  /** An object with only the known fields, in the file's key order (so the same bytes serialize back). */
  const record =
    (fields: Readonly<Record<string, Parser>>, optional: readonly string[] = []): Parser =>
    (v, what) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(`${what} is ${show(v)}; it must be an object`);
      const keys = Object.keys(v);
      const unknown = keys.find((k) => !Object.hasOwn(fields, k));
      if (unknown !== undefined) throw fail(`${what} has an unknown field ${show(unknown)}`);
      const missing = Object.keys(fields).find((k) => !optional.includes(k) && !keys.includes(k));
      if (missing !== undefined) throw fail(`${what} has no field "${missing}"`);
      return Object.fromEntries(keys.map((k) => [k, fields[k]!((v as Record<string, unknown>)[k], `${what}.${k}`)]));
    };
  const scale: Parser = (v, what) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw fail(`${what} is ${show(v)}; it must be a positive number`);
    return v;
  };
  const u = int(0);
  // tensor addresses and strides stay inside DRAM, so every one fits the 32-bit fields of the WASM module
  const address = int(0, MAX_DRAM_BYTES);
  const pair = (lo: number): Parser => list(int(lo, MAX_DRAM_BYTES), 2);
  const windows = record({ kernel: pair(1), strides: pair(1), dilations: pair(1), pads: pair(-MAX_DRAM_BYTES), rows: int(1, MAX_DRAM_BYTES), width: int(1, MAX_DRAM_BYTES), rowStride: address, lineStride: address });
  const tensor = record(
    { name: str, shape: list(int(1, MAX_DRAM_BYTES), MAX_RANK), layout: oneOf(['hwc', 'chw']), dram: address, rows: int(1, MAX_DRAM_BYTES), rowBytes: int(1, MAX_DRAM_BYTES), rowStride: address, width: int(1, MAX_DRAM_BYTES), lineStride: address, sampleRows: int(1, MAX_DRAM_BYTES), sampleStride: address, scale, zp: int(-128, 127), windows },
    ['layout', 'width', 'lineStride', 'sampleRows', 'sampleStride', 'windows'],
  );
  const layer = record({ name: str, op: str, shape: str, firstInsn: u, insnCount: u, macs: u, weightBytes: u });
  const region = record({ space: oneOf(['dram', ...BUFFER_LIST]), name: str, start: u, size: u });
  return { int, u, str, list, record, tensor, layer, region };
}

/**
 * Read and validate a .nnp file. Every failure is NN404 naming the file and the problem; the
 * Program returned is frozen and owns its bytes (`owned`: the caller hands `bytes` over, as
 * readContainer takes it).
 */
export function deserializeProgram(bytes: Uint8Array, file?: string, owned = false): Program {
  const site = file === undefined ? {} : { file };
  const fail = (why: string): NnchipError => new NnchipError('NN404', why, site);
  const { header: h, code, constants } = readContainer(bytes, file, owned);
  const p = parsers(fail);
  const known = ['config', 'instructionCount', 'dramSize', 'constantsLength', 'input', 'output', 'moreOutputs', 'layers', 'insnLayer', 'memoryMap', 'notes', 'batch'];
  const unknown = Object.keys(h).find((k) => !known.includes(k));
  if (unknown !== undefined) throw fail(`the program header has an unknown field ${show(unknown)}`);
  const count = code.length / INSN_BYTES;
  if (count > MAX_INSTRUCTIONS) throw fail(`${count} instructions; a program holds at most ${MAX_INSTRUCTIONS}`);
  const dramSize = p.int(constants.length, MAX_DRAM_BYTES)(h['dramSize'], 'dramSize') as number;
  const insnLayer = h['insnLayer'];
  if (!Array.isArray(insnLayer) || insnLayer.length !== count) throw fail(`insnLayer must list one layer per instruction (${count})`);
  const batch = h['batch'] === undefined ? 1 : (p.int(1, MAX_BATCH)(h['batch'], 'batch') as number);
  const program: Program = {
    config: configOf(h['config'], fail, file),
    instructions: file === undefined ? decodeAll(code) : withFile(file, () => decodeAll(code)),
    dramSize,
    constants,
    input: p.tensor(h['input'], 'input') as DramTensor,
    outputs: [p.tensor(h['output'], 'output') as DramTensor, ...(h['moreOutputs'] === undefined ? [] : (p.list(p.tensor)(h['moreOutputs'], 'moreOutputs') as DramTensor[]))],
    layers: p.list(p.layer)(h['layers'], 'layers') as LayerInfo[],
    insnLayer: p.list(p.u)(insnLayer, 'insnLayer') as number[],
    memoryMap: p.list(p.region)(h['memoryMap'], 'memoryMap') as Region[],
    notes: p.list(p.str)(h['notes'], 'notes') as string[],
    ...(batch > 1 ? { batch } : {}),
  };
  const valid = validateProgram(program, file);
  rememberWords(valid.instructions, code);
  return valid;
}

/** The stored machine: known fields only, thresholdPasses 1 when the file predates it, accBanks 1 when the file leaves it out (key order kept). */
function configOf(v: unknown, fail: (why: string) => NnchipError, file: string | undefined): ArrayConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail('the program header has no machine configuration');
  const unknown = Object.keys(v).find((k) => !Object.hasOwn(DEFAULT_CONFIG, k));
  if (unknown !== undefined) throw fail(`the machine configuration has an unknown field ${show(unknown)}`);
  const config = v as Record<string, unknown>;
  const withPasses = { ...config, thresholdPasses: config['thresholdPasses'] ?? 1, accBanks: config['accBanks'] ?? 1 } as unknown as ArrayConfig;
  // a damaged file, not a bad --config: NN404 like every other problem of the file
  try {
    return validateConfig(withPasses, file);
  } catch (e) {
    throw e instanceof NnchipError && e.code === 'NN402' ? fail(`the machine configuration is illegal: ${e.detail}`) : e;
  }
}

/**
 * Check a Program against its machine and its own instruction stream, and freeze it: legal
 * config, DRAM size bounded and no larger than what its constants, tensors and instructions touch, tensors inside DRAM and
 * consistent with their shapes, layer spans that match insnLayer, memory-map regions inside their
 * memories, every access in range, tokens that order every conflicting pair (see ordering.ts).
 */
export function validateProgram(program: Program, file?: string): Program {
  const problem = problemOf(program, file);
  if (problem !== null) throw new NnchipError('NN404', `invalid program: ${problem}`, file === undefined ? {} : { file });
  // the next stage (the simulator's plan, its race check) need not check it again, unless it can still change
  // (freezeReachable: everything a check reads is frozen now, also below what was frozen already)
  if (freezeReachable(program)) {
    rememberChecked(program);
    rememberFrozen(program.instructions);
  }
  return program;
}

function problemOf(p: Program, file: string | undefined): string | null {
  const cfg = validateConfig(p.config, file);
  if (!Number.isSafeInteger(p.dramSize) || p.dramSize < p.constants.length || p.dramSize > MAX_DRAM_BYTES) return `dramSize ${p.dramSize} is outside [${p.constants.length} (the constants), ${MAX_DRAM_BYTES}]`;
  if (!Array.isArray(p.outputs) || p.outputs.length < 1 || p.outputs.length > MAX_OUTPUTS) return `the program must have 1 to ${MAX_OUTPUTS} outputs, not ${Array.isArray(p.outputs) ? p.outputs.length : 'none'}`;
  if (p.outputs.length > 1 && (p.batch ?? 1) > 1) return `a batched program has one output, not ${p.outputs.length}`;
  let tensorProblem = checkTensor(p, p.input, 'input');
  for (let i = 0; i < p.outputs.length && tensorProblem === null; i++) tensorProblem = checkTensor(p, p.outputs[i]!, p.outputs.length === 1 ? 'output' : `output ${i}`);
  if (tensorProblem !== null) return tensorProblem;
  const layerProblem = checkLayers(p);
  if (layerProblem !== null) return layerProblem;
  for (const r of p.memoryMap) {
    const size = r.space === 'dram' ? p.dramSize : depthOf(cfg, r.space);
    if (r.start + r.size > size) return `memory-map region "${r.name}" [${r.start}, ${r.start + r.size}) lies outside ${r.space} [0, ${size})`;
  }
  // DRAM no larger than the program's own extent: a few header bytes cannot make every run allocate a GiB
  // (each instruction's accesses are looked at as the bounds check derives them and not kept: the
  // race check derives the few it compares again, cheaper than half a million lists kept alive)
  let extent = Math.max(p.constants.length, tensorEnd(storedLayout(p.input)), ...p.outputs.map(tensorEnd));
  const stream = checkProgram(p, (list) => {
    for (let k = 0; k < list.length; k++) if (list[k]!.space === 'dram') extent = Math.max(extent, list[k]!.end);
  });
  if (stream !== null) return stream;
  // a memory-map region only names bytes: it may not grow DRAM past them (a 1 GiB region nothing
  // touched made the WASM module take 1 GiB), but for the unused lanes of the last tensor's last
  // pixel (a pixel is padded to whole R- and C-lane entries; a store writes C of them): under max(R, C)
  const reach = extent + Math.max(cfg.rows, cfg.cols) - 1;
  let named = extent;
  for (const r of p.memoryMap) if (r.space === 'dram') named = Math.max(named, Math.min(r.start + r.size, reach));
  if (p.dramSize > named) {
    const region = p.memoryMap.find((r) => r.space === 'dram' && r.start + r.size > reach);
    const by = region === undefined ? '' : ` (memory-map region ${show(region.name)} reaches byte ${region.start + region.size}, but no instruction or tensor touches its bytes past ${extent})`;
    return `dramSize ${p.dramSize} exceeds the ${extent} bytes the program uses${by}`;
  }
  return checkOrdering(p.instructions, cfg);
}

/** One past the highest byte of a tensor (pixel addresses grow with the sample, the line and the column). */
function tensorEnd(t: DramTensor): number {
  if (t.sampleRows !== undefined) {
    const { sampleRows, sampleStride = 0, ...one } = t;
    return (Math.ceil(t.rows / sampleRows) - 1) * sampleStride + tensorEnd({ ...one, rows: Math.min(t.rows, sampleRows) });
  }
  const width = Math.min(t.width ?? t.rows, t.rows);
  const lineStride = t.lineStride ?? width * t.rowStride;
  const lines = Math.ceil(t.rows / width);
  const lastLine = (lines - 1) * lineStride + ((t.rows - 1) % width) * t.rowStride;
  const fullLine = lines > 1 ? (lines - 2) * lineStride + (width - 1) * t.rowStride : 0;
  return t.dram + Math.max(lastLine, fullLine) + t.rowBytes;
}

function checkTensor(p: Program, t: DramTensor, which: string): string | null {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.shape.length === 0 || size > p.dramSize || t.rows * t.rowBytes !== size) return `the ${which} tensor's ${t.rows} rows of ${t.rowBytes} bytes do not hold its shape ${JSON.stringify(t.shape)}`;
  if (t.width !== undefined && t.width > t.rows) return `the ${which} tensor has ${t.width} pixels per line but ${t.rows} pixels`;
  if ((t.sampleRows === undefined) !== (t.sampleStride === undefined)) return `the ${which} tensor gives one of sampleRows and sampleStride without the other`;
  if (t.sampleRows !== undefined && (t.rows % t.sampleRows !== 0 || t.sampleRows % (t.width ?? t.sampleRows) !== 0 || t.windows !== undefined)) return `the ${which} tensor's ${t.rows} rows are not whole samples of ${t.sampleRows} rows in whole lines`;
  if (t.windows !== undefined) {
    const problem = checkWindows(p, t, t.windows, which);
    if (problem !== null) return problem;
    return tensorEnd(storedLayout(t)) > p.dramSize ? `the ${which} tensor's windows end at byte ${tensorEnd(storedLayout(t))}, beyond dramSize ${p.dramSize}` : null;
  }
  if (tensorEnd(t) > p.dramSize) return `the ${which} tensor ends at byte ${tensorEnd(t)}, beyond dramSize ${p.dramSize}`;
  const batch = p.batch ?? 1;
  if (batch > 1 && t.shape[0] !== batch) return `the ${which} shape ${JSON.stringify(t.shape)} does not start with the batch ${batch}`;
  return null;
}

/** A windowed input (isa/input-windows.ts): one [h, w, c] sample, pairs of two, whole windows per stored row. */
function checkWindows(p: Program, t: DramTensor, win: InputWindows, which: string): string | null {
  if (which !== 'input' || (p.batch ?? 1) > 1 || t.shape.length !== 3) return `only a single [h, w, c] input may be stored as windows (the ${which} tensor is ${JSON.stringify(t.shape)})`;
  if ([win.kernel, win.strides, win.dilations, win.pads].some((v) => v.length !== 2)) return `the ${which} windows' kernel, strides, dilations and pads must be pairs`;
  // a Program built in memory skips the file's parsers: a zero width walked its rows forever, a zero stride divided by zero
  const whole = (v: number, lo: number): boolean => Number.isSafeInteger(v) && v >= lo && v <= MAX_DRAM_BYTES;
  for (const [name, v] of [['kernel', win.kernel], ['strides', win.strides], ['dilations', win.dilations]] as const) {
    if (!v.every((x) => whole(x, 1))) return `the ${which} windows' ${name} ${JSON.stringify(v)} must be positive integers`;
  }
  if (!win.pads.every((x) => whole(Math.abs(x), 0))) return `the ${which} windows' pads ${JSON.stringify(win.pads)} must be integers`;
  if (!whole(win.rows, 1) || !whole(win.width, 1)) return `the ${which} windows' rows ${win.rows} and width ${win.width} must be positive integers`;
  if (win.width > win.rows) return `the ${which} windows have ${win.width} per line but ${win.rows} in all`;
  const bytes = windowBytes(win, t.shape[2]!);
  if (win.rowStride < bytes) return `the ${which} windows of ${bytes} bytes are stored ${win.rowStride} bytes apart`;
  // lines apart too, so the stored rows (which every run writes) fit in the DRAM the tensor spans
  if (win.rows > win.width && win.lineStride < win.width * win.rowStride) return `the ${which} windows' lines of ${win.width} × ${win.rowStride} bytes are stored ${win.lineStride} bytes apart`;
  return null;
}

/** Each layer's [firstInsn, firstInsn + insnCount) spans exactly its instructions in insnLayer (halt aside). */
function checkLayers(p: Program): string | null {
  const n = p.instructions.length;
  if (p.insnLayer.length !== n) return 'insnLayer does not give a layer for every instruction';
  // each layer's first and last instruction (-1: none), by layer number
  const layers = Math.max(1, p.layers.length);
  const first = new Float64Array(layers).fill(-1);
  const last = new Float64Array(layers).fill(-1);
  for (let i = 0; i < n; i++) {
    const l = p.insnLayer[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= layers) return `insnLayer[${i}] = ${l} names no layer`;
    if (p.instructions[i]!.op === 'halt') continue;
    if (first[l] === -1) first[l] = i;
    last[l] = i;
  }
  for (const [li, l] of p.layers.entries()) {
    const start = first[li] === -1 ? 0 : first[li]!;
    const count = last[li]! - start + 1;
    if (l.firstInsn !== start || l.insnCount !== count) return `layer ${li} ("${l.name}") claims instructions [${l.firstInsn}, ${l.firstInsn + l.insnCount}); insnLayer gives [${start}, ${start + count})`;
  }
  return null;
}
