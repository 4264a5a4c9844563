// SPDX-License-Identifier: MIT
/**
 * The requantizing epilogue of the `pairs` GEMM (plan/ops.ts fuseRequant): when a threshold reads
 * exactly the acc rows a GEMM has just written and nothing reads those rows again, the GEMM's
 * block kernels requantize their accumulator registers and store int8 to the threshold's output
 * rows, instead of storing int32 rows that threshold_ordered (requant.ts) reads back. Same
 * arithmetic, operation for operation: requant.ts's `requantChain` on f64x2 pairs of columns.
 *
 * Per call, requant_prep(qnt, params, zp, lo, hi) writes the parameters the blocks read at
 * `params`: lo, hi and zp + 1.5·2^52 as f64x2, then per column mult·2^−shift, then per column
 * 2^−(shift+2) (f64 each).
 */
import { Func, type Code } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';
import { MAGIC, powerOfTwo, requantChain, scaledMultiplier, type ChainLocals } from './requant.js';

/** Byte offset of column 0's multiplier in the parameter area. */
const MULTS = 48;
/** Bytes of C columns' f64 values, padded to a multiple of 4 columns (f64x2 loads of a last partial vector). */
const perColumn = (C: number): number => 32 * Math.ceil(C / 4);

/** The parameter area's bytes for C columns. */
export const epilogueBytes = (C: number): number => MULTS + 2 * perColumn(C);

/** requant_prep(qnt, params, zp, lo, hi): the parameter area of one fused GEMM (lo ≤ hi). */
export function requantPrepKernel(table: FuncTable, C: number): number {
  const f = new Func('requant_prep', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [qnt, at, zp, lo, hi] = [0, 1, 2, 3, 4];
  const n = f.local('i32');
  const c = f.code;
  [lo, hi, zp].forEach((p, i) => c.get(at).get(p).op('f64.convert_i32_s').f64(MAGIC).op('f64.add').v('f64x2.splat').vmem('v128.store', 16 * i));
  c.i32(C).set(n).loop();
  c.get(at);
  scaledMultiplier(c, () => void c.get(qnt), 0);
  c.mem('f64.store', MULTS);
  c.get(at);
  powerOfTwo(c, () => void c.get(qnt), 0, 2);
  c.mem('f64.store', MULTS + perColumn(C));
  c.get(qnt).i32(4).op('i32.add').set(qnt).get(at).i32(8).op('i32.add').set(at);
  c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end();
  return table.add(f);
}

/** A block kernel's epilogue state: its `out` and `params` parameters and its locals. */
export interface EpilogueLocals {
  /** Byte offset of column 0's 2^−(shift+2) in the parameter area. */
  readonly eps: number;
  readonly out: number;
  readonly params: number;
  /** params + 8·col: the strip's first multiplier. */
  readonly pm: number;
  readonly chain: ChainLocals;
  readonly y: readonly number[];
  readonly x: readonly number[];
}

export function epilogueLocals(f: Func, C: number, out: number, params: number): EpilogueLocals {
  const v = (): number => f.local('v128');
  return { eps: MULTS + perColumn(C), out, params, pm: f.local('i32'), chain: { lo: v(), hi: v(), zm: v() }, y: [v(), v()], x: [v(), v()] };
}

/** Before a strip's rows are requantized: the constants into registers, pm at the strip's column `col` (a local). */
export function epilogueStart(c: Code, E: EpilogueLocals, col: number): void {
  const { lo, hi, zm } = E.chain;
  [lo, hi, zm].forEach((l, i) => c.get(E.params).vmem('v128.load', 16 * i).set(l));
  c.get(E.params).get(col).i32(3).op('i32.shl', 'i32.add').set(E.pm);
}

/** int32 lanes 2, 3 of a vector moved to lanes 0, 1 (for f64x2.convert_low_i32x4_s). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** The low words of two f64x2 (the int8 results, +1.5·2^52 trick), as four i32 lanes. */
const LOW_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** Byte 0 of each i32 lane of two vectors: eight bytes. */
const LOW_BYTES = [0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28];

/**
 * Requantize the int32 vectors `vs` (4 columns each; `cols` columns in all, ≤ 8, starting `first`
 * columns after the strip's) and store their `cols` int8 results at `at()` + off.
 */
export function requantStore(c: Code, E: EpilogueLocals, vs: readonly number[], first: number, cols: number, at: () => Code, off: number): void {
  vs.forEach((v, j) => {
    for (const h of [0, 1] as const) {
      c.get(v);
      if (h === 1) c.get(v).shuffle(HIGH_HALF);
      c.v('f64x2.convert_low_i32x4_s');
      const b = 8 * (first + 4 * j + 2 * h);
      requantChain(c, E.chain, () => void c.get(E.pm).vmem('v128.load', MULTS + b), () => void c.get(E.pm).vmem('v128.load', E.eps + b));
      c.set(E.y[h]!);
    }
    c.get(E.y[0]!).get(E.y[1]!).shuffle(LOW_WORDS).set(E.x[j]!);
  });
  const x = E.y[0]!;
  c.get(E.x[0]!).get(E.x[vs.length > 1 ? 1 : 0]!).shuffle(LOW_BYTES).set(x);
  // 8, 4, or lanes of the packed bytes widest first (1-3 and 5-7 columns)
  let done = 0;
  for (const [bytes, op, shift] of [[8, 'v128.store64_lane', 3], [4, 'v128.store32_lane', 2], [2, 'v128.store16_lane', 1], [1, 'v128.store8_lane', 0]] as const)
    if ((cols - done) & bytes) {
      at();
      c.get(x).vmem(op, off + done, done >> shift);
      done += bytes;
    }
}
