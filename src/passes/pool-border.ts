// SPDX-License-Identifier: MIT
/**
 * A map read by a padded max pool and by a layer that pads with zeros (a padded convolution or
 * average pool, a Pad copy, a transposed convolution) needs two borders: −∞ (the code −128) for the
 * pool, its zero code for the other. A tensor is stored with one border, so such a map was refused
 * (NN305: an Inception/NAS cell's `max_pool2d(x, 3, 1, 1)` beside `conv3x3(x)` or
 * `avg_pool2d(x, 3, 1, 1)`). The max pools now read an exact copy (a crop of nothing: the same
 * codes, scale and zero point) that carries the −∞ border.
 */
import { appendTo, type Graph, type Node } from '../ir/graph.js';

const padded = (pads: readonly number[]): boolean => pads.some((p) => p > 0);
const maxBorder = (n: Node): boolean => n.op === 'pool2d' && n.kind === 'max' && padded(n.pads);
const zeroBorder = (n: Node): boolean =>
  ((n.op === 'conv2d' || (n.op === 'pad' && n.mode === undefined) || (n.op === 'pool2d' && n.kind === 'avg')) && padded(n.pads)) || n.op === 'convTranspose';

export function separatePoolBorders(g: Graph): Graph {
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of new Set(n.inputs)) appendTo(readers, t, n);
  const copies = new Map<string, string>();
  for (const [t, rs] of readers) if (rs.some(maxBorder) && rs.some(zeroBorder)) copies.set(t, `${t}/max-border`);
  if (copies.size === 0) return g;
  const nodes: Node[] = [];
  const copied = new Set<string>();
  const copy = (t: string): Node => ({ op: 'crop', name: copies.get(t)!, inputs: [t], output: copies.get(t)!, crop: [0, 0, 0, 0] });
  // inputs' copies first (the graph input has no producer), then each after its tensor's producer
  for (const t of copies.keys()) if (g.inputs.some((i) => i.name === t)) (nodes.push(copy(t)), copied.add(t));
  for (const n of g.nodes) {
    nodes.push(maxBorder(n) && copies.has(n.inputs[0]!) ? { ...n, inputs: [copies.get(n.inputs[0]!)!] } : n);
    if (copies.has(n.output) && !copied.has(n.output)) (nodes.push(copy(n.output)), copied.add(n.output));
  }
  return { ...g, nodes };
}
