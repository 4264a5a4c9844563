// SPDX-License-Identifier: MIT
/**
 * Kernel and tensor rewrites shared by the TF.js Layers and graph importers: a grouped or
 * channel-multiplied depthwise kernel as a full one, and TF's transposed-convolution filter order.
 */
import type { Tensor } from '../ir/graph.js';

/** A kernel [KH, KW, Cin/g, Cout] of g groups as the full kernel [KH, KW, Cin, Cout]: output o reads its group's Cin/g inputs, zero elsewhere. */
export function blockDiagonal(kernel: Tensor, cin: number, g: number): Tensor {
  const [kh, kw, ci, co] = kernel.shape as [number, number, number, number];
  const data = new Float32Array(kh * kw * cin * co);
  for (let t = 0; t < kh * kw; t++)
    for (let i = 0; i < ci; i++)
      for (let o = 0; o < co; o++) data[(t * cin + Math.floor(o / (co / g)) * ci + i) * co + o] = kernel.data[(t * ci + i) * co + o]!;
  return { shape: [kh, kw, cin, co], data };
}

/**
 * A depthwise kernel [KH, KW, C, m] with a channel multiplier m > 1 as a full kernel [KH, KW, C, C·m]:
 * output channel c·m + j reads input channel c alone (TF's order), zero elsewhere.
 */
export function multiplied(k: Tensor): Tensor {
  const [kh, kw, c, m] = k.shape as [number, number, number, number];
  // the same values as a kernel [KH, KW, 1, C·m] of C groups, one input channel each
  return blockDiagonal({ shape: [kh, kw, 1, c * m], data: k.data }, c, c);
}

/** TF's transposed-convolution filter [KH, KW, Cout, Cin] as the IR's [KH, KW, Cin, Cout]. */
export function transposedFilter(stored: Tensor): Tensor {
  const [kh, kw, f, cin] = stored.shape as [number, number, number, number];
  const data = new Float32Array(stored.data.length);
  for (let t = 0; t < kh * kw; t++) for (let o = 0; o < f; o++) for (let i = 0; i < cin; i++) data[(t * cin + i) * f + o] = stored.data[(t * f + o) * cin + i]!;
  return { shape: [kh, kw, cin, f], data };
}
