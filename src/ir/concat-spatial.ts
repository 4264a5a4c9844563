// SPDX-License-Identifier: MIT
/**
 * Concatenation along H or W of maps (Keras Concatenate, TF's ConcatV2) from ops that exist: each input
 * zero-padded to the whole extent at its offset, then added — the zeros add nothing, so it is exact but
 * for the adds' rounding in int8.
 */
import type { Node } from './graph.js';

/**
 * Bytes the concatenation's tensors take as calibration evaluates them (float64): n pads and n − 1 sums, each
 * the whole output of `outElements` — quadratic in n (3,000 inputs of 4×4×2 took 2.4 GB and over 30 s, exit 0
 * at 1,000 after 29 s), so the importers check it against --max-memory before building the nodes.
 */
export function spatialConcatBytes(n: number, outElements: number): number {
  return 8 * (2 * n - 1) * outElements;
}

/**
 * The pads (`name/part{i}`) and the chain of adds (`name/sum{i}`, the last one `name`) that concatenate
 * `inputs`, of `extents` along axis `a` (0: H, 1: W) of [H, W, C] maps; pads first, then the adds.
 */
export function spatialConcatNodes(inputs: readonly string[], extents: readonly number[], a: 0 | 1, name: string): Node[] {
  const total = extents.reduce((n, e) => n + e, 0);
  let at = 0;
  const pads = inputs.map((t, i): Node => {
    const [before, after] = [at, total - at - extents[i]!];
    at += extents[i]!;
    const part = `${name}/part${i}`;
    return { name: part, op: 'pad', inputs: [t], output: part, pads: a === 0 ? [before, 0, after, 0] : [0, before, 0, after] };
  });
  const adds: Node[] = [];
  let acc = pads[0]!.output;
  for (let i = 1; i < pads.length; i++) {
    const out = i === pads.length - 1 ? name : `${name}/sum${i}`;
    adds.push({ name: out, op: 'add', inputs: [acc, pads[i]!.output], output: out });
    acc = out;
  }
  return [...pads, ...adds];
}
