// SPDX-License-Identifier: MIT
/**
 * Kernel and tensor rewrites shared by the TF.js Layers and graph importers: a grouped or
 * channel-multiplied depthwise kernel as a full one, TF's transposed-convolution filter order, and a
 * per-channel vector computed in the network broadcast over a map (Keras merge layers, TF AddV2).
 */
import type { Node, Tensor } from '../ir/graph.js';

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

/**
 * A per-channel vector `g` ([C] or [1, 1, C]) computed in the network, repeated over an [H, W, C] map:
 * nearest upsampling of the 1×1 map along W, then along H (W + H identity copies, exact). Keras merge
 * layers broadcast so ([B, H, W, C] + [B, 1, 1, C], or [B, C] expanded at axis 1), as TF's AddV2 does.
 */
export function broadcastNodes(g: string, gShape: readonly number[], map: readonly number[], name: string): { nodes: Node[]; output: string } {
  const [h, w] = map as [number, number, number];
  const nodes: Node[] = [];
  let at = g;
  const step = (node: Node): void => {
    nodes.push(node);
    at = node.output;
  };
  if (gShape.length !== 3) step({ name: `${name}/map`, op: 'reshape', inputs: [at], output: `${name}/map`, shape: [1, 1, gShape.at(-1)!] });
  if (w > 1) step({ name: `${name}/row`, op: 'upsample', inputs: [at], output: `${name}/row`, factors: [1, w] });
  if (h > 1) step({ name: `${name}/rows`, op: 'upsample', inputs: [at], output: `${name}/rows`, factors: [h, 1] });
  return { nodes, output: at };
}

/** True when `g` is a per-channel vector of `map`'s channels ([C] or [1, 1, C]) and `map` an [H, W, C] map larger than one pixel. */
export function broadcastsOver(g: readonly number[], map: readonly number[]): boolean {
  return map.length === 3 && map[0]! * map[1]! > 1 && g.at(-1) === map[2] && (g.length === 1 || (g.length === 3 && g[0] === 1 && g[1] === 1));
}
