// SPDX-License-Identifier: MIT
/**
 * A reshape that moves data: [H, W, C] → [H', W', K], the same elements in the same pixel-major order, but other lines
 * or other channels per pixel (a detection head's map read as its list of anchors, BlazeFace's [1, 16, 16, 2] →
 * [1, 512, 1]; pixels merged into channels). Stored tensors have borders, so even a reshape that keeps the channels
 * moves pixels from line to line: exact copies (weights 0/1, the input's quantization), no new instruction.
 *
 * In chunks of g = gcd(C, K) channels an input pixel holds a = C/g chunks and an output pixel b = K/g. Chunk j of output
 * pixel q is chunk q·b + j of the flat order: chunk (q·b + j) mod a of input pixel ⌊(q·b + j)/a⌋. So the output pixels
 * q0 + n·a (one class per q0 < a) read, for each j, input pixel ⌊(q0·b + j)/a⌋ + n·b: one copy op per class with a term
 * per input pixel read (its 0/1 matrix moving the chunks), stores a pixels apart (`step`) and reads b apart (the term's
 * stride), cut where an output or input line ends. About a · (H' + H · ⌈b/a + 1⌉) ops.
 */
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import type { GemmOp, PhysicalTensor, Term } from './gemm-types.js';
import { diagonalMatrix } from './weight-matrix.js';
import type { LineOps } from './resize-lines.js';

/** Copies past this many are refused (each is at least one matmul and its loads): a map read as a column of pixels, one per line. */
export const MAX_RESHAPE_COPIES = 16384;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Pixels left in a line of `width` from column `x` on, `stride` apart. */
const leftInLine = (x: number, width: number, stride: number): number => Math.floor((width - 1 - x) / stride) + 1;

export function reshapeCopies(layer: string, x: PhysicalTensor, out: PhysicalTensor, { diagonalOp }: Pick<LineOps, 'diagonalOp'>): GemmOp[] {
  const g = gcd(x.c, out.c);
  const [a, b] = [x.c / g, out.c / g];
  const pixels = out.h * out.w;
  const ops: GemmOp[] = [];
  for (let q0 = 0; q0 < Math.min(a, pixels); q0++) {
    // the input pixels (offsets from n·b) this class reads, each with the matrix moving its chunks to theirs: row
    // (chunk − d·a)·g + k to column j·g + k, a run of rows on the one diagonal column − row = (d·a − q0·b)·g (the j of
    // one input pixel d are consecutive), so the matrix is that diagonal with ones on the run
    const ones = new Map<number, Int8Array>();
    for (let j = 0; j < b; j++) {
      const chunk = q0 * b + j;
      const d = Math.floor(chunk / a);
      let v = ones.get(d);
      if (v === undefined) ones.set(d, (v = new Int8Array(x.c)));
      v.fill(1, (chunk % a) * g, (chunk % a) * g + g);
    }
    // one matrix object per input pixel, shared by the class's ops (lower-constants.ts cuts its tiles once)
    const weights = new Map([...ones].map(([d, v]) => [d, diagonalMatrix(v, out.c, (d * a - q0 * b) * g)] as const));
    const count = Math.floor((pixels - 1 - q0) / a) + 1;
    for (let n = 0; n < count; ) {
      const q = q0 + n * a;
      const [oy, ox] = [Math.floor(q / out.w), q % out.w];
      let len = Math.min(count - n, leftInLine(ox, out.w, a));
      const terms: Term[] = [...weights].map(([d, matrix]) => {
        const p = d + n * b;
        const [iy, ix] = [Math.floor(p / x.w), p % x.w];
        len = Math.min(len, leftInLine(ix, x.w, b));
        return { src: x.name, dy: iy, dx: ix, sy: 1, sx: b, matrix };
      });
      if (ops.length === MAX_RESHAPE_COPIES) {
        throw new NnchipError('NN305', `reshape [${x.h}, ${x.w}, ${x.c}] → [${out.h}, ${out.w}, ${out.c}] takes over ${fmtInt(MAX_RESHAPE_COPIES)} copies (one per run of pixels within a line)`, { layer, hint: 'reshape to fewer, longer lines (a [1, N, K] list of anchors is a few copies per input line)' });
      }
      const op = diagonalOp(layer, 'reshape-copy', { ...out, h: 1, w: len }, terms, x.params.scale, -x.params.zp);
      ops.push({ ...op, at: [oy, ox] as const, ...(a > 1 ? { step: [1, a] as const } : {}) });
      n += len;
    }
  }
  return ops;
}
