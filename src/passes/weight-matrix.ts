// SPDX-License-Identifier: MIT
/**
 * A term's int8 weights W, k rows × n columns (Term.matrix, gemm-types.ts), in one of two forms:
 *   dense     row-major codes, k·n bytes (dense and conv kernels, packed or stacked taps);
 *   diagonal  W[i, i + offset] = values[i], zero elsewhere: k bytes (depthwise taps, pools, adds, copies,
 *             activations, concat slices …), where the dense form took k·n — 1,152² bytes per tap of
 *             EfficientNet-B0's 5×5 depthwise layers, most of the compiler's memory (docs/performance.md).
 * The passes read W through the functions here alone (column codes, R×C tiles, the tiles that can hold a
 * weight), so a diagonal term is never widened: its tiles off the diagonal are known to be zero unread.
 * Both forms give the same codes, tiles and counts for the same W (test/unit/passes/weight-matrix.test.ts).
 */
import { internal } from '../diagnostics/error.js';

export interface DenseMatrix {
  readonly form: 'dense';
  readonly k: number;
  readonly n: number;
  /** W[i, j] at i·n + j */
  readonly codes: Int8Array;
}

export interface DiagonalMatrix {
  readonly form: 'diagonal';
  readonly k: number;
  readonly n: number;
  /** W[i, i + offset] = values[i] where 0 ≤ i + offset < n (values[i] elsewhere is never read) */
  readonly offset: number;
  readonly values: Int8Array;
}

export type WeightMatrix = DenseMatrix | DiagonalMatrix;

/** A k × n matrix of row-major codes (k = codes.length / n). */
export function denseMatrix(codes: Int8Array, n: number): DenseMatrix {
  const k = n > 0 ? codes.length / n : 0;
  if (!Number.isInteger(k)) throw internal(`a dense weight matrix of ${codes.length} codes has no whole rows of ${n}`);
  return { form: 'dense', k, n, codes };
}

/** values.length × n, values[i] at column i + offset. */
export function diagonalMatrix(values: Int8Array, n = values.length, offset = 0): DiagonalMatrix {
  return { form: 'diagonal', k: values.length, n, offset, values };
}

/**
 * k rows of w, shared by every uniform diagonal of that height and weight (never written: values outside a
 * matrix's columns are never read). A vector of 40,000 read as a 200×200 map is 40,000 copies, one weight each:
 * a k-row array per copy took 1.6 GB.
 */
const uniformRows = new Map<string, Int8Array>();

/** k × n with weight w at (i, i + offset) for every row whose column is in [0, n). */
export function uniformDiagonal(k: number, w: number, n = k, offset = 0): DiagonalMatrix {
  const key = `${k}:${w}`;
  let values = uniformRows.get(key);
  if (values === undefined) {
    // a few heights and weights per program; dropped wholesale past a bound so a long-lived process stays small
    if (uniformRows.size >= 256) uniformRows.clear();
    values = new Int8Array(k).fill(w);
    uniformRows.set(key, values);
  }
  return diagonalMatrix(values, n, offset);
}

/** The rows [lo, hi) of a k-row diagonal (offset) whose column lies in [c0, c1) of its n; lo = hi when none does. */
function diagonalRows(k: number, n: number, offset: number, c0: number, c1: number): [number, number] {
  const lo = Math.max(0, c0 - offset);
  const hi = Math.min(k, Math.min(c1, n) - offset);
  return hi > lo ? [lo, hi] : [0, 0];
}

/** The codes of column col, top to bottom (a diagonal's one weight, if any: its zeros change no sum or range). */
export function* columnCodes(m: WeightMatrix, col: number): Generator<number> {
  if (m.form === 'dense') {
    for (let at = col; at < m.codes.length; at += m.n) yield m.codes[at]!;
    return;
  }
  const row = col - m.offset;
  if (row >= 0 && row < m.k && col < m.n) yield m.values[row]!;
}

/** Each column's sum of codes over every matrix (exact integers), dense ones accumulated in memory order. */
export function columnSums(matrices: readonly WeightMatrix[], n: number): Float64Array {
  const sums = new Float64Array(n);
  for (const m of matrices) {
    if (m.form === 'dense') {
      const codes = m.codes;
      for (let row = 0; row < codes.length; row += n) for (let col = 0; col < n; col++) sums[col]! += codes[row + col]!;
    } else {
      const [lo, hi] = diagonalRows(m.k, m.n, m.offset, 0, n);
      for (let i = lo; i < hi; i++) sums[i + m.offset]! += m.values[i]!;
    }
  }
  return sums;
}

/**
 * The channel tiles [lo, hi) of column tile nt (R rows, C columns a tile) that may hold a weight: every
 * one of a dense matrix, those the diagonal crosses of a diagonal one (none: lo = hi).
 */
export function channelTileRange(m: WeightMatrix, nt: number, R: number, C: number): [number, number] {
  if (m.form === 'dense') return [0, Math.ceil(m.k / R)];
  const [lo, hi] = diagonalRows(m.k, m.n, m.offset, nt * C, nt * C + C);
  return hi > lo ? [Math.floor(lo / R), Math.floor((hi - 1) / R) + 1] : [0, 0];
}

/**
 * Tile (ct, nt) of W as R×C bytes, row by row, written at `at` of `out` (zeros there); whether any is
 * non-zero. Rows past k and columns past n stay zero.
 */
export function cutTile(m: WeightMatrix, ct: number, nt: number, R: number, C: number, out: Int8Array, at: number): boolean {
  const rows = Math.min(R, m.k - ct * R);
  const col0 = nt * C;
  const cols = Math.min(C, m.n - col0);
  let any = false;
  if (m.form === 'diagonal') {
    const [lo, hi] = diagonalRows(m.k, m.n, m.offset, col0, col0 + cols);
    for (let i = Math.max(lo, ct * R), end = Math.min(hi, ct * R + rows); i < end; i++) {
      const v = m.values[i]!;
      out[at + (i - ct * R) * C + i + m.offset - col0] = v;
      any ||= v !== 0;
    }
    return any;
  }
  const codes = m.codes;
  for (let r = 0; r < rows; r++) {
    const from = (ct * R + r) * m.n + col0;
    const to = at + r * C;
    // a short row is copied in place (a subarray per row of an 8x8 tile cost more than the copy)
    if (cols >= 64) out.set(codes.subarray(from, from + cols), to);
    else for (let c = 0; c < cols; c++) out[to + c] = codes[from + c]!;
    for (let c = to, end = c + cols; !any && c < end; c++) any = out[c] !== 0;
  }
  return any;
}

/** Whether tile (ct, nt) holds a non-zero weight, read in place. */
function tileHasWeight(m: WeightMatrix, ct: number, nt: number, R: number, C: number): boolean {
  const [r0, c0] = [ct * R, nt * C];
  if (m.form === 'diagonal') {
    const [lo, hi] = diagonalRows(m.k, m.n, m.offset, c0, c0 + C);
    for (let i = Math.max(lo, r0), end = Math.min(hi, r0 + R); i < end; i++) if (m.values[i] !== 0) return true;
    return false;
  }
  for (let r = r0; r < Math.min(m.k, r0 + R); r++) for (let c = r * m.n + c0, end = r * m.n + Math.min(m.n, c0 + C); c < end; c++) if (m.codes[c] !== 0) return true;
  return false;
}

/** The R×C tiles of W holding a non-zero weight: the matmuls one output tile issues for it. */
export function nonZeroTiles(m: WeightMatrix, R: number, C: number): number {
  let count = 0;
  for (let nt = 0; nt * C < m.n; nt++) {
    const [lo, hi] = channelTileRange(m, nt, R, C);
    for (let ct = lo; ct < hi; ct++) if (tileHasWeight(m, ct, nt, R, C)) count++;
  }
  return count;
}

/**
 * W's first `rows` rows (at most k), row-major at `at` of `out` (zeros there): where passes merge terms
 * into one dense term (tap packing, stacked adds, input windows), whose rows are fewer than the array's R.
 */
export function writeRows(m: WeightMatrix, out: Int8Array, at: number, rows = m.k): void {
  if (m.form === 'dense') return out.set(m.codes.subarray(0, Math.min(rows, m.k) * m.n), at);
  const [lo, hi] = diagonalRows(m.k, m.n, m.offset, 0, m.n);
  for (let i = lo; i < Math.min(hi, rows); i++) out[at + i * m.n + i + m.offset] = m.values[i]!;
}

/** Most entries densify widens a matrix to (16 M: a 4,096 × 4,096 layer). */
export const MAX_DENSE_ENTRIES = 1 << 24;

/** W as row-major codes, for reads outside the passes (a debug dump, a test); refuses beyond `limit` entries. */
export function densify(m: WeightMatrix, limit = MAX_DENSE_ENTRIES): Int8Array {
  if (m.k * m.n > limit) throw internal(`a ${m.k} × ${m.n} weight matrix is over ${limit} entries to widen`);
  if (m.form === 'dense') return m.codes;
  const out = new Int8Array(m.k * m.n);
  writeRows(m, out, 0);
  return out;
}
