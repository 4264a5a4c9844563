// SPDX-License-Identifier: MIT
/**
 * Ops that move whole lines by exact copies or two-tap sums (passes/gemm.ts calls them with its diagonal-op
 * builders, as channel-mul.ts is called): a resize per output line (nearest to a size that is not a whole
 * multiple, bilinear with align_corners) and a column map read as a row.
 */
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import type { NodeOf } from '../ir/graph.js';
import type { QuantParams } from './quantize.js';
import type { GemmOp, PhysicalTensor, Term } from './gemm-types.js';
import { lineTaps } from './upsample-linear.js';
import type { WeightMatrix } from './weight-matrix.js';

/** passes/gemm.ts's op of diagonal integer weights and its diagonal matrix. */
export interface LineOps {
  readonly diagonalOp: (layer: string, label: string, out: PhysicalTensor, terms: Term[], accScale: number, biasPerChannel: number) => GemmOp;
  readonly diag: (c: number, w: number) => WeightMatrix;
}
/** A new tensor of the program (passes/gemm.ts define). */
type Define = (name: string, shape: readonly number[], params: QuantParams) => PhysicalTensor;

/**
 * Resizing per output line (upsample-linear.ts lineTaps): nearest to a size that is not a whole multiple (output column o
 * is input column ⌊o·W/OW⌋, an exact copy), or bilinear with align_corners (two taps in units of 1/(OW − 1)). One op per
 * output column into [H, OW, C] with the input's parameters (or straight to the output), then one per output row.
 * align_corners rounds once per pass: within a code of the exact interpolation.
 */
export function lineResize(node: NodeOf<'upsample'>, x: PhysicalTensor, out: PhysicalTensor, { diagonalOp, diag, define }: LineOps & { define: Define }): GemmOp[] {
  const ops: GemmOp[] = [];
  const align = node.linear === 'align_corners';
  const pass = (src: PhysicalTensor, dst: PhysicalTensor, alongW: boolean): void => {
    const { den, taps } = lineTaps(alongW ? src.w : src.h, alongW ? dst.w : dst.h, align);
    taps.forEach((line, o) => {
      const terms = line.map((t) => ({ src: src.name, dy: alongW ? 0 : t.d, dx: alongW ? t.d : 0, sy: 1, sx: 1, matrix: diag(src.c, t.w) }));
      const op = diagonalOp(node.name, `resize-${align ? 'align' : 'nearest'}${alongW ? 'W' : 'H'}`, { ...dst, ...(alongW ? { w: 1 } : { h: 1 }) }, terms, src.params.scale / den, -src.params.zp * den);
      ops.push({ ...op, at: alongW ? ([0, o] as const) : ([o, 0] as const) });
    });
  };
  if (x.w === out.w && x.h === out.h) ops.push(diagonalOp(node.name, 'resize-copy', out, [{ src: x.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(x.c, 1) }], x.params.scale, -x.params.zp));
  else if (x.h === out.h || x.w === out.w) pass(x, out, x.h === out.h);
  else {
    const wide = define(`${node.name}/alongW`, [x.h, out.w, x.c], x.params);
    pass(x, wide, true);
    pass(wide, out, false);
  }
  return ops;
}

/** A column map [H, 1, C] read as the row [1, H, C], or back: the same pixels in the same order (x[:, :, :, k] of an NCHW map, a 1-D map of H). */
export const lineToLine = (a: readonly number[], b: readonly number[]): boolean => a.length === 3 && a[2] === b[2] && ((a[1] === 1 && b[0] === 1 && a[0] === b[1]) || (a[0] === 1 && b[1] === 1 && a[1] === b[0]));

/** One exact copy per pixel of a line turned (lineToLine): pixel p of the input to pixel p of the output. */
export function lineCopies(layer: string, x: PhysicalTensor, out: PhysicalTensor, { diagonalOp, diag }: LineOps): GemmOp[] {
  if (out.h * out.w > 4096) throw new NnchipError('NN305', `reading a column of ${fmtInt(out.h * out.w)} pixels as a row takes one copy per pixel, over 4,096`, { layer });
  const ops: GemmOp[] = [];
  for (let p = 0; p < out.h * out.w; p++) {
    const op = diagonalOp(layer, 'line-copy', { ...out, h: 1, w: 1 }, [{ src: x.name, dy: Math.floor(p / x.w), dx: p % x.w, sy: 1, sx: 1, matrix: diag(x.c, 1) }], x.params.scale, -x.params.zp);
    ops.push({ ...op, at: [Math.floor(p / out.w), p % out.w] as const });
  }
  return ops;
}
