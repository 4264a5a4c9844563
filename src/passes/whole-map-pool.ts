// SPDX-License-Identifier: MIT
/**
 * An average pool whose one window is the whole map, unpadded (Keras' AveragePooling2D(7) closing a
 * MobileNet on its 7×7 map) is the global average pool: rewritten as one, reshaped to its 1×1 map,
 * it is lowered as a channel sum over runs of pixels instead of a window whose every line must sit in
 * the act buffer at once (nsfwjs' MobileNetV2, 7×7×1280: 7,840 act entries on 8x8, refused before).
 * Run after trim-pool, which may shrink a padded window to exactly the map. The float average may
 * differ from the window's in the last bit (another summation order); the int8 program is exact to it.
 */
import type { Graph, Node, NodeOf } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';

function asGlobal(n: NodeOf<'pool2d'>, shape: readonly number[], taken: ReadonlyMap<string, unknown>): Node[] | null {
  const vector = `${n.output}/vector`;
  const whole = n.kind === 'avg' && n.size[0] === shape[0] && n.size[1] === shape[1] && n.pads.every((p) => p === 0) && (n.dilations ?? [1, 1]).every((d) => d === 1);
  if (!whole || taken.has(vector)) return null;
  return [
    { name: n.name, op: 'globalAvgPool', inputs: n.inputs, output: vector },
    { name: `${n.name}/map`, op: 'reshape', inputs: [vector], output: n.output, shape: [1, 1, shape[2]!] },
  ];
}

/** Every unpadded average pool whose window is its whole map, as a global average pool. */
export function wholeMapPools(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'pool2d' && n.kind === 'avg')) return g;
  const shapes = checkGraph(g);
  let changed = false;
  const nodes = g.nodes.flatMap((n): Node[] => {
    const global = n.op === 'pool2d' ? asGlobal(n, shapes.get(n.inputs[0]!)!, shapes) : null;
    if (global !== null) changed = true;
    return global ?? [n];
  });
  return changed ? { ...g, nodes } : g;
}
