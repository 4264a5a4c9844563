// SPDX-License-Identifier: MIT
/** Explicit pads for "same" windows, computed as TensorFlow and ONNX's auto_pad do. */
import type { Pads } from '../ir/graph.js';

/**
 * Padding of one spatial axis for output ceil(n / s): total = max((ceil(n/s) − 1)·s + k − n, 0).
 * TF and ONNX SAME_UPPER put the odd pixel at the end (begin = floor(total/2)); SAME_LOWER at the start.
 */
export function sameAxis(n: number, k: number, s: number, lower = false): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  const begin = lower ? Math.ceil(total / 2) : Math.floor(total / 2);
  return [begin, total - begin];
}

/** [top, left, bottom, right] for an [H, W] map under a [KH, KW] window with [SH, SW] strides. */
export function samePads(hw: readonly number[], size: readonly number[], strides: readonly number[], lower = false): Pads {
  const [top, bottom] = sameAxis(hw[0]!, size[0]!, strides[0]!, lower);
  const [left, right] = sameAxis(hw[1]!, size[1]!, strides[1]!, lower);
  return [top, left, bottom, right];
}
