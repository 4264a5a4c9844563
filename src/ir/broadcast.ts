// SPDX-License-Identifier: MIT
/**
 * A per-channel vector computed in the network, repeated over a map by copies that exist (nearest
 * upsampling): Keras merge layers and TF's AddV2 broadcasting, and normalization's −mean.
 */
import type { Node } from './graph.js';

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

/**
 * True when `g` is a per-channel vector of `map`'s channels ([C] or [1, 1, C]) and `map` an [H, W, C] map it is not
 * already the shape of: larger than one pixel, or a 1×1 map beside a [C] vector (then only reshaped; that pair reached
 * the merge as two shapes, NN203).
 */
export function broadcastsOver(g: readonly number[], map: readonly number[]): boolean {
  return map.length === 3 && (map[0]! * map[1]! > 1 || g.length === 1) && g.at(-1) === map[2] && (g.length === 1 || (g.length === 3 && g[0] === 1 && g[1] === 1));
}
