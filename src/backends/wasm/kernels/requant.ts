// SPDX-License-Identifier: MIT
/**
 * The SIMD threshold kernel for lo ≤ hi (every program the compiler emits): four columns per
 * step, rows inner, in f64x2 like the general kernel in simd.ts, which it matches bit for
 * bit but with cheaper steps (five f64x2 operations per two values, no floor):
 *   z = x·(mult·2^−shift) is exact (|x·mult| < 2^47, scaled by a power of two, no underflow for
 *       shift ≤ 255): a multiple of 2^−s (s = shift). numerics.ts's floor(z + 0.5) is then the
 *       integer nearest to z + ε, ε = 2^−(s+2): z + 0.5 ≤ k + 1 − 2^−s when its floor is k (for
 *       s = 0, z is an integer), so z + ε lies in (k − 0.5, k + 0.5); never a tie (z + ε is an
 *       odd multiple of 2^−(s+2)); z + ε exact (49 significant bits at most)
 *   (z + ε) + (zp + 1.5·2^52): one rounding to nearest, in [2^52, 2^53) where doubles are the
 *       integers (|z + ε + zp| < 2^51), gives y + zp + 1.5·2^52 exactly; its low word is y + zp
 *   clamp to [lo, hi] there: pmax/pmin with lo + 1.5·2^52 and hi + 1.5·2^52 (exact; no NaN here)
 * so no floor and no saturating float-to-int conversion (several instructions in V8) is needed.
 */
import { Func, type Code } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/** 1.5 · 2^52: adding it to an integer-valued double of magnitude < 2^51 puts the integer in the low mantissa bits. */
const MAGIC = 6755399441055744;
/** i32 lanes 0, 2 of the first vector and 0, 2 of the second (the low words of four doubles). */
const LOW_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** Byte 0 of each i32 lane. */
const LOW_BYTES = [0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12];

/** The scalar-loop kernel's locals, without its row counter. */
/** The threshold kernels' locals (the general one in simd.ts and the ordered one here). */
export interface ThresholdLocals {
  readonly acc: number;
  readonly out: number;
  readonly qnt: number;
  readonly rows: number;
  readonly pa: number;
  readonly po: number;
  readonly n: number;
  readonly left: number;
  readonly v: Readonly<Record<string, number>>;
}

type L = Omit<ThresholdLocals, 'left'>;

/** threshold(acc, out, qnt, rows, zp, lo, hi) for lo ≤ hi. */
export function thresholdOrderedKernel(table: FuncTable, C: number): number {
  const f = new Func('threshold_ordered', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, out, qnt, rows, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const v: Record<string, number> = {};
  for (const name of ['lo', 'hi', 'zm', 'm0', 'm1', 'e0', 'e1', 'x', 'y0', 'y1']) v[name] = f.local('v128');
  const L: L = { acc, out, qnt, rows, pa: f.local('i32'), po: f.local('i32'), n: f.local('i32'), v };
  const c = f.code;
  for (const [name, p] of [['lo', lo], ['hi', hi], ['zm', zp]] as const) c.get(p).op('f64.convert_i32_s').f64(MAGIC).op('f64.add').v('f64x2.splat').set(v[name]!);
  const groups = Math.floor(C / 4);
  if (groups > 0) {
    const left = f.local('i32');
    c.i32(groups).set(left).loop();
    group(c, C, 4, L);
    c.get(acc).i32(16).op('i32.add').set(acc).get(out).i32(4).op('i32.add').set(out).get(qnt).i32(16).op('i32.add').set(qnt);
    c.get(left).i32(1).op('i32.sub').tee(left).brIf(0).end();
  }
  if (C % 4 > 0) group(c, C, C % 4, L);
  return table.add(f);
}

/** f64x2 of column a's and column b's value of `lane(col)`. */
function pair(c: Code, lane: (col: number) => void, a: number, b: number): void {
  lane(a);
  c.v('f64x2.splat');
  lane(b);
  c.lane('f64x2.replace_lane', 1);
}

/** The f64x2 registers of requantChain: lo, hi and zp, each + MAGIC (splats). */
interface ChainLocals {
  readonly lo: number;
  readonly hi: number;
  readonly zm: number;
}

/**
 * With two acc values x as f64x2 on the stack: ((x·m + ε) + zp + MAGIC) clamped to [lo, hi] +
 * MAGIC (the header's derivation); `m()` and `e()` push the two columns' mult·2^−shift and
 * 2^−(shift+2). The int8 results are the low bytes.
 */
function requantChain(c: Code, V: ChainLocals, m: () => void, e: () => void): void {
  m();
  c.v('f64x2.mul');
  e();
  c.v('f64x2.add').get(V.zm).v('f64x2.add').get(V.lo).v('f64x2.pmax').get(V.hi).v('f64x2.pmin');
}

/** mult · 2^−shift of the qnt lane at `qnt()` + off (the shift's power of two from its exponent bits), as f64. */
function scaledMultiplier(c: Code, qnt: () => void, off: number): void {
  qnt();
  c.mem('i32.load16_u', off).op('f64.convert_i32_u');
  powerOfTwo(c, qnt, off, 0);
  c.op('f64.mul');
}

/** 2^−(shift + extra) of the qnt lane at `qnt()` + off, as f64 (its exponent bits; shift ≤ 255). */
function powerOfTwo(c: Code, qnt: () => void, off: number, extra: number): void {
  c.i32(1023 - extra);
  qnt();
  c.mem('i32.load8_u', off + 2).op('i32.sub', 'i64.extend_i32_u').i64(52).op('i64.shl', 'f64.reinterpret_i64');
}

/** `cols` (1-4) columns at acc/out/qnt, every row; lanes past `cols` repeat the last column's parameters and are not stored. */
function group(c: Code, C: number, cols: number, L: L): void {
  const v = (name: string): number => L.v[name]!;
  const col = (i: number): number => Math.min(i, cols - 1);
  const scaled = (i: number): void => scaledMultiplier(c, () => void c.get(L.qnt), 4 * col(i));
  const eps = (i: number): void => powerOfTwo(c, () => void c.get(L.qnt), 4 * col(i), 2);
  for (const [name, lane] of [['m', scaled], ['e', eps]] as const) {
    pair(c, lane, 0, 1);
    c.set(v(`${name}0`));
    pair(c, lane, 2, 3);
    c.set(v(`${name}1`));
  }
  const chain = { lo: v('lo'), hi: v('hi'), zm: v('zm') };
  c.get(L.acc).set(L.pa).get(L.out).set(L.po).get(L.rows).set(L.n).loop();
  for (const h of ['0', '1'] as const) {
    c.get(L.pa).vmem('v128.load64_zero', h === '0' ? 0 : 8);
    c.v('f64x2.convert_low_i32x4_s');
    requantChain(c, chain, () => void c.get(v(`m${h}`)), () => void c.get(v(`e${h}`)));
    c.set(v(`y${h}`));
  }
  c.get(L.po).get(v('y0')).get(v('y1')).shuffle(LOW_WORDS).tee(v('x')).get(v('x')).shuffle(LOW_BYTES);
  if (cols === 4) c.vmem('v128.store32_lane', 0, 0);
  else if (cols === 2) c.vmem('v128.store16_lane', 0, 0);
  else if (cols === 1) c.vmem('v128.store8_lane', 0, 0);
  else c.tee(v('x')).vmem('v128.store16_lane', 0, 0).get(L.po).get(v('x')).vmem('v128.store8_lane', 2, 2);
  c.get(L.pa).i32(4 * C).op('i32.add').set(L.pa).get(L.po).i32(C).op('i32.add').set(L.po);
  c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end();
}
