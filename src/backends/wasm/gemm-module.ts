// SPDX-License-Identifier: MIT
/**
 * The runtime's SIMD int8 GEMM (kernels/simd.ts, one implementation) in a module of its own, for
 * the simulator's fast-mode matmul values: sim/ may not import the back ends, so the CLI hands
 * this factory to simulate() (SimOptions.gemm). The module's memory holds the caller's bytes
 * (the fast machine's arena) first, then a weight panel; one GEMM per column width, each writing
 * sums rows as wide as the array's, so a weight tile with few live columns costs what they cost;
 * and the runtime's requantizing threshold (kernels/simd.ts, f64x2, numerics.ts step for step).
 */
import { NnchipError } from '../../diagnostics/error.js';
import { assembleModule, type FuncType } from '../../wasm-encoding/binary.js';
import { Func } from '../../wasm-encoding/code.js';
import { simdGemm, thresholdKernel } from './kernels/simd.js';
import { FuncTable, typeIndex } from './kernels/shared.js';
import { PAGE_BYTES } from './plan/memory.js';

/**
 * acc_add(acc, sums, rows, lanes, stride): for each of `rows` rows (`stride` bytes apart in both),
 * int32 acc[j] += sums[j] for j < lanes, wrapping (a matmul's commit onto the accumulators): four
 * lanes per i32x4.add, then one at a time.
 */
function accAddKernel(table: FuncTable): number {
  const f = new Func('acc_add', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, sums, rows, lanes, stride] = [0, 1, 2, 3, 4];
  const [pa, ps, n] = [f.local('i32'), f.local('i32'), f.local('i32')];
  const c = f.code;
  c.block().get(rows).op('i32.eqz').brIf(0).loop();
  c.get(acc).set(pa).get(sums).set(ps).get(lanes).set(n);
  c.block().loop().get(n).i32(4).op('i32.lt_u').brIf(1);
  c.get(pa).get(pa).vmem('v128.load').get(ps).vmem('v128.load').v('i32x4.add').vmem('v128.store');
  c.get(pa).i32(16).op('i32.add').set(pa).get(ps).i32(16).op('i32.add').set(ps).get(n).i32(4).op('i32.sub').set(n).br(0).end().end();
  c.block().loop().get(n).op('i32.eqz').brIf(1);
  c.get(pa).get(pa).mem('i32.load').get(ps).mem('i32.load').op('i32.add').mem('i32.store');
  c.get(pa).i32(4).op('i32.add').set(pa).get(ps).i32(4).op('i32.add').set(ps).get(n).i32(1).op('i32.sub').set(n).br(0).end().end();
  c.get(acc).get(stride).op('i32.add').set(acc).get(sums).get(stride).op('i32.add').set(sums);
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end().end();
  return table.add(f);
}

/** Column widths with a kernel: 8, 16, 32, … below C, then C (a tile's live columns round up to the next). */
export function gemmWidths(C: number): number[] {
  const widths: number[] = [];
  for (let w = 8; w < C; w *= 2) widths.push(w);
  return [...widths, C];
}

/** Bytes read past the panel and the act rows (a 64-bit weight load, the odd last k's act byte). */
const SLACK = 64;

const align = (n: number): number => Math.ceil(n / 16) * 16;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** Where the panel starts and the module's bytes, for an R×C array and `callerBytes` of caller memory. */
export function gemmModule(callerBytes: number, R: number, C: number): { bytes: Uint8Array; panel: number; widths: number[] } {
  const panel = align(callerBytes + SLACK);
  const end = panel + R * C + SLACK;
  if (end > 2 ** 31) throw new NnchipError('NN404', `the simulated machine needs ${end} bytes, more than a 32-bit WebAssembly memory`);
  const widths = gemmWidths(C);
  const table = new FuncTable();
  const fns = widths.map((w) => simdGemm(table, w, C));
  const accAdd = accAddKernel(table);
  const threshold = thresholdKernel(table, C);
  const types: FuncType[] = [];
  const funcs = table.funcs.map((f) => ({ type: typeIndex(types, f), locals: f.locals, body: f.code.bytes }));
  const bytes = assembleModule({
    types,
    funcs,
    memoryPages: Math.max(1, Math.ceil(end / PAGE_BYTES)),
    globals: [],
    exports: [{ name: 'memory', kind: 'Memory', index: 0 }, { name: 'acc_add', kind: 'Func', index: accAdd }, { name: 'threshold', kind: 'Func', index: threshold }, ...fns.map((index, i) => ({ name: `gemm${widths[i]}`, kind: 'Func' as const, index }))],
    data: [],
  });
  return { bytes, panel, widths };
}

const compiled = new Map<string, { module: object; panel: number; widths: number[] }>();

/** gemmModule, compiled once per shape (the latest one kept: one program at a time is the common case). */
function moduleFor(callerBytes: number, R: number, C: number): { module: object; panel: number; widths: number[] } {
  const key = `${callerBytes}:${R}:${C}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const { bytes, panel, widths } = gemmModule(callerBytes, R, C);
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const entry = { module: new api.Module(bytes), panel, widths };
  compiled.clear();
  compiled.set(key, entry);
  return entry;
}

/** An exported kernel: int32 arguments (addresses, counts, codes), no result. */
type Kernel = (...args: number[]) => void;
/** gemm(width, then the GEMM driver's arguments but `accumulate`): spelled out, so a call allocates no rest array. */
type Gemm = (width: number, out: number, a: number, aStride: number, aOuter: number, inner: number, w: number, rows: number, k: number) => void;

/**
 * A fresh instance (zeroed memory) of the GEMM module for this shape: its memory, where the panel
 * goes, the widths, gemm (width first, then the GEMM's arguments, never accumulating), acc_add and
 * threshold. The simulator's Int8Gemm (sim/matmul-values.ts) says what each computes; the CLI
 * passes this function as its factory, which the type checker matches structurally.
 */
export function wasmGemm(callerBytes: number, R: number, C: number): { memory: ArrayBuffer; panel: number; widths: readonly number[]; gemm: Gemm; accAdd: Kernel; threshold: Kernel } {
  const { module, panel, widths } = moduleFor(callerBytes, R, C);
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { exports } = new api.Instance(module, {});
  const byWidth: Kernel[] = [];
  for (const w of widths) byWidth[w] = exports[`gemm${w}`] as Kernel;
  return {
    memory: (exports['memory'] as { buffer: ArrayBuffer }).buffer,
    panel,
    widths,
    gemm: (width, out, a, aStride, aOuter, inner, w, rows, k) => byWidth[width]!(out, a, aStride, aOuter, inner, w, rows, k, 0),
    accAdd: exports['acc_add'] as Kernel,
    threshold: exports['threshold'] as Kernel,
  };
}
