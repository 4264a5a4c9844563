// SPDX-License-Identifier: MIT
/**
 * The address trace's sort (sim/trace.ts `sortedRecords`: each unit's [cycle, code, addr] records
 * in that order, unsigned) in WebAssembly, for the CLI's simulations: the same algorithm — each
 * ascending run appended to the output, or merged with the output's tail from the first record
 * after its own first one — in a module of its own. A whole-process `nnchip sim` sorts the trace
 * once, cold, where the JS loop ran mostly in V8's interpreter (190 k records on the digits MLP,
 * 500 k on AlexNet conv1); WebAssembly runs compiled from the first record. sim/ may not import the
 * WebAssembly encoder, so the CLI hands this to simulate() (SimOptions.recordSort), as it does the
 * GEMM; test/property/record-sort.test.ts holds the two sorts to the same records.
 */
import { assembleModule, type FuncType } from '../wasm-encoding/binary.js';
import { Func } from '../wasm-encoding/code.js';
import { sortedRecords, type RecordSort } from '../../sim/trace.js';

/** 64 KiB WebAssembly pages, and the most the sort's memory may grow to (a larger stream is sorted in JS). */
const PAGE = 65536;
const MAX_PAGES = 32768;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** gt(a, b): the record at byte a comes after the one at byte b ((cycle, code, addr), unsigned). */
function gtFunc(): Func {
  const f = new Func('gt', ['i32', 'i32'], ['i32']);
  const [a, b] = [0, 1];
  const [x, y] = [f.local('i32'), f.local('i32')];
  const c = f.code;
  for (const offset of [0, 4]) {
    c.get(a).mem('i32.load', offset).set(x).get(b).mem('i32.load', offset).set(y);
    c.get(x).get(y).op('i32.ne').if().get(x).get(y).op('i32.gt_u').op('return').end();
  }
  c.get(a).mem('i32.load', 8).get(b).mem('i32.load', 8).op('i32.gt_u');
  return f;
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
function sortFunc(gt: number): Func {
  const f = new Func('sort', ['i32', 'i32', 'i32', 'i32']);
  const [src, bytes, out, tail] = [0, 1, 2, 3];
  const [end, i, j, p, n, x, y, o, tailEnd, fromOut] = Array.from({ length: 10 }, () => f.local('i32')) as [number, number, number, number, number, number, number, number, number, number];
  const c = f.code;
  c.get(src).get(bytes).op('i32.add').set(end);
  c.get(src).set(i).get(out).set(n);
  c.block().loop(); // each run [i, j)
  c.get(i).get(end).op('i32.ge_u').brIf(1);
  // j: the end of the ascending run from i
  c.get(i).i32(12).op('i32.add').set(j);
  c.block().loop();
  c.get(j).get(end).op('i32.ge_u').brIf(1);
  c.get(j).i32(12).op('i32.sub').get(j).call(gt).brIf(1);
  c.get(j).i32(12).op('i32.add').set(j).br(0);
  c.end().end();
  // p: the first output record after the run's first record
  c.get(n).set(p);
  c.block().loop();
  c.get(p).get(out).op('i32.le_u').brIf(1);
  c.get(p).i32(12).op('i32.sub').get(i).call(gt).op('i32.eqz').brIf(1);
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
  c.get(x).get(y).call(gt).op('i32.eqz').set(fromOut);
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

/** The module's bytes: memory (one page, growable), gt and sort. */
export function recordSortModule(): Uint8Array {
  const gt = gtFunc();
  const sort = sortFunc(0);
  const types: FuncType[] = [
    { params: gt.params, results: gt.results },
    { params: sort.params, results: sort.results },
  ];
  return assembleModule({
    types,
    funcs: [gt, sort].map((fn, k) => ({ type: k, locals: fn.locals, body: fn.code.bytes })),
    memoryPages: 1,
    maxPages: MAX_PAGES,
    globals: [],
    exports: [
      { name: 'memory', kind: 'Memory', index: 0 },
      { name: 'sort', kind: 'Func', index: 1 },
    ],
    data: [],
  });
}

let instance: { memory: { buffer: ArrayBuffer; grow(pages: number): number }; sort: (src: number, bytes: number, out: number, tail: number) => void } | null = null;

/**
 * sortedRecords in WebAssembly: the result is a view of the module's memory, valid until the next
 * call. A stream over a third of the largest memory is sorted by sortedRecords.
 */
export const wasmRecordSort: RecordSort = (fields) => {
  const bytes = 4 * fields.length;
  if (fields.length % 3 !== 0 || 3 * bytes > (MAX_PAGES - 1) * PAGE) return sortedRecords(fields);
  if (instance === null) {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { exports } = new api.Instance(new api.Module(recordSortModule()), {});
    instance = { memory: exports['memory'] as NonNullable<typeof instance>['memory'], sort: exports['sort'] as NonNullable<typeof instance>['sort'] };
  }
  const { memory, sort } = instance;
  const need = Math.ceil((3 * bytes) / PAGE);
  const have = memory.buffer.byteLength / PAGE;
  if (need > have) memory.grow(need - have);
  new Uint32Array(memory.buffer, 0, fields.length).set(fields);
  sort(0, bytes, bytes, 2 * bytes);
  return new Uint32Array(memory.buffer, bytes, fields.length);
};
