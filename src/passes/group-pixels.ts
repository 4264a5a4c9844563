// SPDX-License-Identifier: MIT
/**
 * Pixel groups: an op that reads every source pixel for pixel (a residual add, a 1×1 convolution)
 * on packed maps (pack-taps.ts: pixels c bytes apart, so one act entry holds ⌊R/c⌋ adjacent pixels)
 * computes g adjacent pixels per output row: its terms read every g-th entry (x stride g), each
 * weight is g copies of the term's c × n block on the diagonal, the bias and requantization repeat per
 * block, and one store writes the g pixels' g·n codes, which lie back to back in its packed out map
 * (the op's `step` [1, g]). The array then streams g times fewer rows: ResNet-18's 56×56 adds of 64
 * channels on 256x256 take a quarter of the rows they took stacked (stack-add.ts), which packed
 * maps rule out. Each output code is the ungrouped op's: the blocks are the same sums.
 */
import type { GemmOp, Term } from './gemm-types.js';
import { denseMatrix, writeRows, diagonalMatrix } from './weight-matrix.js';

/** An op that reads its terms as weight tiles over act entries: not a per-channel product, a gate's spread or a channel sum. */
export const plainGemm = (op: GemmOp): boolean => op.scaleBy === undefined && op.spread !== true && op.channelSum !== true;

/** Whether an op reads each source pixel for pixel and writes whole pixels of its own map, nothing else. */
export function pixelwise(op: GemmOp, channelsOf: (tensor: string) => number): boolean {
  if (op.channelOffset !== 0 || op.pool !== undefined || op.table !== undefined || op.samples !== undefined || op.at !== undefined || op.step !== undefined) return false;
  if (!plainGemm(op) || op.terms.length === 0) return false;
  return op.terms.every((t) => t.dy === 0 && t.dx === 0 && t.sy === 1 && t.sx === 1 && t.rows === undefined && t.matrix.k === channelsOf(t.src) && t.matrix.n === op.n && (t.matrix.form === 'dense' || t.matrix.offset === 0));
}

/**
 * Pixels per group for a pixelwise op whose sources have `cs` channels each: as many as an act entry
 * holds of every source (R) and an out row holds of its n channels (C), and that divide a line (a
 * group never crosses into the border): 1 where none does.
 */
export function groupOf(op: GemmOp, cs: readonly number[], R: number, C: number): number {
  const most = Math.min(op.ow, Math.floor(C / op.n), ...cs.map((c) => Math.floor(R / c)));
  for (let g = most; g >= 2; g--) if (op.ow % g === 0) return g;
  return 1;
}

/** The op computing g pixels per output row (see the file comment). */
export function groupPixels(op: GemmOp, g: number): GemmOp {
  const repeat = <T extends Int32Array | Uint16Array | Uint8Array>(a: T): T => {
    const out = new (a.constructor as { new (n: number): T })(a.length * g);
    for (let j = 0; j < g; j++) out.set(a, j * a.length);
    return out;
  };
  const terms = op.terms.map((t): Term => {
    const { k, n } = t.matrix;
    if (t.matrix.form === 'diagonal') {
      const values = new Int8Array(k * g);
      for (let j = 0; j < g; j++) values.set(t.matrix.values.subarray(0, k), j * k);
      return { ...t, sx: g, rows: k * g, matrix: diagonalMatrix(values, n * g) };
    }
    const codes = new Int8Array(k * g * n * g);
    const block = new Int8Array(k * n);
    writeRows(t.matrix, block, 0, k);
    for (let j = 0; j < g; j++) for (let i = 0; i < k; i++) codes.set(block.subarray(i * n, (i + 1) * n), (j * k + i) * n * g + j * n);
    return { ...t, sx: g, rows: k * g, matrix: denseMatrix(codes, n * g) };
  });
  return { ...op, ow: op.ow / g, n: op.n * g, step: [1, g], terms, bias: repeat(op.bias), mult: repeat(op.mult), shift: repeat(op.shift) };
}
