// SPDX-License-Identifier: MIT
/**
 * Float ⇄ int8 at the module's edges, so that the loader only copies typed arrays: quantization of
 * staged f32/f64 inputs with isa/numerics.ts quantizeToInt8's exact arithmetic, dequantization of
 * the output codes to f32. SIMD kernels for contiguous tensors; a scalar loop for any other layout.
 */
import { Code, Func } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/** Element type of the float staging area: f32 (Float32Array) or f64 (every other input). */
export type FloatElem = 'f32' | 'f64';
/** How the fast kernel rounds: ties to even after adding zp (fewest operations), or half away from zero. */
export type FastRounding = 'even' | 'away';
export const ELEM_BYTES: Readonly<Record<FloatElem, number>> = { f32: 4, f64: 8 };

/** Codes produced per step of the SIMD quantizer (8 f64x2 pairs narrowed into one i8x16). */
export const QUANT_STEP = 16;

/**
 * One value, as quantizeToInt8 computes it: y = x / scale (the same double division); the rounded
 * magnitude r = t + (|y| − t ≥ ½) with t = trunc(|y|) (the subtraction is exact, so this is
 * Math.round of |y|, ties up); q = copysign(r, y) + zp; then saturate: trunc_sat maps NaN to 0 (as
 * an Int8Array store of the JS NaN does) and ±∞ to the int32 ends, and the int8 clamp follows.
 * Expects x (f64) on the stack; leaves the int8 code (i32).
 */
export function quantizeOne(c: Code, t: { y: number; a: number; r: number; q: number; scale: number; zp: number }): void {
  c.get(t.scale).op('f64.div').tee(t.y).op('f64.abs').tee(t.a).op('f64.trunc').set(t.r);
  c.get(t.r).f64(1).f64(0).get(t.a).get(t.r).op('f64.sub').f64(0.5).op('f64.ge', 'select', 'f64.add');
  c.get(t.y).op('f64.copysign').get(t.zp).op('f64.add').truncSat().set(t.q);
  // max(q, −128), then min(…, 127)
  c.i32(-128).get(t.q).get(t.q).i32(-128).op('i32.lt_s', 'select').set(t.q);
  c.i32(127).get(t.q).get(t.q).i32(127).op('i32.gt_s', 'select');
}

export function scalarLocals(f: Func, scale: number, zp: number) {
  return { y: f.local('f64'), a: f.local('f64'), r: f.local('f64'), q: f.local('i32'), scale, zp };
}

/** The locals of one 16-value SIMD step (quantizeBlock). */
export interface BlockLocals {
  readonly src: number;
  readonly dst: number;
  readonly scaleV: number;
  readonly zpV: number;
  readonly half: number;
  readonly one: number;
  readonly sign: number;
  readonly y: number;
  readonly t: number;
  readonly q: readonly number[];
}

/** Declare the locals of quantizeBlock and set its constants: scaleV = splat(scale) (or splat(inv) for a fast rounding), zpV, ½, 1, −0. */
export function blockLocals(f: Func, src: number, dst: number, scaleOrInv: number, zp: number): BlockLocals {
  const v = (): number => f.local('v128');
  const [scaleV, zpV, half, one, sign, y, t] = [v(), v(), v(), v(), v(), v(), v()];
  const q = Array.from({ length: 8 }, v);
  const c = f.code;
  c.get(scaleOrInv).v('f64x2.splat').set(scaleV).get(zp).v('f64x2.splat').set(zpV);
  for (const [x, to] of [[0.5, half], [1, one], [-0, sign]] as const) c.f64(x).v('f64x2.splat').set(to);
  return { src, dst, scaleV, zpV, half, one, sign, y, t, q };
}

/**
 * One SIMD step: the 16 values from value `at` on at src → 16 codes at dst + at, in f64x2 (see
 * quantizeVecKernel for `fast`). Moves neither pointer.
 */
export function quantizeBlock(c: Code, elem: FloatElem, fast: FastRounding | undefined, l: BlockLocals, at = 0): void {
  const { src, dst, scaleV, zpV, half, one, sign, y, t, q } = l;
  for (let j = 0; j < 8; j++) {
    if (elem === 'f32') c.get(src).vmem('v128.load64_zero', 4 * at + 8 * j).v('f64x2.promote_low_f32x4');
    else c.get(src).vmem('v128.load', 8 * at + 16 * j);
    if (fast === 'even') c.get(scaleV).v('f64x2.mul').get(zpV).v('f64x2.add', 'f64x2.nearest', 'i32x4.trunc_sat_f64x2_s_zero').set(q[j]!);
    else if (fast === 'away') c.get(scaleV).v('f64x2.mul').tee(y).get(y).get(sign).v('v128.and').get(half).v('v128.or', 'f64x2.add', 'f64x2.trunc');
    else {
      c.get(scaleV).v('f64x2.div').tee(y).v('f64x2.abs').tee(t).get(t).v('f64x2.trunc').tee(t).v('f64x2.sub');
      c.get(half).v('f64x2.ge').get(one).v('v128.and').get(t).v('f64x2.add');
      c.get(y).get(sign).v('v128.and', 'v128.or');
    }
    if (fast !== 'even') c.get(zpV).v('f64x2.add', 'i32x4.trunc_sat_f64x2_s_zero').set(q[j]!);
  }
  // lanes 0-1 of q0 and q1 → i32 lanes 0-3, and so on; then saturating narrows to int8
  const pairUp = (a: number, b: number): Code => c.get(q[a]!).get(q[b]!).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  c.get(dst);
  pairUp(0, 1);
  pairUp(2, 3);
  c.v('i16x8.narrow_i32x4_s');
  pairUp(4, 5);
  pairUp(6, 7);
  c.v('i16x8.narrow_i32x4_s', 'i8x16.narrow_i16x8_s').vmem('v128.store', at);
}

/** The last n mod 16 values, one by one (quantizeOne), after a kernel's SIMD loop. */
export function quantizeTail(f: Func, elem: FloatElem, src: number, dst: number, n: number, scale: number, zp: number): void {
  const size = ELEM_BYTES[elem];
  const s = scalarLocals(f, scale, zp);
  const c = f.code;
  c.block().get(n).op('i32.eqz').brIf(0).loop();
  c.get(dst).get(src).mem(elem === 'f32' ? 'f32.load' : 'f64.load');
  if (elem === 'f32') c.op('f64.promote_f32');
  quantizeOne(c, s);
  c.mem('i32.store8');
  c.get(src).i32(size).op('i32.add').set(src).get(dst).i32(1).op('i32.add').set(dst);
  c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end().end();
}

/**
 * quantize_vec_<elem>(src, dst, n, scale, zp, inv): n values at src → n codes at dst, 16 per SIMD
 * step, the last n mod 16 one by one (quantizeOne). Writes exactly n bytes, reads exactly n values.
 * `fast` (float32 only): y = x·inv, then nearest(y + zp) ('even') or trunc(y + copysign(½, y)) + zp
 * ('away') instead of the division and the exact rounding — only where float-fast.ts proved that
 * rounding exact for this scale and zero point; without `fast`, inv is unused.
 */
export function quantizeVecKernel(table: FuncTable, elem: FloatElem, fast?: FastRounding): number {
  const f = new Func(`quantize_vec_${elem}${fast === undefined ? '' : `_${fast}`}`, ['i32', 'i32', 'i32', 'f64', 'f64', 'f64']);
  const [src, dst, n, scale, zp, inv] = [0, 1, 2, 3, 4, 5];
  const l = blockLocals(f, src, dst, fast === undefined ? scale : inv, zp);
  const c = f.code;
  c.block().get(n).i32(QUANT_STEP).op('i32.lt_u').brIf(0).loop();
  quantizeBlock(c, elem, fast, l);
  c.get(src).i32(QUANT_STEP * ELEM_BYTES[elem]).op('i32.add').set(src).get(dst).i32(QUANT_STEP).op('i32.add').set(dst);
  c.get(n).i32(QUANT_STEP).op('i32.sub').tee(n).i32(QUANT_STEP).op('i32.ge_u').brIf(0);
  c.end().end();
  quantizeTail(f, elem, src, dst, n, scale, zp);
  return table.add(f);
}

/**
 * dequantize_vec(src, dst, n, scale, zp): n codes → n f32 values (code − zp)·scale, computed in
 * f64 and rounded to f32 by demotion (nearest-even, as a Float32Array store rounds the JS double),
 * 4 per SIMD step, the last n mod 4 one by one.
 */
export function dequantizeVecKernel(table: FuncTable): number {
  const f = new Func('dequantize_vec', ['i32', 'i32', 'i32', 'f64', 'f64']);
  const [src, dst, n, scale, zp] = [0, 1, 2, 3, 4];
  const [scaleV, zpV, w] = [f.local('v128'), f.local('v128'), f.local('v128')];
  const c = f.code;
  c.get(scale).v('f64x2.splat').set(scaleV).get(zp).v('f64x2.splat').set(zpV);
  c.block().get(n).i32(4).op('i32.lt_u').brIf(0).loop();
  c.get(src).vmem('v128.load32_zero').v('i16x8.extend_low_i8x16_s', 'i32x4.extend_low_i16x8_s').set(w);
  c.get(dst);
  c.get(w).v('f64x2.convert_low_i32x4_s').get(zpV).v('f64x2.sub').get(scaleV).v('f64x2.mul', 'f32x4.demote_f64x2_zero');
  c.get(w).get(w).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
  c.v('f64x2.convert_low_i32x4_s').get(zpV).v('f64x2.sub').get(scaleV).v('f64x2.mul', 'f32x4.demote_f64x2_zero');
  c.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).vmem('v128.store');
  c.get(src).i32(4).op('i32.add').set(src).get(dst).i32(16).op('i32.add').set(dst);
  c.get(n).i32(4).op('i32.sub').tee(n).i32(4).op('i32.ge_u').brIf(0);
  c.end().end();
  c.block().get(n).op('i32.eqz').brIf(0).loop();
  c.get(dst).get(src).mem('i32.load8_s').op('f64.convert_i32_s').get(zp).op('f64.sub').get(scale).op('f64.mul', 'f32.demote_f64').mem('f32.store');
  c.get(src).i32(1).op('i32.add').set(src).get(dst).i32(4).op('i32.add').set(dst);
  c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end().end();
  return table.add(f);
}

/** Where a tensor's codes are, and the order of its values in the float staging area. */
export interface EdgeLayout {
  readonly offset: number;
  readonly rows: number;
  readonly rowBytes: number;
  readonly rowStride: number;
  readonly width: number;
  readonly lineStride: number;
  /** A batch with a border between samples: pixels per sample and bytes between samples (else rows and 0). */
  readonly sampleRows: number;
  readonly sampleStride: number;
  readonly scale: number;
  readonly zp: number;
  /**
   * Channel-major staging (a 'chw' sample or feature map): code i = r·rowBytes + j ⇄ value
   * (i mod channels)·pixels + floor(i / channels); null: value i is code i.
   */
  readonly channelMajor: { readonly channels: number; readonly pixels: number } | null;
}

/** Pixel r's code j → its value's index in the staging area, pushed on the stack (i: a scratch local). */
function stagingIndex(c: Code, t: EdgeLayout, r: number, j: number, i: number): void {
  c.get(r).i32(t.rowBytes).op('i32.mul').get(j).op('i32.add');
  const cm = t.channelMajor;
  if (cm === null) return;
  c.tee(i).i32(cm.channels).op('i32.rem_u').i32(cm.pixels).op('i32.mul').get(i).i32(cm.channels).op('i32.div_u', 'i32.add');
}

/** Address of pixel r's code j: offset + floor(r / width)·lineStride + (r mod width)·rowStride + j (per sample in a batch with a border between samples). */
function codeAddress(c: Code, t: EdgeLayout, r: number, j: number): void {
  if (t.sampleRows < t.rows) {
    // q = r mod sampleRows within sample floor(r / sampleRows)
    const q = (): Code => c.get(r).i32(t.sampleRows).op('i32.rem_u');
    c.get(r).i32(t.sampleRows).op('i32.div_u').i32(t.sampleStride).op('i32.mul');
    q().i32(t.width).op('i32.div_u').i32(t.lineStride).op('i32.mul', 'i32.add');
    q().i32(t.width).op('i32.rem_u').i32(t.rowStride).op('i32.mul', 'i32.add').i32(t.offset).op('i32.add').get(j).op('i32.add');
    return;
  }
  c.get(r).i32(t.width).op('i32.div_u').i32(t.lineStride).op('i32.mul');
  c.get(r).i32(t.width).op('i32.rem_u').i32(t.rowStride).op('i32.mul', 'i32.add').i32(t.offset).op('i32.add').get(j).op('i32.add');
}

/** quantize_pixels_<elem>(): the staged input → its codes, pixel by pixel, for any tensor layout (constants baked in). */
export function quantizePixelsKernel(table: FuncTable, elem: FloatElem, t: EdgeLayout, staging: number): number {
  const f = new Func(`quantize_pixels_${elem}`, []);
  const [r, j, i, scale, zp] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('f64'), f.local('f64')];
  const s = scalarLocals(f, scale, zp);
  const c = f.code;
  c.f64(t.scale).set(scale).f64(t.zp).set(zp);
  c.loop().i32(0).set(j).loop();
  codeAddress(c, t, r, j);
  stagingIndex(c, t, r, j, i);
  c.i32(ELEM_BYTES[elem]).op('i32.mul').mem(elem === 'f32' ? 'f32.load' : 'f64.load', staging);
  if (elem === 'f32') c.op('f64.promote_f32');
  quantizeOne(c, s);
  c.mem('i32.store8');
  c.get(j).i32(1).op('i32.add').tee(j).i32(t.rowBytes).op('i32.lt_u').brIf(0).end();
  c.get(r).i32(1).op('i32.add').tee(r).i32(t.rows).op('i32.lt_u').brIf(0).end();
  return table.add(f);
}

/** dequantize_pixels(): the output codes → f32 values in the staging area, for any tensor layout. */
export function dequantizePixelsKernel(table: FuncTable, t: EdgeLayout, staging: number): number {
  const f = new Func('dequantize_pixels', []);
  const [r, j, i] = [f.local('i32'), f.local('i32'), f.local('i32')];
  const c = f.code;
  c.loop().i32(0).set(j).loop();
  stagingIndex(c, t, r, j, i);
  c.i32(4).op('i32.mul');
  codeAddress(c, t, r, j);
  c.mem('i32.load8_s').op('f64.convert_i32_s').f64(t.zp).op('f64.sub').f64(t.scale).op('f64.mul', 'f32.demote_f64').mem('f32.store', staging);
  c.get(j).i32(1).op('i32.add').tee(j).i32(t.rowBytes).op('i32.lt_u').brIf(0).end();
  c.get(r).i32(1).op('i32.add').tee(r).i32(t.rows).op('i32.lt_u').brIf(0).end();
  return table.add(f);
}
