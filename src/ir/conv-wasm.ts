// SPDX-License-Identifier: MIT
/**
 * The float convolution's hot loop as WebAssembly f64x2 SIMD (calibration's cost: ResNet-18 is
 * 1.8 G MACs a sample). Lanes are independent outputs — neighbouring output channels — never
 * parts of one sum, so every output still sums its bias, then its in-bounds (ky, kx, ci) terms in
 * nested-loop order, each term one f64x2.mul then one f64x2.add (no fused multiply-add): the same
 * IEEE roundings as the plain JS loop, so the same doubles (test/unit/ir/evaluate-conv.test.ts).
 */
import { assembleModule } from '../wasm-encoding/binary.js';
import { Func } from '../wasm-encoding/code.js';

/** Output channels per pass: four f64x2 lanes pairs; with two pixels, eight sums in registers. */
export const GROUP = 8;
const GROUP_BYTES = GROUP * 8;
const PAGE = 65536;

/**
 * block(x0, xn, xRow, rows, run, k0, kRow, kGroup, groups, bias, y, yn): for each group g of
 * eight output channels, two output pixels (a at x0/y, b at x0 + xn / y + yn; xn = yn = 0 for one
 * pixel) sum bias[g], then `rows` kernel rows of `run` contiguous (kx, ci) terms; the input row
 * steps by xRow bytes, the kernel row by kRow, the group by kGroup. Kernel entries are eight
 * channels' doubles per tap. All addresses are bytes.
 */
function blockFunc(): Func {
  const f = new Func('block', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [x0, xn, xRow, rows, run, k0, kRow, kGroup, groups, bias, y, yn] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const r = f.local('i32');
  const xp = f.local('i32');
  const kp = f.local('i32');
  const xi = f.local('i32');
  const xEnd = f.local('i32');
  const wi = f.local('i32');
  const runBytes = f.local('i32');
  const a = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const b = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const u = f.local('v128');
  const v = f.local('v128');
  const w = f.local('v128');
  const c = f.code;
  c.get(run).i32(3).op('i32.shl').set(runBytes);
  c.block().loop(); // over groups (at least one)
  for (let i = 0; i < 4; i++) c.get(bias).vmem('v128.load', 16 * i).tee(a[i]!).set(b[i]!);
  c.get(x0).set(xp).get(k0).set(kp).get(rows).set(r);
  c.block().loop(); // over kernel rows
  c.get(r).op('i32.eqz').brIf(1);
  c.get(xp).tee(xi).get(runBytes).op('i32.add').set(xEnd).get(kp).set(wi);
  c.block().loop(); // over the row's (kx, ci) terms
  c.get(xi).get(xEnd).op('i32.eq').brIf(1);
  c.get(xi).mem('f64.load').v('f64x2.splat').set(u);
  c.get(xi).get(xn).op('i32.add').mem('f64.load').v('f64x2.splat').set(v);
  for (let i = 0; i < 4; i++) {
    c.get(wi).vmem('v128.load', 16 * i).set(w);
    c.get(a[i]!).get(u).get(w).v('f64x2.mul', 'f64x2.add').set(a[i]!);
    c.get(b[i]!).get(v).get(w).v('f64x2.mul', 'f64x2.add').set(b[i]!);
  }
  c.get(xi).i32(8).op('i32.add').set(xi);
  c.get(wi).i32(GROUP_BYTES).op('i32.add').set(wi);
  c.br(0).end().end();
  c.get(xp).get(xRow).op('i32.add').set(xp);
  c.get(kp).get(kRow).op('i32.add').set(kp);
  c.get(r).i32(1).op('i32.sub').set(r);
  c.br(0).end().end();
  // pixel b first: with one pixel (yn = 0) it is pixel a, and both hold the same sums
  for (let i = 0; i < 4; i++) c.get(y).get(yn).op('i32.add').get(b[i]!).vmem('v128.store', 16 * i);
  for (let i = 0; i < 4; i++) c.get(y).get(a[i]!).vmem('v128.store', 16 * i);
  c.get(k0).get(kGroup).op('i32.add').set(k0);
  c.get(bias).i32(GROUP_BYTES).op('i32.add').set(bias);
  c.get(y).i32(GROUP_BYTES).op('i32.add').set(y);
  c.get(groups).i32(1).op('i32.sub').tee(groups).brIf(0);
  c.end().end();
  return f;
}

/** The module's bytes with `pages` of memory (exported as `memory`, the function as `block`). */
export function convModuleBytes(pages: number): Uint8Array {
  const f = blockFunc();
  return assembleModule({
    types: [{ params: f.params, results: f.results }],
    funcs: [{ type: 0, locals: f.locals, body: f.code.bytes }],
    memoryPages: pages,
    globals: [],
    exports: [
      { name: 'block', kind: 'Func', index: 0 },
      { name: 'memory', kind: 'Memory', index: 0 },
    ],
    data: [],
  });
}

type Block = (x0: number, xn: number, xRow: number, rows: number, run: number, k0: number, kRow: number, kGroup: number, groups: number, bias: number, y: number, yn: number) => void;

export interface ConvInstance {
  readonly block: Block;
  readonly memory: { readonly buffer: ArrayBuffer };
}

/** The part of the WebAssembly API used here, typed locally (the project's lib, ES2022 without DOM, does not declare it). */
interface SyncWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

let current: ConvInstance | null = null;

/** An instance with at least `bytes` of memory (a new, larger one when the last is too small: the memory never grows). */
export function convInstance(bytes: number): ConvInstance {
  if (current === null || current.memory.buffer.byteLength < bytes) {
    let pages = 16;
    while (pages * PAGE < bytes) pages *= 2;
    if (pages > 65536) throw new RangeError(`convolution needs ${bytes} bytes of WebAssembly memory (at most 4 GiB)`);
    const wa = (globalThis as unknown as { WebAssembly: SyncWebAssembly }).WebAssembly;
    const exports = new wa.Instance(new wa.Module(convModuleBytes(pages))).exports;
    current = { block: exports['block'] as Block, memory: exports['memory'] as ConvInstance['memory'] };
  }
  return current;
}
