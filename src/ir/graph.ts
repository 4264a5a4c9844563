// SPDX-License-Identifier: MIT
/**
 * The graph IR: named nodes over named tensors, float weights, static shapes (without the batch
 * dimension). Importers build it; passes rewrite it; nothing here knows a file format.
 */

/** A float constant (weights). Row-major; for dense kernels shape is [inputs, units]. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Activation functions the threshold unit implements (softmax only as a dropped final layer). */
export type Activation = 'linear' | 'relu' | 'relu6';

interface NodeBase {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly output: string;
}

export type Node =
  | (NodeBase & { readonly op: 'dense'; readonly kernel: Tensor; readonly bias: Tensor | null; readonly activation: Activation })
  | (NodeBase & { readonly op: 'activation'; readonly fn: Activation | 'softmax' })
  | (NodeBase & { readonly op: 'flatten' })
  | (NodeBase & { readonly op: 'identity' });

export type GraphOp = Node['op'];
export type NodeOf<O extends GraphOp> = Extract<Node, { op: O }>;

export interface GraphInput {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly GraphInput[];
  /** Topologically ordered. */
  readonly nodes: readonly Node[];
  readonly outputs: readonly string[];
  /** Notes for the user collected by passes (e.g. "final softmax dropped"). */
  readonly notes: readonly string[];
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Consumers of each tensor name. */
export function usesOf(g: Graph): Map<string, Node[]> {
  const uses = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) uses.set(i, [...(uses.get(i) ?? []), n]);
  return uses;
}

/** Replace uses of tensor `from` by `to` in nodes and outputs. */
export function renameTensor(g: Graph, from: string, to: string): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } : n)),
    outputs: g.outputs.map((o) => (o === from ? to : o)),
  };
}
