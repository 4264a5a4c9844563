// SPDX-License-Identifier: MIT
/**
 * A flattened map read by anything but a dense layer gets its values copied out in order first.
 * The lowering keeps a flatten of an [H, W, C] map as a view of the map (passes/gemm.ts): a dense
 * reading it gathers its weight rows in the view's order (channel-major for ONNX), but a concat, an
 * add or an activation of the vector would read the map's C channels of one pixel as if they were
 * the vector (`torch.cat([x.flatten(1), y.flatten(1)], 1)` gave values 0.2–0.6 of the output spread
 * off). Such readers now read a dense whose kernel is the identity: the same vector in float, stored
 * as one, each value requantized once to the copy's scale (a following activation folds into it).
 */
import { NnchipError } from '../diagnostics/error.js';
import type { Graph, Node } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';

/** Readers that take a view as it is: a dense gathers its rows, flatten and reshape stay views. */
const TAKES_VIEW = new Set<Node['op']>(['dense', 'flatten', 'reshape', 'identity']);
/** A copy's identity kernel is N × N: above this the model is refused rather than built. */
const MAX_COPY = 4096;

export function copyFlattenedMaps(g: Graph): Graph {
  const shapes = checkGraph(g);
  const views = new Set<string>();
  for (const n of g.nodes) {
    const src = shapes.get(n.inputs[0] ?? '');
    const ofMap = src !== undefined && src.length === 3 && src[0]! * src[1]! > 1;
    if ((n.op === 'flatten' || n.op === 'reshape') && shapes.get(n.output)!.length === 1 && (ofMap || views.has(n.inputs[0]!))) views.add(n.output);
  }
  const copies = new Map<string, string>();
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    const read = TAKES_VIEW.has(n.op) ? [] : [...new Set(n.inputs)].filter((t) => views.has(t) && !copies.has(t));
    for (const t of read) {
      const k = shapes.get(t)![0]!;
      if (k > MAX_COPY) throw new NnchipError('NN110', `${n.op} of a flattened feature map of ${k} values is supported only up to ${MAX_COPY} values (a dense layer may read any flattened map)`, { layer: n.name });
      const data = new Float32Array(k * k);
      for (let i = 0; i < k; i++) data[i * k + i] = 1;
      copies.set(t, `${t}/copy`);
      nodes.push({ op: 'dense', name: `${t}/copy`, inputs: [t], output: `${t}/copy`, kernel: { shape: [k, k], data }, bias: null, activation: 'linear' });
    }
    nodes.push(n.inputs.some((t) => copies.has(t)) && !TAKES_VIEW.has(n.op) ? { ...n, inputs: n.inputs.map((t) => copies.get(t) ?? t) } : n);
  }
  return copies.size === 0 ? g : { ...g, nodes };
}
