// SPDX-License-Identifier: MIT
/**
 * Packed weight layouts. Weights that only GEMMs read may be stored in any byte order: the
 * program cannot observe it, and the packed matrix takes exactly the bytes of the original. Two
 * layouts, chosen per matrix by the row counts of the GEMMs that read it (see docs/wasm.md):
 *
 * - `quad` (GEMMs of one row, the compiler's batch-1 matrix–vector products): rows in groups of
 *   4, column-major inside a group: byte 4c + i of group g is W[4g + i][c]. The kernel multiplies
 *   2 columns × 4 k per dot against a splatted act quad.
 * - `pairs` (GEMMs of ≥ 2 rows): rows in pairs; pair p is 2C bytes. Each full group of 8 columns
 *   c0..c0+7 is 16 bytes, lane i < 4 holding the bytes
 *     4i: W[2p][c0+i] ^ 0x80,  4i+1: W[2p][c0+4+i],  4i+2: W[2p+1][c0+i] ^ 0x80,  4i+3: W[2p+1][c0+4+i]
 *   so that one v128.load read as i16x8 is L = (W_lo + 128) + 256·W_hi per lane, and one
 *   i16x8.shr_s(L, 8) gives W_hi: two dot-ready vectors for one SIMD op instead of two
 *   sign extensions (the kernel removes 256·ΣW_hi·a and 128·Σa afterwards). The last C mod 8
 *   columns of a pair are plain interleaved byte pairs W[2p][c], W[2p+1][c].
 * An odd last row (K mod 4 rows for quads) stays in plain layout.
 */
import type { Program, ReadonlyBytes } from '../../../isa/program.js';
import { pixelAddress, storedLayout } from '../../../isa/program.js';
import type { GemmOp, KernelOp, Packing } from './kernel-ops.js';
import type { Range } from './memory.js';


/** Rows per group of each layout. */
export const PACK_ROWS: Readonly<Record<Packing, number>> = { quad: 4, pairs: 2 };

/** The DRAM bytes of a packed weight matrix: rows [0, rows) of a C-byte-row matrix at `start`. */
export interface PackedRange {
  readonly start: number;
  readonly rows: number;
  readonly layout: Packing;
}

/** Covering DRAM spans of the input and output tensors. */
function tensorSpans(p: Program): Range[] {
  return [storedLayout(p.input), ...p.outputs].map((t) => {
    let start = Infinity;
    let end = 0;
    for (let r = 0; r < t.rows; r++) (start = Math.min(start, pixelAddress(t, r))), (end = Math.max(end, pixelAddress(t, r) + t.rowBytes));
    return { start, end };
  });
}

/**
 * Pack the weights that only GEMMs read (their loads were all dropped; nothing else reads or
 * writes those DRAM bytes — `copies` are the byte ranges copies touch — and no tensor lies
 * there). GEMMs that share weights must read exactly the same rows; the matrix gets `pairs` if
 * every one of them has ≥ 2 rows, else `quad`.
 */
export function packWeights(ops: readonly KernelOp[], p: Program, copies: readonly Range[]): { ops: KernelOp[]; packed: PackedRange[] } {
  const C = p.config.cols;
  const gemms = ops.filter((o): o is GemmOp => o.kind === 'gemm' && o.fromDram && o.taps === undefined);
  // a GEMM over taps reads plain weights: no matrix it reads is packed
  const tapWeights = ops.flatMap((o) => (o.kind === 'gemm' && o.taps !== undefined ? o.taps.map((t) => ({ start: t.w, end: t.w + o.k * C })) : []));
  const layoutOf = new Map<number, Packing>();
  for (const g of gemms) if (g.rows < 2 || layoutOf.get(g.w) === 'quad') layoutOf.set(g.w, 'quad');
  for (const g of gemms) if (!layoutOf.has(g.w)) layoutOf.set(g.w, 'pairs');
  const others = spanIndex([...tensorSpans(p), ...copies, ...tapWeights].map((o) => ({ ...o, key: -1 })));
  // each distinct matrix a GEMM reads (its w and k) once, numbered: GEMMs of one matrix do not exclude each other
  const keys = new Map<string, number>();
  const spans: KeyedRange[] = [];
  const keyOf = (g: GemmOp): number => keys.get(`${g.w}:${g.k}`)!;
  for (const g of gemms) {
    const id = `${g.w}:${g.k}`;
    if (keys.has(id)) continue;
    keys.set(id, keys.size);
    spans.push({ start: g.w, end: g.w + g.k * C, key: keys.size - 1 });
  }
  const matrices = spanIndex(spans);
  const rowsOf = (g: GemmOp): number => g.k - (g.k % PACK_ROWS[layoutOf.get(g.w)!]);
  const ok = (g: GemmOp): boolean => {
    const r = { start: g.w, end: g.w + rowsOf(g) * C };
    if (rowsOf(g) === 0 || r.end > p.constants.length || others.overlapsOther(r, -2)) return false;
    return !matrices.overlapsOther(r, keyOf(g));
  };
  const packed = new Map<number, PackedRange>();
  const out = ops.map((op) => {
    if (op.kind !== 'gemm' || !op.fromDram || op.taps !== undefined || !ok(op)) return op;
    const layout = layoutOf.get(op.w)!;
    packed.set(op.w, { start: op.w, rows: rowsOf(op), layout });
    return { ...op, packed: layout };
  });
  return { ops: out, packed: [...packed.values()] };
}

interface KeyedRange extends Range {
  readonly key: number;
}

/**
 * Whether a range overlaps any of `ranges` other than those of one key, by binary search: sorted
 * by start, each prefix keeps its largest end and the largest end of a key other than that one's.
 * The overlap test of every GEMM against every other was quadratic: ResNet-50's `nnchip wasm` on
 * 8x8 (2.9 M instructions) ran for minutes in it.
 */
function spanIndex(ranges: readonly KeyedRange[]): { overlapsOther: (r: Range, own: number) => boolean } {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const starts = Float64Array.from(sorted, (s) => s.start);
  const best = new Float64Array(sorted.length);
  const bestKey = new Float64Array(sorted.length);
  const other = new Float64Array(sorted.length);
  let [end1, key1, end2] = [-Infinity, NaN, -Infinity];
  sorted.forEach((s, i) => {
    if (s.key === key1) end1 = Math.max(end1, s.end);
    // a new best of another key: the old best is the best of every key but the new one's
    else if (s.end > end1) [end2, end1, key1] = [end1, s.end, s.key];
    else end2 = Math.max(end2, s.end);
    [best[i], bestKey[i], other[i]] = [end1, key1, end2];
  });
  return {
    overlapsOther: (r, own) => {
      // the ranges starting before r ends: [0, lo)
      let [lo, hi] = [0, starts.length];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! < r.end) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return false;
      return (bestKey[lo - 1] === own ? other[lo - 1]! : best[lo - 1]!) > r.start;
    },
  };
}

/** Byte offset, inside pair p's 2C bytes, of W[2p + i][c] (pairs layout). */
export function pairsOffset(C: number, c: number, i: number): number {
  const full = C - (C % 8);
  if (c >= full) return 2 * c + i;
  return 2 * (c - (c % 8)) + 4 * (c % 4) + 2 * i + (c % 8 >= 4 ? 1 : 0);
}

/**
 * A new array: the constants with every packed range rearranged (see the layouts above). The
 * Program's own constants are only read (never `constants.slice()`: a Buffer's slice is a view).
 */
export function packConstants(constants: ReadonlyBytes, packed: readonly PackedRange[], C: number): Uint8Array {
  const out = Uint8Array.from(constants);
  for (const r of packed) {
    const n = PACK_ROWS[r.layout];
    for (let g = 0; g < r.rows / n; g++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < n; i++) {
          const v = constants[r.start + (g * n + i) * C + c]!;
          if (r.layout === 'quad') out[r.start + g * n * C + n * c + i] = v;
          else out[r.start + g * n * C + pairsOffset(C, c, i)] = c < C - (C % 8) && c % 8 < 4 ? v ^ 0x80 : v;
        }
  }
  return out;
}
