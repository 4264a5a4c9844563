// SPDX-License-Identifier: MIT
/** The kernel calls a Program becomes (ops.ts makes them, pack.ts reorders their weights, emit.ts calls the kernels). */
/** Weight layouts the SIMD GEMM kernels read (pack.ts stores them). */
export type Packing = 'quad' | 'pairs';

/** rows × `bytes` from src (rows `srcStride` apart) to dst (rows `dstStride` apart). */
export interface CopyOp {
  readonly kind: 'copy';
  readonly dst: number;
  readonly src: number;
  readonly bytes: number;
  readonly rows: number;
  readonly dstStride: number;
  readonly srcStride: number;
  /** Set for loads into the weight buffer (candidates for removal). */
  readonly wgtLoad: boolean;
}

/**
 * acc[m][c] (+)= Σ_{k<K} A[a + off(m) + k] · W[w + k·C + c], int32 wrap-around, where off(m) is the
 * matmul's two-level row address (matmulActRow) in bytes. W rows are C bytes apart.
 */
export interface GemmOp {
  readonly kind: 'gemm';
  readonly acc: number;
  readonly a: number;
  readonly aStride: number;
  readonly aOuter: number;
  readonly inner: number;
  readonly w: number;
  readonly rows: number;
  readonly k: number;
  readonly accumulate: boolean;
  /** W is read from DRAM (where the weight load took it from) instead of the weight buffer. */
  readonly fromDram: boolean;
  /** W's first rows are stored in a packed layout (see pack.ts), or false. */
  readonly packed: Packing | false;
  /**
   * The act rows are read sign-extended from the widened-act area (wide-acts.ts): 'fill' widens
   * them there first, 'reuse' finds them there from an earlier GEMM with the same act rows.
   */
  readonly wide?: 'fill' | 'reuse';
  /**
   * Several GEMMs into the same acc rows, one per tap (ops.ts fuseTaps): acc (+)= Σ_t A_t·W_t, A_t
   * the rows above at `a` of the tap, W_t the k rows at its `w` (plain layout). The first tap is
   * (a, w). A convolution's window taps and a dense layer's K tiles over a flattened map: act
   * rows that do not continue each other, so fuseChains cannot make them one K.
   */
  readonly taps?: readonly Tap[];
  /**
   * With accumulate: every acc row starts from the row of C int32 at `bias` instead of its own
   * contents (a broadcast copy of that row into the acc rows, folded in: ops.ts foldBiasRows). The
   * kernel reads it for every row block: it is never one of the GEMM's own acc rows.
   */
  readonly bias?: number;
}

/** One tap of a GemmOp: where its act rows and its weight rows start. */
export interface Tap {
  readonly a: number;
  readonly w: number;
}

/**
 * out[m][c] = clamp(requantize(acc[m][c], mult[c], shift[c]) + zp, lo, hi). With `pool`, the value
 * is that of scratch row m: the maximum of out row m's window (kh × kw acc rows, lines lineBytes
 * apart, windows sh lines and sw rows apart from padTop lines above and padLeft rows left of acc,
 * pw windows per line; accBytes: the acc bytes the windows span).
 */
export interface ThresholdOp {
  readonly kind: 'threshold';
  readonly acc: number;
  readonly out: number;
  readonly qnt: number;
  readonly rows: number;
  readonly zp: number;
  readonly lo: number;
  readonly hi: number;
  readonly pool?: { readonly scratch: number; readonly lineBytes: number; readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number; readonly padTop: number; readonly padLeft: number; readonly pw: number; readonly accBytes: number };
}

/** The threshold's table mode: out[m][c] = code of the last of `steps` (threshold, code) pairs at `table` with threshold ≤ acc[m][c]. */
export interface ThresholdTableOp {
  readonly kind: 'table';
  readonly acc: number;
  readonly out: number;
  readonly table: number;
  readonly rows: number;
  readonly steps: number;
}

/**
 * A shifted matmul's second step (its GEMM wrote its sums to `src`, the acc scratch rows):
 * dst[i] = (accumulate ? dst[i] : 0) + src[i]·2^shift for `count` int32, wrapped.
 */
export interface ShiftAddOp {
  readonly kind: 'shiftAdd';
  readonly dst: number;
  readonly src: number;
  readonly count: number;
  readonly shift: number;
  readonly accumulate: boolean;
}

export type KernelOp = CopyOp | GemmOp | ThresholdOp | ThresholdTableOp | ShiftAddOp;

