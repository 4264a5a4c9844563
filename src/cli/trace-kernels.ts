// SPDX-License-Identifier: MIT
/**
 * The trace pass's two hot loops in WebAssembly, for the CLI's simulations (sim/trace.ts
 * TraceKernels): a matmul's records (TraceRecorder.matmul: most of a program's records, 410 k of
 * AlexNet conv1's 500 k) and the records' sort (sortedRecords: each unit's [cycle, code, addr]
 * records in that order, unsigned; the same algorithm — each ascending run appended to the output,
 * or merged with the output's tail from the first record after its own first one). A
 * whole-process `nnchip sim` runs each loop once, cold, where the JS ran mostly in V8's
 * interpreter; WebAssembly runs compiled from the first record. sim/ may not import the
 * WebAssembly encoder, so the CLI hands these to simulate() (SimOptions.traceKernels), as it does
 * the GEMM; test/property/trace-kernels.test.ts holds them to the JS, record for record.
 */
import { assembleModule, type FuncType } from '../wasm-encoding/binary.js';
import { Func } from '../wasm-encoding/code.js';
import type { InstructionOf } from '../isa/spec.js';
import { matmulAccReads } from '../isa/ops/index.js';
import { CODE, sortedRecords, type MatmulRecords, type RecordSort, type TraceKernels } from '../../sim/trace.js';

/** 64 KiB WebAssembly pages, and the most the sort's memory may grow to (a larger stream is sorted in JS). */
const PAGE = 65536;
const MAX_PAGES = 32768;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/**
 * Leaves 1 on the stack when the record at local `a` comes after the one at local `b` ((cycle,
 * code, addr), unsigned), else 0; `x`, `y`, `r` scratch locals. In line: a function call per
 * comparison was most of the sort's time.
 */
function gtInline(f: Func, a: number, b: number, x: number, y: number, r: number): void {
  const c = f.code;
  c.block();
  for (const offset of [0, 4]) {
    c.get(a).mem('i32.load', offset).tee(x).get(b).mem('i32.load', offset).tee(y).op('i32.gt_u').set(r);
    c.get(x).get(y).op('i32.ne').brIf(0);
  }
  c.get(a).mem('i32.load', 8).get(b).mem('i32.load', 8).op('i32.gt_u').set(r);
  c.end();
  c.get(r);
}

/** Copies the 12-byte record at `from` to `to` (locals). */
function copyRecord(f: Func, to: number, from: number): void {
  const c = f.code;
  c.get(to).get(from).mem('i64.load').mem('i64.store');
  c.get(to).get(from).mem('i32.load', 8).mem('i32.store', 8);
}

/**
 * sort(src, bytes, out, tail): the records at [src, src + bytes) into [out, out + bytes), sorted;
 * `tail` holds a merge (as many bytes again). sortedRecords, step for step, on byte addresses.
 */
function sortFunc(): Func {
  const f = new Func('sort', ['i32', 'i32', 'i32', 'i32']);
  const [src, bytes, out, tail] = [0, 1, 2, 3];
  const [end, i, j, p, n, x, y, o, tailEnd, fromOut, q, s1, s2, r] = Array.from({ length: 14 }, () => f.local('i32')) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const gt = (a: number, b: number): void => gtInline(f, a, b, s1, s2, r);
  const c = f.code;
  c.get(src).get(bytes).op('i32.add').set(end);
  c.get(src).set(i).get(out).set(n);
  c.block().loop(); // each run [i, j)
  c.get(i).get(end).op('i32.ge_u').brIf(1);
  // j: the end of the ascending run from i
  c.get(i).i32(12).op('i32.add').set(j);
  c.block().loop();
  c.get(j).get(end).op('i32.ge_u').brIf(1);
  c.get(j).i32(12).op('i32.sub').set(q);
  gt(q, j);
  c.brIf(1);
  c.get(j).i32(12).op('i32.add').set(j).br(0);
  c.end().end();
  // p: the first output record after the run's first record
  c.get(n).set(p);
  c.block().loop();
  c.get(p).get(out).op('i32.le_u').brIf(1);
  c.get(p).i32(12).op('i32.sub').set(q);
  gt(q, i);
  c.op('i32.eqz').brIf(1);
  c.get(p).i32(12).op('i32.sub').set(p).br(0);
  c.end().end();
  c.get(p).get(n).op('i32.eq').if();
  c.get(n).get(i).get(j).get(i).op('i32.sub').memoryCopy();
  c.else();
  // merge out[p, n) and the run through `tail`, ties from the output first
  c.get(p).set(x).get(i).set(y).get(tail).set(o);
  c.get(tail).get(n).get(p).op('i32.sub').op('i32.add').get(j).get(i).op('i32.sub').op('i32.add').set(tailEnd);
  c.block().loop();
  c.get(o).get(tailEnd).op('i32.ge_u').brIf(1);
  // from the output when the run is used up, or when the output's record does not come after the run's
  c.get(y).get(j).op('i32.eq').set(fromOut);
  c.get(fromOut).op('i32.eqz').if().get(x).get(n).op('i32.lt_u').if();
  gt(x, y);
  c.op('i32.eqz').set(fromOut);
  c.end().end();
  c.get(fromOut).if();
  copyRecord(f, o, x);
  c.get(x).i32(12).op('i32.add').set(x);
  c.else();
  copyRecord(f, o, y);
  c.get(y).i32(12).op('i32.add').set(y);
  c.end();
  c.get(o).i32(12).op('i32.add').set(o).br(0);
  c.end().end();
  c.get(p).get(tail).get(tailEnd).get(tail).op('i32.sub').memoryCopy();
  c.end();
  c.get(n).get(j).get(i).op('i32.sub').op('i32.add').set(n);
  c.get(j).set(i).br(0);
  c.end().end();
  return f;
}

/** Stores the record (cycle, code, addr) at `p` (cycle and addr locals, code a constant) and moves p on. */
function putRecord(f: Func, p: number, cycle: () => void, code: number, addr: () => void): void {
  const c = f.code;
  c.get(p);
  cycle();
  c.mem('i32.store');
  c.get(p).i32(code).mem('i32.store', 4);
  c.get(p);
  addr();
  c.mem('i32.store', 8);
  c.get(p).i32(12).op('i32.add').set(p);
}

/**
 * matmul(dst, start, R, C, rows, wgt, act, actStride, actOuter, inner, acc, accReads): the
 * records TraceRecorder.matmul writes, at dst: wgt + t at t < R; act row m (act + ⌊m / inner⌋ ·
 * actOuter + (m mod inner) · actStride) at R + m; acc row k read (when k < accReads, isa/ops/matmul.ts
 * matmulAccReads) and written at 2R + C + k; cycles start + t, all of it uint32 (i32 arithmetic wraps as the JS stores do).
 */
function matmulFunc(): Func {
  const f = new Func('matmul', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, start, R, C, rows, wgt, act, actStride, actOuter, inner, acc, accReads] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [p, t, end, m, j, outer, k] = Array.from({ length: 7 }, () => f.local('i32')) as [number, number, number, number, number, number, number];
  const c = f.code;
  const cycle = (): void => void c.get(start).get(t).op('i32.add');
  c.get(dst).set(p);
  // the weight tile, one entry a cycle
  c.i32(0).set(t);
  c.block().loop();
  c.get(t).get(R).op('i32.ge_u').brIf(1);
  putRecord(f, p, cycle, CODE.wgtRead, () => void c.get(wgt).get(t).op('i32.add'));
  c.get(t).i32(1).op('i32.add').set(t).br(0);
  c.end().end();
  // act rows from R, acc rows from 2R + C
  c.get(R).get(R).op('i32.add').get(C).op('i32.add').get(rows).op('i32.add').set(end);
  c.i32(0).set(m).i32(0).set(j).get(act).set(outer);
  c.block().loop();
  c.get(t).get(end).op('i32.ge_u').brIf(1);
  c.get(m).get(rows).op('i32.lt_u').if();
  putRecord(f, p, cycle, CODE.actRead, () => void c.get(outer).get(j).get(actStride).op('i32.mul').op('i32.add'));
  c.get(j).i32(1).op('i32.add').tee(j).get(inner).op('i32.eq').if();
  c.i32(0).set(j).get(outer).get(actOuter).op('i32.add').set(outer);
  c.end();
  c.end();
  c.get(t).get(R).get(R).op('i32.add').get(C).op('i32.add').op('i32.sub').tee(k).i32(0).op('i32.ge_s').if();
  c.get(k).get(accReads).op('i32.lt_u').if();
  putRecord(f, p, cycle, CODE.accRead, () => void c.get(acc).get(k).op('i32.add'));
  c.end();
  putRecord(f, p, cycle, CODE.accWrite, () => void c.get(acc).get(k).op('i32.add'));
  c.end();
  c.get(t).i32(1).op('i32.add').set(t).get(m).i32(1).op('i32.add').set(m).br(0);
  c.end().end();
  return f;
}

/** The module's bytes: memory (one page, growable), sort and matmul. */
export function traceKernelsModule(): Uint8Array {
  const sort = sortFunc();
  const matmul = matmulFunc();
  const fns = [sort, matmul];
  const types: FuncType[] = fns.map((fn) => ({ params: fn.params, results: fn.results }));
  return assembleModule({
    types,
    funcs: fns.map((fn, k) => ({ type: k, locals: fn.locals, body: fn.code.bytes })),
    memoryPages: 1,
    maxPages: MAX_PAGES,
    globals: [],
    exports: [
      { name: 'memory', kind: 'Memory', index: 0 },
      { name: 'sort', kind: 'Func', index: 0 },
      { name: 'matmul', kind: 'Func', index: 1 },
    ],
    data: [],
  });
}

interface Instance {
  readonly memory: { buffer: ArrayBuffer; grow(pages: number): number };
  readonly sort: (src: number, bytes: number, out: number, tail: number) => void;
  readonly matmul: (dst: number, start: number, R: number, C: number, rows: number, wgt: number, act: number, actStride: number, actOuter: number, inner: number, acc: number, accReads: number) => void;
}

let instance: Instance | null = null;

/** The module's one instance (compiled on first use), its memory at least `bytes` long (a RangeError when it cannot grow). */
function withMemory(bytes: number): Instance {
  if (instance === null) {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { exports } = new api.Instance(new api.Module(traceKernelsModule()), {});
    instance = { memory: exports['memory'] as Instance['memory'], sort: exports['sort'] as Instance['sort'], matmul: exports['matmul'] as Instance['matmul'] };
  }
  const need = Math.ceil(bytes / PAGE);
  const have = instance.memory.buffer.byteLength / PAGE;
  if (need > have) instance.memory.grow(need - have);
  return instance;
}

/**
 * sortedRecords in WebAssembly: the result is a view of the module's memory, valid until the next
 * call. A stream over a third of the largest memory, or one the memory cannot grow for, is sorted
 * by sortedRecords.
 */
export const wasmRecordSort: RecordSort = (fields) => {
  const bytes = 4 * fields.length;
  if (fields.length % 3 !== 0 || 3 * bytes > (MAX_PAGES - 1) * PAGE) return sortedRecords(fields);
  let kernels: Instance;
  try {
    kernels = withMemory(3 * bytes);
  } catch (e) {
    if (e instanceof RangeError) return sortedRecords(fields); // the machine has no room for three more copies of the stream
    throw e;
  }
  const { memory, sort } = kernels;
  new Uint32Array(memory.buffer, 0, fields.length).set(fields);
  sort(0, bytes, bytes, 2 * bytes);
  return new Uint32Array(memory.buffer, bytes, fields.length);
};

/** TraceRecorder.matmul's records in WebAssembly, copied into the recorder's stream. */
export const wasmMatmulRecords: MatmulRecords = (out, n, start, i: InstructionOf<'matmul'>, R, C) => {
  const accReads = matmulAccReads(i);
  const fields = 3 * (R + 2 * i.rows + accReads);
  const { memory, matmul } = withMemory(4 * fields);
  matmul(0, start, R, C, i.rows, i.wgt, i.act, i.actStride, i.actOuter, i.inner, i.acc, accReads);
  out.set(new Uint32Array(memory.buffer, 0, fields), n);
};

/** What the CLI's simulations run the trace pass with. */
export const wasmTraceKernels: TraceKernels = { sort: wasmRecordSort, matmul: wasmMatmulRecords };
