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
 *
 * Eight columns whose M = mult·2^−shift are all ≤ ½ (every compiled layer whose rescale factor is
 * ≤ ½) take a shorter path, four f64x2 operations per two values and the clamp in int8 lanes:
 *   P = fl((x + δ)·M), δ = 2^−18: x + δ is exact (49 bits), and P = z + θ with θ = δ·M plus the
 *       product's rounding, |that| ≤ 2^−53·2^31·M = 2^−22·M, so 0 < θ ≤ (2^−18 + 2^−22)·mult·2^−s
 *       < 0.3·2^−s (mult < 2^16; M = 0 gives P = z = 0). Like z + ε above, z + θ lies strictly
 *       between z and z + 2^−s, never at a tie, so P + (zp + 1.5·2^52), one rounding, gives y + zp
 *   y + zp in the low word: |y| ≤ 2^31·M + 1 ≤ 2^30 + 1, so the low word is y + zp as int32
 *   the clamp: two saturating narrows (to int16, to int8), then i8x16.max_s lo and min_s hi, which
 *       is clamp(y + zp, lo, hi) because lo ≤ hi are int8 (the ISA's fields)
 * Per row and 8 columns: 4 loads, 4 × (convert, add, mul, add), 2 shuffles, 2 narrows, max, min, one
 * 8-byte store: 2.75 SIMD operations per value instead of 3.5. Other groups run the path above.
 * Sixteen such columns go in one step (4 shuffles and 3 narrows per 16 values, one 16-byte store),
 * and max/min are left out when [lo, hi] = [−128, 127] (the saturating narrows are the clamp).
 *
 * No δ when no tie can be unsaturated: P = fl(x·M) is z itself (x·mult < 2^47 exact, M exact),
 * and P + (zp + 1.5·2^52) rounds to the integer nearest z, which is floor(z + 0.5) except at a tie
 * z = k + ½ (where it rounds to even). A tie is x·mult = (2k + 1)·2^(shift−1); with mult = 2^v·m,
 * m odd, that makes m divide the odd 2k + 1, so |z| = |2k + 1|/2 ≥ m/2. When m > 512 (odd: ≥ 513)
 * both candidates y have |y| ≥ 256 and the same sign, so y + zp (|zp| ≤ 128) is ≥ 128 or ≤ −128
 * either way and the clamp to [lo, hi] ⊆ [−128, 127] gives the same byte. Groups whose every mult
 * has an odd part above 512 (the compiler's mults, 2^14 ≤ mult < 2^15, unless 2^6 divides one) run
 * three f64x2 operations per two values: the conversion and the adds share two pipes on x64 (AMD
 * Zen 5), so this is 8 instead of 12 of their slots per 16 values.
 */
import { Func, type Code } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/** 1.5 · 2^52: adding it to an integer-valued double of magnitude < 2^51 puts the integer in the low mantissa bits. */
const MAGIC = 6755399441055744;
/** δ of the ½-or-less path (header): x + δ exact for int32 x, δ·M plus rounding below 0.3·2^−shift for a u16 mult. */
const DELTA = 2 ** -18;
/** Odd parts of mult above this make every tie of the ½-or-less path saturate (header): no δ. */
const TIE_FREE_ODD = 512;
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
  for (const name of ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'delta', 'half', 'lo8', 'hi8']) v[name] = f.local('v128');
  const L: L = { acc, out, qnt, rows, pa: f.local('i32'), po: f.local('i32'), n: f.local('i32'), v };
  const full = f.local('i32');
  const c = f.code;
  for (const [name, p] of [['lo', lo], ['hi', hi], ['zm', zp]] as const) c.get(p).op('f64.convert_i32_s').f64(MAGIC).op('f64.add').v('f64x2.splat').set(v[name]!);
  c.get(lo).v('i8x16.splat').set(v['lo8']!).get(hi).v('i8x16.splat').set(v['hi8']!);
  c.f64(DELTA).v('f64x2.splat').set(v['delta']!).f64(0.5).v('f64x2.splat').set(v['half']!);
  // [lo, hi] = [−128, 127]: the saturating narrows are the whole clamp
  c.get(lo).i32(-128).op('i32.eq').get(hi).i32(127).op('i32.eq', 'i32.and').set(full);
  const advance = (cols: number): void => void c.get(acc).i32(4 * cols).op('i32.add').set(acc).get(out).i32(cols).op('i32.add').set(out).get(qnt).i32(4 * cols).op('i32.add').set(qnt);
  /** Pushes 1 when any of the `cols` columns' M (into n0.., in pairs) is above ½. */
  const anyAboveHalf = (cols: number): void => {
    const scaled = (i: number): void => scaledMultiplier(c, () => void c.get(qnt), 4 * i);
    for (let h = 0; h < cols / 2; h++) (pair(c, scaled, 2 * h, 2 * h + 1), c.tee(v[`n${h}`]!).get(v['half']!).v('f64x2.gt'), h > 0 && c.v('v128.or'));
    c.v('v128.any_true');
  };
  const t = f.local('i32');
  /** Pushes 1 when every one of the `cols` columns' mult has an odd part above TIE_FREE_ODD (header). */
  const tieFree = (cols: number): void => {
    for (let i = 0; i < cols; i++) (c.get(qnt).mem('i32.load16_u', 4 * i).tee(t).get(t).op('i32.ctz', 'i32.shr_u').i32(TIE_FREE_ODD).op('i32.gt_u'), i > 0 && c.op('i32.and'));
  };
  /** The ½-or-less path on `cols` columns: without δ when no tie can be unsaturated, without the int8 clamp when it is the full range. */
  const narrow = (cols: 8 | 16): void => {
    tieFree(cols);
    c.if();
    for (const delta of [false, true]) {
      if (delta) c.else();
      c.get(full).if();
      narrowGroup(c, C, cols, { clamp: false, delta }, L);
      c.else();
      narrowGroup(c, C, cols, { clamp: true, delta }, L);
      c.end();
    }
    c.end();
    advance(cols);
  };
  /** The next 8 columns: the ½-or-less path when every M is ≤ ½, else the general one. */
  const eight = (): void => {
    anyAboveHalf(8);
    c.if();
    group(c, C, 4, L);
    advance(4);
    group(c, C, 4, L);
    advance(4);
    c.else();
    narrow(8);
    c.end();
  };
  const groups16 = Math.floor(C / 16);
  if (groups16 > 0) {
    // 16 columns per row step when all 16 are ≤ ½: one 16-byte store, three narrows per 16 values
    const left = f.local('i32');
    c.i32(groups16).set(left).loop();
    anyAboveHalf(16);
    c.if();
    eight();
    eight();
    c.else();
    narrow(16);
    c.end();
    c.get(left).i32(1).op('i32.sub').tee(left).brIf(0).end();
  }
  if (C % 16 >= 8) eight();
  if (C % 8 >= 4) (group(c, C, 4, L), advance(4));
  if (C % 4 > 0) group(c, C, C % 4, L);
  return table.add(f);
}

/**
 * The ½-or-less path (header): `cols` (8 or 16) columns at acc/out, every row; n0.. hold their M
 * in pairs. `clamp`: max lo, min hi after the narrows (not needed when [lo, hi] = [−128, 127]).
 */
function narrowGroup(c: Code, C: number, cols: 8 | 16, how: { readonly clamp: boolean; readonly delta: boolean }, L: L): void {
  const v = (name: string): number => L.v[name]!;
  c.get(L.acc).set(L.pa).get(L.out).set(L.po).get(L.rows).set(L.n).loop();
  c.get(L.po);
  for (let h = 0; h < cols / 2; h++) {
    c.get(L.pa).vmem('v128.load64_zero', 8 * h).v('f64x2.convert_low_i32x4_s');
    if (how.delta) c.get(v('delta')).v('f64x2.add');
    c.get(v(`n${h}`)).v('f64x2.mul').get(v('zm')).v('f64x2.add');
    if (h % 2 === 1) c.shuffle(LOW_WORDS);
    if (h % 4 === 3) c.v('i16x8.narrow_i32x4_s');
  }
  if (cols === 8) c.tee(v('x')).get(v('x'));
  c.v('i8x16.narrow_i16x8_s');
  if (how.clamp) c.get(v('lo8')).v('i8x16.max_s').get(v('hi8')).v('i8x16.min_s');
  if (cols === 8) c.vmem('v128.store64_lane', 0, 0);
  else c.vmem('v128.store');
  c.get(L.pa).i32(4 * C).op('i32.add').set(L.pa).get(L.po).i32(C).op('i32.add').set(L.po);
  c.get(L.n).i32(1).op('i32.sub').tee(L.n).brIf(0).end();
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
