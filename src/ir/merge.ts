// SPDX-License-Identifier: MIT
/**
 * Merges of computed tensors of one shape as ops that exist, the importers' one form (Keras Add / Maximum /
 * Minimum, ONNX Sum / Mean / Max / Min, TF AddN / Maximum / Minimum): a sum is a chain of adds; the maximum of two
 * is max(a, b) = a + relu(b − a) and the minimum min(a, b) = a − relu(a − b), exact (docs/numerics.md).
 */
import type { Node } from './graph.js';

/** The node that computes the merge's result: its name and the tensor it writes. */
export interface MergeOutput {
  readonly name: string;
  readonly output: string;
}

/** k·x per channel (c channels): a batchNorm of scale k, offset 0. */
export function scaledNode(name: string, x: string, c: number, k: number): Node {
  return { name, op: 'batchNorm', inputs: [x], output: name, scale: new Float32Array(c).fill(k), offset: new Float32Array(c) };
}

/** inputs[0] + inputs[1] + … as a chain of adds, the partial sums named `<prefix>/sum<i>`; one input: no node. */
export function sumNodes(prefix: string, inputs: readonly string[], last: MergeOutput): Node[] {
  const nodes: Node[] = [];
  let acc = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const out = i === inputs.length - 1 ? last : { name: `${prefix}/sum${i}`, output: `${prefix}/sum${i}` };
    nodes.push({ ...out, op: 'add', inputs: [acc, inputs[i]!] });
    acc = out.output;
  }
  return nodes;
}

/** max(a, b) = a + relu(b + (−a)), or min(a, b) = a + (−relu(a + (−b))), over c channels; the steps named `<prefix>/…`. */
export function extremumNodes(prefix: string, a: string, b: string, c: number, max: boolean, last: MergeOutput): Node[] {
  const neg = scaledNode(`${prefix}/neg`, max ? a : b, c, -1);
  const diff: Node = { name: `${prefix}/diff`, op: 'add', inputs: [max ? b : a, neg.output], output: `${prefix}/diff` };
  const relu: Node = { name: `${prefix}/relu`, op: 'activation', fn: 'relu', inputs: [diff.output], output: `${prefix}/relu` };
  const back = max ? relu : scaledNode(`${prefix}/negrelu`, relu.output, c, -1);
  return [neg, diff, relu, ...(max ? [] : [back]), { ...last, op: 'add', inputs: [a, back.output] }];
}
