// SPDX-License-Identifier: MIT
/**
 * Reflection and edge padding (ONNX Pad mode reflect / edge, PyTorch's nn.ReflectionPad2d,
 * nn.ReplicationPad2d, Conv2d(padding_mode='reflect'|'replicate')) as exact copies of pixels: every
 * padded pixel is one input pixel. The padded map is written by one copy of the interior, one copy
 * per padded line (along the interior columns), one per padded column (along the interior lines) and
 * one per corner pixel: 1 + (t + b) + (l + r) + (t + b)·(l + r) copies, each an identity matmul
 * keeping the input's scale and zero point, reading only pixels inside the map (passes/gemm.ts).
 */

export type PadMode = 'reflect' | 'edge';

/** The input pixel that padded position p (−pad ≤ p < n + pad) of an axis of n pixels copies. */
export function mirrored(p: number, n: number, mode: PadMode): number {
  if (mode === 'edge') return Math.min(n - 1, Math.max(0, p));
  return p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p;
}

/** One copy: the output block of `size` pixels at `at` reads the input block at `from`. */
export interface PadCopy {
  readonly at: readonly [number, number];
  readonly size: readonly [number, number];
  readonly from: readonly [number, number];
}

/** The copies that fill the [h + t + b, w + l + r] map padded by [t, l, b, r] from the [h, w] map. */
export function padCopies(pads: readonly [number, number, number, number], h: number, w: number, mode: PadMode): PadCopy[] {
  const [t, l, b, r] = pads;
  const outside = (before: number, after: number, n: number): number[] => [...Array.from({ length: before }, (_, i) => i - before), ...Array.from({ length: after }, (_, i) => n + i)];
  const [ys, xs] = [outside(t, b, h), outside(l, r, w)];
  return [
    { at: [t, l], size: [h, w], from: [0, 0] },
    ...ys.map((y): PadCopy => ({ at: [y + t, l], size: [1, w], from: [mirrored(y, h, mode), 0] })),
    ...xs.map((x): PadCopy => ({ at: [t, x + l], size: [h, 1], from: [0, mirrored(x, w, mode)] })),
    ...ys.flatMap((y) => xs.map((x): PadCopy => ({ at: [y + t, x + l], size: [1, 1], from: [mirrored(y, h, mode), mirrored(x, w, mode)] }))),
  ];
}
