// SPDX-License-Identifier: MIT
/**
 * Fast mode's matmul values: Σ act·wgt over the weight tile's live (not all-zero) rows and columns,
 * register-blocked (two act rows × four columns per pass) over doubles. The MACs it skips add 0.
 */
import { matmulActRow, type InstructionOf } from '../src/isa/spec.js';

/** Per-machine scratch: live row/column indices, the live weights as column panels, two act rows. */
export interface MatmulScratch {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  /** Panel b holds columns 4b..4b+3 (zeros past the last live one): panel[(b·liveRows + j)·4 + q]. */
  readonly panel: Float64Array;
  /** The live lanes of two act rows, interleaved: acts[2j] (row m), acts[2j + 1] (row m + 1). */
  readonly acts: Float64Array;
  readonly block: Float64Array;
  /** The wgt entry the panels were built from, or -1; the machine calls forgetWeights when wgt is written. */
  tile: number;
  liveRows: number;
  liveCols: number;
}

/** A convolution reuses one weight tile for several row chunks: the panels stay until wgt is written. */
export function forgetWeights(k: MatmulScratch): void {
  k.tile = -1;
}

export const matmulScratch = (R: number, C: number): MatmulScratch => ({
  rows: new Int32Array(R),
  cols: new Int32Array(C),
  panel: new Float64Array(R * 4 * Math.ceil(C / 4)),
  acts: new Float64Array(2 * R),
  block: new Float64Array(8),
  tile: -1,
  liveRows: 0,
  liveCols: 0,
});

/** Gather the tile's live rows and columns and lay their weights out as panels (k.liveRows, k.liveCols). */
function livePanels(wgt: Int8Array, tile: number, R: number, C: number, k: MatmulScratch): void {
  if (k.tile === tile) return;
  const { rows, cols, panel } = k;
  const w0 = tile * C;
  let nCols = 0;
  for (let c = 0; c < C; c++) {
    let any = false;
    for (let r = 0, w = w0 + c; r < R && !any; r++, w += C) any = wgt[w] !== 0;
    if (any) cols[nCols++] = c;
  }
  let nRows = 0;
  for (let r = 0; r < R; r++) {
    let any = false;
    for (let c = 0, w = w0 + r * C; c < C && !any; c++, w++) any = wgt[w] !== 0;
    if (any) rows[nRows++] = r;
  }
  for (let b = 0; 4 * b < nCols; b++)
    for (let j = 0; j < nRows; j++)
      for (let q = 0, c = 4 * b; q < 4; q++, c++) panel[(b * nRows + j) * 4 + q] = c < nCols ? wgt[w0 + rows[j]! * C + cols[c]!]! : 0;
  k.tile = tile;
  k.liveRows = nRows;
  k.liveCols = nCols;
}

/**
 * Add Σ_r act[row m][r]·wgt[r][c] onto sums[m·C + c] (the acc rows, or zeros) for every row m of
 * the matmul. Each sum of at most 256 int8·int8 products is below 2^22, so the doubles are exact
 * and the Int32Array store wraps once, which equals wrapping after every MAC (int32 addition is
 * modulo 2^32, docs/numerics.md).
 */
export function matmulSums(act: Int8Array, wgt: Int8Array, insn: InstructionOf<'matmul'>, R: number, C: number, sums: Int32Array, k: MatmulScratch): void {
  livePanels(wgt, insn.wgt, R, C, k);
  const { liveRows: nRows, liveCols: nCols } = k;
  if (nRows === 0 || nCols === 0) return;
  const { rows, cols, panel, acts, block } = k;
  const M = insn.rows;
  const address = { act: insn.act, actStride: insn.actStride, actOuter: insn.actOuter, inner: insn.inner }; // one shape, unlike instructions
  for (let m = 0; m < M; m += 2) {
    const a0 = matmulActRow(address, m) * R;
    const a1 = m + 1 < M ? matmulActRow(address, m + 1) * R : a0;
    for (let j = 0; j < nRows; j++) {
      acts[2 * j] = act[a0 + rows[j]!]!;
      acts[2 * j + 1] = act[a1 + rows[j]!]!;
    }
    for (let b = 0; 4 * b < nCols; b++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0; // prettier-ignore
      for (let j = 0, w = 4 * b * nRows, x = 0; j < nRows; j++, w += 4, x += 2) {
        const u = acts[x]!;
        const v = acts[x + 1]!;
        const w0 = panel[w]!;
        const w1 = panel[w + 1]!;
        const w2 = panel[w + 2]!;
        const w3 = panel[w + 3]!;
        s0 += u * w0;
        s1 += u * w1;
        s2 += u * w2;
        s3 += u * w3;
        t0 += v * w0;
        t1 += v * w1;
        t2 += v * w2;
        t3 += v * w3;
      }
      const o0 = m * C;
      const o1 = o0 + C;
      if (4 * b + 4 <= nCols) {
        // a full panel (the common case): eight read-modify-writes, no staging
        const c0 = cols[4 * b]!;
        const c1 = cols[4 * b + 1]!;
        const c2 = cols[4 * b + 2]!;
        const c3 = cols[4 * b + 3]!;
        sums[o0 + c0]! += s0;
        sums[o0 + c1]! += s1;
        sums[o0 + c2]! += s2;
        sums[o0 + c3]! += s3;
        if (m + 1 < M) {
          sums[o1 + c0]! += t0;
          sums[o1 + c1]! += t1;
          sums[o1 + c2]! += t2;
          sums[o1 + c3]! += t3;
        }
        continue;
      }
      block[0] = s0;
      block[1] = s1;
      block[2] = s2;
      block[3] = s3;
      block[4] = t0;
      block[5] = t1;
      block[6] = t2;
      block[7] = t3;
      const live = nCols - 4 * b;
      for (let q = 0; q < live; q++) sums[o0 + cols[4 * b + q]!]! += block[q]!;
      if (m + 1 < M) for (let q = 0; q < live; q++) sums[o1 + cols[4 * b + q]!]! += block[4 + q]!;
    }
  }
}

/**
 * An int8 GEMM over the memory the fast machine's arena lives in: the WebAssembly SIMD kernel of
 * the runtime (src/backends/wasm/gemm-module.ts), which sim/ may not import, so the caller passes
 * a factory (SimOptions.gemm). gemm(width, out, a, aStride, aOuter, inner, w, rows, k) sets int32
 * out[m·C + c] = Σ_{j<k} act_m[j]·w[j·width + c] (wrapping) for m < rows, c < width, where C is
 * the array's column count and act_m starts at a + ⌊m/inner⌋·aOuter + (m mod inner)·aStride; all
 * addresses are bytes of `memory`.
 */
export interface Int8Gemm {
  /** Zeroed; bytes [0, callerBytes) are the caller's. */
  readonly memory: ArrayBuffer;
  /** Byte offset of R·C free bytes for a weight panel. */
  readonly panel: number;
  /** Column widths with a kernel, ascending; the last is C. */
  readonly widths: readonly number[];
  gemm(width: number, out: number, a: number, aStride: number, aOuter: number, inner: number, w: number, rows: number, k: number): void;
  /** For each of `rows` rows, `stride` bytes apart in both: int32 acc[j] += sums[j] (wrapping) for j < lanes. */
  accAdd(acc: number, sums: number, rows: number, lanes: number, stride: number): void;
  /**
   * The threshold op in requantize mode without pooling (isa/ops/threshold.ts, steps = 0): `rows`
   * acc rows (C int32 lanes each) → int8 out rows (C bytes), with qnt one entry of C lanes of
   * {mult u16 LE, shift u8, reserved u8} (DRAM byte order).
   */
  threshold(acc: number, out: number, qnt: number, rows: number, zp: number, lo: number, hi: number): void;
}

/** A fresh Int8Gemm whose memory has callerBytes for the caller, for an R×C array. */
export type Int8GemmFactory = (callerBytes: number, R: number, C: number) => Int8Gemm;

/** The tile's window in the panel: rows [r0, r0 + k), columns [c0, c0 + width) of the tile. */
interface PanelBox {
  tile: number;
  r0: number;
  k: number;
  c0: number;
  width: number;
}

/** Per-machine state of the GEMM path: which tile the panel holds (-1: none, as MatmulScratch.tile). */
export interface GemmScratch {
  readonly g: Int8Gemm;
  readonly mem8: Int8Array;
  readonly mem32: Int32Array;
  /** Per group of 4 columns, the OR of the tile's words (the live-column scan). */
  readonly columnWords: Int32Array;
  /** Per row of the tile, the OR of its words (the live-row scan). */
  readonly rowWords: Int32Array;
  readonly box: PanelBox;
  /**
   * Per tile (its first wgt entry) scanned since its entries were last written: its live box
   * [r0, r1, c0, c1]. Programs alternate between tiles (a K-split accumulates over several), and
   * a 256×256 tile's scan reads 64 KiB.
   */
  readonly liveBoxes: Map<number, readonly [number, number, number, number]>;
}

/**
 * wgt entries [from, to) were written (to = Infinity: all of them, a new run): the panel and the
 * live boxes of the tiles that overlap them are stale.
 */
export function forgetPanels(s: GemmScratch, R: number, from: number, to: number): void {
  if (s.box.tile + R > from && s.box.tile < to) s.box.tile = -1;
  if (to === Infinity) s.liveBoxes.clear();
  else for (const tile of s.liveBoxes.keys()) if (tile + R > from && tile < to) s.liveBoxes.delete(tile);
}

export const gemmScratch = (g: Int8Gemm, R: number, C: number): GemmScratch => ({ g, mem8: new Int8Array(g.memory), mem32: new Int32Array(g.memory), columnWords: new Int32Array(Math.ceil(C / 4)), rowWords: new Int32Array(R), box: { tile: -1, r0: 0, k: 0, c0: 0, width: 0 }, liveBoxes: new Map() });

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The tile's live box, [r0, r1) × [c0, c1) (r1 = 0 when every weight is 0): a byte at a time. */
function liveBoxBytes(mem8: Int8Array, w0: number, R: number, C: number): [number, number, number, number] {
  let r0 = R, r1 = 0, c0 = C, c1 = 0; // prettier-ignore
  for (let r = 0; r < R; r++)
    for (let c = 0, w = w0 + r * C; c < C; c++, w++)
      if (mem8[w] !== 0) {
        if (r < r0) r0 = r;
        r1 = r + 1;
        if (c < c0) c0 = c;
        if (c >= c1) c1 = c + 1;
      }
  return [r0, r1, c0, c1];
}

/**
 * The same four bytes (columns) at a time, for rows of whole int32 words on a little-endian host
 * (byte b of a word is column 4q + b). The hot scan only ORs words (into rowWords and
 * columnWords), with no branch: as one function with the row and column searches, it deoptimized
 * on nearly every call (each a tile of up to 64 KiB) at a branch it had not taken yet.
 */
function liveBoxWords(s: GemmScratch, w0: number, R: number, C: number): [number, number, number, number] {
  orWords(s.mem32, s.rowWords, s.columnWords, w0 >> 2, R, C >> 2);
  const [r0, r1] = nonzeroSpan(s.rowWords, R);
  const [c0, c1] = liveColumnsOfWords(s.columnWords, C);
  return [r0, r1, c0, c1];
}

/** rowWords[r] = the OR of row r's words, columnWords[q] = the OR of column word q over the rows. */
function orWords(mem32: Int32Array, rowWords: Int32Array, columnWords: Int32Array, at: number, R: number, words: number): void {
  columnWords.fill(0);
  for (let r = 0; r < R; r++, at += words) {
    let any = 0;
    for (let q = 0; q < words; q++) {
      const v = mem32[at + q]!;
      any |= v;
      columnWords[q]! |= v;
    }
    rowWords[r] = any;
  }
}

/** [first, last + 1) of the nonzero values among v[0, n) ([n, 0) when none). */
function nonzeroSpan(v: Int32Array, n: number): [number, number] {
  let first = 0;
  while (first < n && v[first] === 0) first++;
  let end = n;
  while (end > first && v[end - 1] === 0) end--;
  return first === n ? [n, 0] : [first, end];
}

/** [c0, c1) of the columns with a nonzero byte in the column words' OR. */
function liveColumnsOfWords(columnWords: Int32Array, C: number): [number, number] {
  let c0 = C, c1 = 0; // prettier-ignore
  for (let q = 0; q < columnWords.length; q++) {
    const v = columnWords[q]!;
    if (v === 0) continue;
    for (let b = 0; b < 4; b++)
      if (((v >>> (8 * b)) & 0xff) !== 0) {
        c0 = Math.min(c0, 4 * q + b);
        c1 = Math.max(c1, 4 * q + b + 1);
      }
  }
  return [c0, c1];
}

/**
 * Lay the tile's live window out as a panel: the rows from the first to the last one with a
 * nonzero weight, and the narrowest kernel width of columns that holds the live ones, moved left
 * if it would pass the last column (the all-zero rows and columns inside it add 0).
 */
function gemmPanel(wgtAt: number, tile: number, R: number, C: number, s: GemmScratch): PanelBox {
  const box = s.box;
  if (box.tile === tile) return box;
  const { mem8, g } = s;
  const w0 = wgtAt + tile * C;
  let live = s.liveBoxes.get(tile);
  if (live === undefined) s.liveBoxes.set(tile, (live = LITTLE_ENDIAN && C % 4 === 0 && w0 % 4 === 0 ? liveBoxWords(s, w0, R, C) : liveBoxBytes(mem8, w0, R, C)));
  const [r0, r1, c0, c1] = live;
  const k = Math.max(0, r1 - r0);
  const width = g.widths.find((x) => x >= c1 - c0) ?? C;
  const from = Math.min(c0, C - width);
  // full-width rows lie back to back in the tile as in the panel: one copy (a 256×256 tile's rows were 256 calls)
  if (width === C) mem8.copyWithin(g.panel, w0 + r0 * C, w0 + (r0 + k) * C);
  else for (let j = 0; j < k; j++) mem8.copyWithin(g.panel + j * width, w0 + (r0 + j) * C + from, w0 + (r0 + j) * C + from + width);
  box.tile = tile;
  box.r0 = r0;
  box.k = k;
  box.c0 = from;
  box.width = width;
  return box;
}

/**
 * matmulSums through the GEMM, straight into `sums` (a view of the same memory, rows C lanes
 * apart), which need not be zeroed: the columns it returns, [from, to), get the sums, and the
 * others zeros unless the matmul accumulates or starts from a bias (its commit then adds only those
 * columns: the others add 0). Returns from + to · 2^16 (a column count is below 2^16: isa/config.ts CONFIG_LIMITS).
 */
export function gemmSums(actAt: number, wgtAt: number, insn: InstructionOf<'matmul'>, R: number, C: number, sums: Int32Array, s: GemmScratch): number {
  const b = gemmPanel(wgtAt, insn.wgt, R, C, s);
  const M = insn.rows;
  if (!insn.accumulate && !insn.bias && (b.k === 0 || b.width < C)) sums.fill(0, 0, M * C);
  if (b.k === 0) return 0;
  s.g.gemm(b.width, sums.byteOffset + 4 * b.c0, actAt + insn.act * R + b.r0, insn.actStride * R, insn.actOuter * R, insn.inner, s.g.panel, M, b.k);
  return b.c0 + (b.c0 + b.width) * 65536;
}
