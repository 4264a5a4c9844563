// SPDX-License-Identifier: MIT
/**
 * emitWasm: a Program → one standalone WebAssembly module (no imports). Constants sit in data
 * segments at their DRAM addresses; `run()` is straight-line code, one kernel call per fused
 * operation with every address a constant; globals describe the input and output tensors
 * (output_* for the first output, output1_*, output2_* … for the others of a program of several);
 * run_f32/run_f64 (edges.ts) wrap it with quantization and dequantization.
 */
import { internal, NnchipError } from '../../diagnostics/error.js';
import { certify } from '../../isa/cost.js';
import { checkProgram } from '../../isa/interpret.js';
import { windowSegments } from '../../isa/input-windows.js';
import { pixelAddress, storedLayout, tensorSize, type DramTensor, type Program } from '../../isa/program.js';
import { addEdges } from './edges.js';
import { assembleModule, type FuncType, type GlobalConst, type ModuleSpec } from '../../wasm-encoding/binary.js';
import { Code, Func } from '../../wasm-encoding/code.js';
import { FuncTable, shiftAddKernel, typeIndex, type Kernels } from './kernels/shared.js';
import { scalarKernels } from './kernels/scalar.js';
import { simdKernels } from './kernels/simd.js';
import { kernelOps, packConstants, type GemmOp, type KernelOp, type OpStats, type PackedRange } from './plan/ops.js';
import { PAGE_BYTES, planMemory, type MemoryPlan } from './plan/memory.js';
import { shareWidenedActs, wideRowBytes, wideWeights } from './plan/wide-acts.js';
import { wideWeightBytes } from './kernels/pairs-wide.js';
import { resetPlan, type ResetPlan } from './plan/reset.js';

/** Largest widened-act area, and largest area of widened weights (plan/wide-acts.ts): 16 MiB each. */
const WIDE_MAX_BYTES = 1 << 24;

export interface WasmOptions {
  /** 128-bit SIMD kernels (default); false for engines without SIMD. */
  readonly simd: boolean;
  /** Fuse matmul chains and read weights in place (default); false = one kernel call per instruction. */
  readonly fuse?: boolean;
}

export interface WasmBuild {
  readonly bytes: Uint8Array;
  readonly plan: MemoryPlan;
  readonly stats: OpStats;
  /** Weight matrices stored in packed groups (their DRAM bytes are rearranged; see plan/ops.ts). */
  readonly packed: readonly PackedRange[];
  /** Names of the exported globals, in export order. */
  readonly globals: readonly GlobalConst[];
}

/** Exported constants describing one tensor: where its rows are and how to (de)quantize it. */
function tensorGlobals(prefix: 'input' | 'output' | `output${number}`, t: DramTensor): GlobalConst[] {
  return [
    { name: `${prefix}_offset`, type: 'i32', value: t.dram },
    { name: `${prefix}_rows`, type: 'i32', value: t.rows },
    { name: `${prefix}_row_bytes`, type: 'i32', value: t.rowBytes },
    { name: `${prefix}_row_stride`, type: 'i32', value: t.rowStride },
    // rows are pixels: `width` per line, lines `line_stride` bytes apart (isa/program.ts pixelAddress)
    { name: `${prefix}_width`, type: 'i32', value: t.width ?? t.rows },
    { name: `${prefix}_line_stride`, type: 'i32', value: lineStrideOf(t) },
    // a batch with a border between samples (the loader's pixel(): one sample when absent)
    ...(t.sampleRows === undefined ? [] : [{ name: `${prefix}_sample_rows`, type: 'i32' as const, value: t.sampleRows }, { name: `${prefix}_sample_stride`, type: 'i32' as const, value: t.sampleStride ?? 0 }]),
    { name: `${prefix}_length`, type: 'i32', value: t.rows * t.rowBytes },
    { name: `${prefix}_zero_point`, type: 'i32', value: t.zp },
    { name: `${prefix}_scale`, type: 'f64', value: t.scale },
  ];
}

/** Bytes between the first pixels of consecutive lines (as pixelAddress computes them). */
function lineStrideOf(t: DramTensor): number {
  return pixelAddress(t, t.width ?? t.rows) - pixelAddress(t, 0);
}

function checkEmittable(p: Program): void {
  const problem = checkProgram(p);
  if (problem !== null) throw new NnchipError('NN404', `the program is not valid: ${problem}`);
  if (p.outputs.length < 1) throw new NnchipError('NN404', 'the program has no output');
  // several outputs' values follow each other by their shapes (outputParts) and are staged by their rows: the two must agree
  const unshaped = p.outputs.length > 1 ? p.outputs.find((t) => tensorSize(t) !== t.rows * t.rowBytes) : undefined;
  if (unshaped !== undefined) throw new NnchipError('NN404', `output "${unshaped.name}": ${unshaped.rows} rows of ${unshaped.rowBytes} bytes do not hold its shape ${JSON.stringify(unshaped.shape)}`);
  for (const t of [storedLayout(p.input), ...p.outputs]) {
    let end = 0;
    for (let r = 0; r < t.rows; r++) end = Math.max(end, pixelAddress(t, r) + t.rowBytes);
    if (t.rows < 1 || t.rowBytes < 1 || t.dram < 0 || end > p.dramSize) throw new NnchipError('NN404', `tensor "${t.name}" lies outside DRAM [0, ${p.dramSize})`);
  }
  if (p.dramSize >= 2 ** 31) throw new NnchipError('NN404', `DRAM of ${p.dramSize} bytes does not fit a 32-bit WebAssembly memory`);
}

/** The start of run(): zero what the interpreter starts with as zeros, restore constants if needed. */
function emitReset(c: Code, reset: ResetPlan): void {
  for (const z of reset.zero) c.i32(z.start).i32(0).i32(z.end - z.start).memoryFill();
  for (const i of reset.init) c.i32(i.dst).i32(i.from).i32(i.len).memoryInit(i.segment);
}

/**
 * The input as the module takes it: where it is stored, or for a windowed input its codes as
 * given, in their own area (plan/memory.ts windowSource), which run() turns into the windows.
 */
function moduleInput(p: Program, plan: MemoryPlan): DramTensor {
  if (plan.windowSource === null) return p.input;
  const { windows: _, ...given } = p.input;
  return { ...given, dram: plan.windowSource.codes };
}

/**
 * The start of run() for a windowed input: its stored windows from the codes as given, one copy
 * of strided rows per segment of isa/input-windows.ts (padding taps from the zero-point area).
 */
function emitWindows(c: Code, p: Program, plan: MemoryPlan, k: Kernels): void {
  const src = plan.windowSource;
  const win = p.input.windows;
  if (src === null || win === undefined) return;
  c.i32(src.zeros).i32(p.input.zp & 0xff).i32(p.input.rowBytes).memoryFill();
  for (const s of windowSegments(win, p.input.shape)) {
    const [line, x] = [Math.floor(s.row / win.width), s.row % win.width];
    const dst = p.input.dram + line * win.lineStride + x * win.rowStride + s.lane;
    const from = s.src < 0 ? src.zeros : src.codes + s.src;
    if (k.copyWord[s.bytes] !== undefined) c.i32(dst).i32(win.rowStride).i32(from).i32(s.srcStep).i32(s.count).call(k.copyWord[s.bytes]!);
    else c.i32(dst).i32(win.rowStride).i32(from).i32(s.srcStep).i32(s.bytes).i32(s.count).call(k.copyRows);
  }
}

/**
 * The tap tables of the GEMMs over taps (plan/ops.ts fuseTaps), as one data segment at `at`: per
 * GEMM its taps' (act, weight) offsets from its first tap, i32 pairs; equal tables are stored once.
 */
function tapTables(ops: readonly KernelOp[], at: number): { where: Map<KernelOp, number>; bytes: Uint8Array } {
  const where = new Map<KernelOp, number>();
  const byKey = new Map<string, number>();
  const words: number[] = [];
  for (const op of ops) {
    if (op.kind !== 'gemm' || op.taps === undefined) continue;
    const pairs = op.taps.flatMap((t) => [t.a - op.a, t.w - op.w]);
    const key = pairs.join(',');
    let off = byKey.get(key);
    if (off === undefined) byKey.set(key, (off = at + 4 * words.length)), words.push(...pairs);
    where.set(op, off);
  }
  const bytes = new Uint8Array(4 * words.length);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setInt32(4 * i, w, true));
  return { where, bytes };
}

/** Widened act rows (plan/wide-acts.ts) live at `wideAt`, the widened weights of the matrix at w at `wideW(w)`; `tables`: each GEMM over taps' tap table. */
function emitOp(c: Code, op: KernelOp, k: Kernels, wideAt: number, wideW: (w: number) => number, tables: ReadonlyMap<KernelOp, number>, shiftAdd: number | null): void {
  switch (op.kind) {
    case 'copy':
      if (op.rows === 1 || (op.srcStride === op.bytes && op.dstStride === op.bytes)) c.i32(op.dst).i32(op.src).i32(op.rows * op.bytes).memoryCopy();
      else if (op.bytes % 16 === 0 && k.copyVec[op.bytes / 16 - 1] !== undefined) c.i32(op.dst).i32(op.dstStride).i32(op.src).i32(op.srcStride).i32(op.rows).call(k.copyVec[op.bytes / 16 - 1]!);
      else if (k.copyWord[op.bytes] !== undefined) c.i32(op.dst).i32(op.dstStride).i32(op.src).i32(op.srcStride).i32(op.rows).call(k.copyWord[op.bytes]!);
      else c.i32(op.dst).i32(op.dstStride).i32(op.src).i32(op.srcStride).i32(op.bytes).i32(op.rows).call(k.copyRows);
      return;
    case 'gemm':
      if (op.packed && k.gemmPacked === null) throw internal('packed weights in a build without a packed GEMM kernel');
      if (op.taps !== undefined) {
        if (k.gemmTaps === null || op.packed || op.wide !== undefined) throw internal('a GEMM over taps needs the taps kernel and plain weights');
        c.i32(op.acc).i32(op.a).i32(op.aStride).i32(op.aOuter).i32(op.inner).i32(op.w).i32(op.rows).i32(op.k).i32(op.accumulate ? 1 : 0).i32(tables.get(op)!).i32(op.taps.length).call(op.k === k.gemmTaps.k && k.gemmTaps.unrolled !== null ? k.gemmTaps.unrolled : k.gemmTaps.any);
        return;
      }
      if (op.wide !== undefined) {
        if (k.widened === null || op.packed !== 'pairs') throw internal('widened acts need the pairs kernel');
        if (op.wide === 'fill') c.i32(wideAt).i32(op.a).i32(op.aStride).i32(op.aOuter).i32(op.inner).i32(op.rows).i32(op.k).call(k.widened.widen);
        c.i32(op.acc).i32(wideAt).i32(wideRowBytes(op.k)).i32(0).i32(op.rows).i32(wideW(op.w)).i32(op.rows).i32(op.k).i32(accumulate(op)).i32(op.bias ?? 0).call(k.widened.gemm);
        return;
      }
      if (op.bias !== undefined && op.packed !== 'pairs') throw internal('a bias row needs the pairs kernel');
      c.i32(op.acc).i32(op.a).i32(op.aStride).i32(op.aOuter).i32(op.inner).i32(op.w).i32(op.rows).i32(op.k).i32(accumulate(op));
      if (op.packed === 'pairs') c.i32(op.bias ?? 0);
      c.call(op.packed ? k.gemmPacked![op.packed] : k.gemm);
      return;
    case 'threshold':
      if (op.pool !== undefined) c.i32(op.pool.scratch).i32(op.acc).i32(op.pool.lineBytes).i32(op.pool.kh).i32(op.pool.kw).i32(op.pool.sh).i32(op.pool.sw).i32(op.pool.padTop).i32(op.pool.padLeft).i32(op.pool.pw).i32(op.rows).call(k.poolMax);
      c.i32(op.pool?.scratch ?? op.acc).i32(op.out).i32(op.qnt).i32(op.rows).i32(op.zp).i32(op.lo).i32(op.hi).call(op.lo <= op.hi && k.thresholdOrdered !== null ? k.thresholdOrdered : k.threshold);
      return;
    case 'table':
      c.i32(op.acc).i32(op.out).i32(op.table).i32(op.rows).i32(op.steps).call(k.thresholdTable);
      return;
    case 'shiftAdd':
      if (shiftAdd === null) throw internal('a shifted matmul in a build without the shift kernel');
      c.i32(op.dst).i32(op.src).i32(op.count).i32(op.shift).i32(op.accumulate ? 1 : 0).call(shiftAdd);
      return;
  }
}

/** A GEMM's accumulate argument: 0 from zero, 1 onto its acc rows, 2 onto its bias row (the `pairs` kernels only). */
const accumulate = (op: GemmOp): number => (!op.accumulate ? 0 : op.bias !== undefined ? 2 : 1);

/** Compile a Program to WebAssembly; the same Program always gives the same bytes. */
export function buildWasm(p: Program, opts: WasmOptions = { simd: true }): WasmBuild {
  checkEmittable(p);
  const base = planMemory(p, certify(p));
  const planned = kernelOps(p, base, { rewrite: opts.fuse ?? true, pack: opts.simd, taps: opts.simd });
  const { packed, scratch, stats } = planned;
  // act rows shared by several GEMMs are widened once, into an area after everything else
  const wideAt = Math.ceil(base.end / 16) * 16;
  const shared = opts.simd ? shareWidenedActs(planned.ops, p.config.cols, WIDE_MAX_BYTES) : { ops: planned.ops, bytes: 0 };
  // then their weights' int16 copies, made by the first run() (a flag in the area's first word);
  // more than WIDE_MAX_BYTES of them: nothing is widened
  const weightsAt = Math.ceil((wideAt + shared.bytes) / 16) * 16;
  const widths = (k: number): number => wideWeightBytes(p.config.cols, k);
  const fits = wideWeights(shared.ops, weightsAt, widths).bytes <= WIDE_MAX_BYTES;
  const { ops, bytes: wideBytes } = fits ? shared : { ops: planned.ops, bytes: 0 };
  // (under 8 columns the widened layout is the packed one: the matrices are read in place)
  const ww = p.config.cols >= 8 ? wideWeights(ops, weightsAt, widths) : { copies: [], bytes: 0, flag: 0 };
  const wideW = (w: number): number => {
    if (p.config.cols < 8) return w;
    const at = ww.copies.find((m) => m.w === w)?.at;
    if (at === undefined) throw internal('a GEMM on widened acts without widened weights');
    return at;
  };
  const afterWide = ww.bytes > 0 ? ww.flag + ww.bytes : wideBytes > 0 ? wideAt + wideBytes : base.end;
  // the tap tables after that: constants nothing writes
  const tablesAt = Math.ceil(afterWide / 16) * 16;
  const taps = tapTables(ops, tablesAt);
  const end = taps.bytes.length > 0 ? tablesAt + taps.bytes.length : afterWide;
  const plan: MemoryPlan = { ...base, end, pages: Math.max(1, Math.ceil(end / PAGE_BYTES)) };
  const reset = resetPlan({ ...p, constants: packConstants(p.constants, packed, p.config.cols) }, plan);
  const table = new FuncTable();
  const kernels = opts.simd ? simdKernels(table, p.config.rows, p.config.cols, scratch && { at: scratch.start, bytes: scratch.end - scratch.start }) : scalarKernels(table, p.config.cols);
  const run = new Func('run', []);
  emitReset(run.code, reset);
  if (ww.copies.length > 0) {
    if (kernels.widened === null) throw internal('widened weights need the widened kernels');
    run.code.i32(ww.flag).mem('i32.load').op('i32.eqz').if();
    for (const m of ww.copies) run.code.i32(m.at).i32(m.w).i32(m.k).call(kernels.widened.weights);
    run.code.i32(ww.flag).i32(1).mem('i32.store').end();
  }
  emitWindows(run.code, p, plan, kernels);
  // (only where a matmul is shifted: the other programs' modules stay as they were)
  const shiftAdd = ops.some((op) => op.kind === 'shiftAdd') ? shiftAddKernel(table) : null;
  for (const op of ops) emitOp(run.code, op, kernels, wideAt, wideW, taps.where, shiftAdd);
  const runIndex = table.add(run);
  const input = moduleInput(p, plan);
  const edges = addEdges(table, { ...p, input }, plan, runIndex, opts.simd);
  const types: FuncType[] = [];
  const funcs = table.funcs.map((f) => ({ type: typeIndex(types, f), locals: f.locals, body: f.code.bytes }));
  // output 0's globals are output_*, output k's output${k}_* (a program of several outputs)
  const globals = [...tensorGlobals('input', input), ...p.outputs.flatMap((t, k) => tensorGlobals(k === 0 ? 'output' : `output${k}`, t)), ...edges.globals];
  const spec: ModuleSpec = {
    types,
    funcs,
    memoryPages: plan.pages,
    globals,
    exports: [
      { name: 'memory', kind: 'Memory', index: 0 },
      { name: 'run', kind: 'Func', index: runIndex },
      { name: 'run_f32', kind: 'Func', index: edges.runF32 },
      { name: 'run_f64', kind: 'Func', index: edges.runF64 },
      ...globals.map((g, i) => ({ name: g.name, kind: 'Global' as const, index: i })),
    ],
    // the tap tables last, so that memory.init's segment indices stay reset's
    data: [...reset.segments.map((s) => ({ offset: s.offset, bytes: s.bytes, passive: reset.restore })), ...(taps.bytes.length > 0 ? [{ offset: tablesAt, bytes: taps.bytes, passive: false }] : [])],
  };
  return { bytes: assembleModule(spec), plan, stats, packed, globals };
}

export function emitWasm(p: Program, opts: WasmOptions = { simd: true }): Uint8Array {
  return buildWasm(p, opts).bytes;
}
