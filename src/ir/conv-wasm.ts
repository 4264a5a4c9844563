// SPDX-License-Identifier: MIT
/**
 * The float convolution's hot loops as WebAssembly f32x4 SIMD (calibration's cost: ResNet-18 is
 * 1.8 G MACs a sample), in float32 as the float runtimes (TF.js, ONNX runtime) compute: `conv`
 * (sixteen output channels a pass) and `depthwise` (four channels a vector). Lanes are
 * independent outputs — neighbouring output channels — never parts of one sum, so every output
 * still sums its bias, then its in-bounds (ky, kx, ci) terms in nested-loop order, each term one
 * f32x4.mul then one f32x4.add (no fused multiply-add): IEEE float32 roundings in a fixed order,
 * the same on every machine, and the same floats as the plain loop with Math.fround after each
 * operation (test/unit/ir/evaluate-conv.test.ts).
 */
import { assembleModule } from '../wasm-encoding/binary.js';
import { Func } from '../wasm-encoding/code.js';

/** Output channels per pass: four f32x4 vectors; with two pixels, eight vectors of sums in registers. */
export const GROUP = 16;
const GROUP_BYTES = GROUP * 4;
const PAGE = 65536;
const MAX_PAGES = 65536;

/** Bytes per pixel-pair descriptor: x0, xn, rows, runBytes, k0, y, yn (i32 each) and one unused word. */
export const DESCRIPTOR_BYTES = 32;

/**
 * conv(desc, count, xRow, kRow, kBase, kGroup, groups, bias): for each group g of sixteen output
 * channels (outer, so the group's kernel slice stays in cache across pixels), for each of `count`
 * descriptors (x0, xn, rows, runBytes, k0, y, yn): two output pixels, a at x0 / y and b at
 * x0 + xn / y + yn (xn = yn = 0 for one pixel), sum bias[g], then `rows` kernel rows of runBytes/4
 * contiguous (kx, ci) terms; the input row steps by xRow bytes, the kernel row by kRow, from
 * kBase + g·kGroup + k0. Inputs, kernel and outputs are float32; kernel entries are the group's
 * sixteen floats per tap; outputs are written at y + 64·g. All addresses are bytes.
 */
function convFunc(): Func {
  const f = new Func('conv', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [desc, count, xRow, kRow, kBase, kGroup, groups, bias] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i32 = (): number => f.local('i32');
  const [g, d, dEnd, yOff, xn, r, xp, kp, xi, xEnd, wi, runBytes, y] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()] as const;
  const a = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const b = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const u = f.local('v128');
  const v = f.local('v128');
  const w = f.local('v128');
  const c = f.code;
  c.get(desc).get(count).i32(DESCRIPTOR_BYTES).op('i32.mul').op('i32.add').set(dEnd);
  c.block().loop(); // over groups
  c.get(g).get(groups).op('i32.eq').brIf(1);
  c.get(desc).set(d);
  c.block().loop(); // over descriptors
  c.get(d).get(dEnd).op('i32.eq').brIf(1);
  for (let i = 0; i < 4; i++) c.get(bias).vmem('v128.load', 16 * i).tee(a[i]!).set(b[i]!);
  c.get(d).mem('i32.load', 0).set(xp);
  c.get(d).mem('i32.load', 4).set(xn);
  c.get(d).mem('i32.load', 8).set(r);
  c.get(d).mem('i32.load', 12).set(runBytes);
  c.get(kBase).get(d).mem('i32.load', 16).op('i32.add').set(kp);
  c.block().loop(); // over kernel rows
  c.get(r).op('i32.eqz').brIf(1);
  c.get(xp).tee(xi).get(runBytes).op('i32.add').set(xEnd).get(kp).set(wi);
  c.block().loop(); // over the row's (kx, ci) terms
  c.get(xi).get(xEnd).op('i32.eq').brIf(1);
  c.get(xi).vmem('v128.load32_splat').set(u);
  c.get(xi).get(xn).op('i32.add').vmem('v128.load32_splat').set(v);
  for (let i = 0; i < 4; i++) {
    c.get(wi).vmem('v128.load', 16 * i).set(w);
    c.get(a[i]!).get(u).get(w).v('f32x4.mul', 'f32x4.add').set(a[i]!);
    c.get(b[i]!).get(v).get(w).v('f32x4.mul', 'f32x4.add').set(b[i]!);
  }
  c.get(xi).i32(4).op('i32.add').set(xi);
  c.get(wi).i32(GROUP_BYTES).op('i32.add').set(wi);
  c.br(0).end().end();
  c.get(xp).get(xRow).op('i32.add').set(xp);
  c.get(kp).get(kRow).op('i32.add').set(kp);
  c.get(r).i32(1).op('i32.sub').set(r);
  c.br(0).end().end();
  // pixel b first: with one pixel (yn = 0) it is pixel a, and both hold the same sums
  c.get(d).mem('i32.load', 20).get(yOff).op('i32.add').set(y);
  for (let i = 0; i < 4; i++) c.get(y).get(d).mem('i32.load', 24).op('i32.add').get(b[i]!).vmem('v128.store', 16 * i);
  for (let i = 0; i < 4; i++) c.get(y).get(a[i]!).vmem('v128.store', 16 * i);
  c.get(d).i32(DESCRIPTOR_BYTES).op('i32.add').set(d);
  c.br(0).end().end();
  c.get(kBase).get(kGroup).op('i32.add').set(kBase);
  c.get(bias).i32(GROUP_BYTES).op('i32.add').set(bias);
  c.get(yOff).i32(GROUP_BYTES).op('i32.add').set(yOff);
  c.get(g).i32(1).op('i32.add').set(g);
  c.br(0).end().end();
  return f;
}

/** Bytes per depthwise descriptor: x0, rows, cols, k0, y (i32 each). */
export const DEPTHWISE_DESCRIPTOR_BYTES = 20;

/**
 * depthwise(desc, count, vecs, xRow, xCol, kRow, bias, kBase): for each of `count` descriptors
 * (x0, rows, cols, k0, y), one output pixel: for each of its `vecs` vectors of four channels, the
 * bias's, then `rows` × `cols` taps in (ky, kx) order — input x0 + xRow·row + xCol·col, kernel
 * kBase + k0 + kRow·row + 16·vecs·col, both plus the vector's 16 bytes — each one f32x4.mul then
 * one f32x4.add, stored at y. Channels are padded to whole vectors in the input, the kernel
 * ([ky][kx][channel]), the bias and the output. All addresses are bytes.
 */
function depthwiseFunc(): Func {
  const f = new Func('depthwise', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [desc, count, vecs, xRow, xCol, kRow, bias, kBase] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i32 = (): number => f.local('i32');
  const [d, dEnd, vo, vEnd, kCol, x0, k0, y, xr, kr, r, xi, ki, t] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()] as const;
  const acc = f.local('v128');
  const c = f.code;
  c.get(desc).get(count).i32(DEPTHWISE_DESCRIPTOR_BYTES).op('i32.mul').op('i32.add').set(dEnd);
  c.get(vecs).i32(16).op('i32.mul').tee(vEnd).set(kCol);
  c.get(desc).set(d);
  c.block().loop(); // over descriptors (output pixels)
  c.get(d).get(dEnd).op('i32.eq').brIf(1);
  c.get(d).mem('i32.load', 0).set(x0);
  c.get(kBase).get(d).mem('i32.load', 12).op('i32.add').set(k0);
  c.get(d).mem('i32.load', 16).set(y);
  c.i32(0).set(vo);
  c.block().loop(); // over channel vectors
  c.get(vo).get(vEnd).op('i32.eq').brIf(1);
  c.get(bias).get(vo).op('i32.add').vmem('v128.load').set(acc);
  c.get(x0).get(vo).op('i32.add').set(xr);
  c.get(k0).get(vo).op('i32.add').set(kr);
  c.get(d).mem('i32.load', 4).set(r);
  c.block().loop(); // over kernel rows
  c.get(r).op('i32.eqz').brIf(1);
  c.get(xr).set(xi).get(kr).set(ki).get(d).mem('i32.load', 8).set(t);
  c.block().loop(); // over the row's taps
  c.get(t).op('i32.eqz').brIf(1);
  c.get(acc).get(xi).vmem('v128.load').get(ki).vmem('v128.load').v('f32x4.mul', 'f32x4.add').set(acc);
  c.get(xi).get(xCol).op('i32.add').set(xi);
  c.get(ki).get(kCol).op('i32.add').set(ki);
  c.get(t).i32(1).op('i32.sub').set(t);
  c.br(0).end().end();
  c.get(xr).get(xRow).op('i32.add').set(xr);
  c.get(kr).get(kRow).op('i32.add').set(kr);
  c.get(r).i32(1).op('i32.sub').set(r);
  c.br(0).end().end();
  c.get(y).get(vo).op('i32.add').get(acc).vmem('v128.store');
  c.get(vo).i32(16).op('i32.add').set(vo);
  c.br(0).end().end();
  c.get(d).i32(DEPTHWISE_DESCRIPTOR_BYTES).op('i32.add').set(d);
  c.br(0).end().end();
  return f;
}

/** The module's bytes: `pages` of memory to start with, growable to 4 GiB (exported as `memory`, the functions as `conv` and `depthwise`). */
export function convModuleBytes(pages: number): Uint8Array {
  const funcs = [convFunc(), depthwiseFunc()];
  return assembleModule({
    types: funcs.map((f) => ({ params: f.params, results: f.results })),
    funcs: funcs.map((f, i) => ({ type: i, locals: f.locals, body: f.code.bytes })),
    memoryPages: pages,
    maxPages: MAX_PAGES,
    globals: [],
    exports: [
      { name: 'conv', kind: 'Func', index: 0 },
      { name: 'depthwise', kind: 'Func', index: 1 },
      { name: 'memory', kind: 'Memory', index: 0 },
    ],
    data: [],
  });
}

type Conv = (desc: number, count: number, xRow: number, kRow: number, kBase: number, kGroup: number, groups: number, bias: number) => void;
type Depthwise = (desc: number, count: number, vecs: number, xRow: number, xCol: number, kRow: number, bias: number, kBase: number) => void;

/** The part of the WebAssembly API used here, typed locally (the project's lib, ES2022 without DOM, does not declare it). */
interface SyncWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

/**
 * The one instance: packed kernels at the front of its memory (an arena that keeps each node's
 * kernel across the samples of one evaluation run), the per-call input, output and descriptors after it.
 */
interface State {
  readonly conv: Conv;
  readonly depthwise: Depthwise;
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** Arena bytes in use (16-aligned). */
  top: number;
  /** Arena offset of each node's packed kernel (bias first). */
  packed: WeakMap<object, number>;
}

/**
 * Forget every packed kernel (the arena starts over). The evaluation calls this when it returns, so
 * a kernel is packed once per run over samples and a caller that changes weights in place between
 * runs never meets a stale copy.
 */
export function forgetKernels(): void {
  if (state !== null) (state.top = 0), (state.packed = new WeakMap());
}

/** Past this many arena bytes the arena starts over (kernels are packed again when next used). */
const ARENA_LIMIT = 512 * 2 ** 20;

let state: State | null = null;

function instance(): State {
  if (state === null) {
    const wa = (globalThis as unknown as { WebAssembly: SyncWebAssembly }).WebAssembly;
    const exports = new wa.Instance(new wa.Module(convModuleBytes(16))).exports;
    state = { conv: exports['conv'] as Conv, depthwise: exports['depthwise'] as Depthwise, memory: exports['memory'] as State['memory'], top: 0, packed: new WeakMap() };
  }
  return state;
}

/** Grow the memory to at least `bytes` (views taken before are detached). */
function reserve(s: State, bytes: number): void {
  const have = s.memory.buffer.byteLength / PAGE;
  const need = Math.ceil(bytes / PAGE);
  if (need > MAX_PAGES) throw new RangeError(`convolution needs ${bytes} bytes of WebAssembly memory (at most 4 GiB)`);
  if (need > have) s.memory.grow(Math.min(MAX_PAGES, Math.max(need, 2 * have)) - have);
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * The instance, with `key`'s packed kernel (written by `pack` into a Float32Array of `kernelFloats`
 * the first time) in its arena and `scratch` bytes free after the arena. Returns the kernel's byte
 * offset and the first scratch byte.
 */
export function convWith(key: object, kernelFloats: number, pack: (into: Float32Array) => void, scratch: number): { conv: Conv; depthwise: Depthwise; memory: ArrayBuffer; kernelAt: number; scratchAt: number } {
  const s = instance();
  let at = s.packed.get(key);
  if (at === undefined) {
    const size = align16(kernelFloats * 4);
    if (s.top + size > ARENA_LIMIT) (s.top = 0), (s.packed = new WeakMap());
    reserve(s, s.top + size + scratch);
    at = s.top;
    pack(new Float32Array(s.memory.buffer, at, kernelFloats));
    s.packed.set(key, at);
    s.top += size;
  } else reserve(s, s.top + scratch);
  return { conv: s.conv, depthwise: s.depthwise, memory: s.memory.buffer, kernelAt: at, scratchAt: s.top };
}
