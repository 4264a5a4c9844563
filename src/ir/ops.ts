// SPDX-License-Identifier: MIT
/** The graph-op table: one shape rule per op, keyed by the closed GraphOp union. */
import { NnchipError } from '../diagnostics/error.js';
import { product, type GraphOp, type NodeOf } from './graph.js';

type ShapeRule<O extends GraphOp> = (node: NodeOf<O>, inputs: readonly (readonly number[])[]) => readonly number[];

function single(name: string, inputs: readonly (readonly number[])[]): readonly number[] {
  if (inputs.length !== 1) throw new NnchipError('NN203', `expects 1 input, got ${inputs.length}`, { layer: name });
  return inputs[0]!;
}

export const SHAPE_RULES: { [O in GraphOp]: ShapeRule<O> } = {
  dense: (n, inputs) => {
    const x = single(n.name, inputs);
    const [k, units] = n.kernel.shape;
    if (n.kernel.shape.length !== 2 || k === undefined || units === undefined) throw new NnchipError('NN201', `kernel has shape ${JSON.stringify(n.kernel.shape)}; expected [inputs, units]`, { layer: n.name });
    if (x.length !== 1) throw new NnchipError('NN203', `input has shape ${JSON.stringify(x)}; Dense needs a flat vector (add a Flatten layer)`, { layer: n.name });
    if (x[0] !== k) throw new NnchipError('NN203', `kernel is [${k},${units}] but its input has ${x[0]} features`, { layer: n.name });
    if (n.bias !== null && (n.bias.shape.length !== 1 || n.bias.shape[0] !== units)) throw new NnchipError('NN201', `bias has shape ${JSON.stringify(n.bias.shape)}; expected [${units}]`, { layer: n.name });
    return [units];
  },
  activation: (n, inputs) => single(n.name, inputs),
  flatten: (n, inputs) => [product(single(n.name, inputs))],
  identity: (n, inputs) => single(n.name, inputs),
};

export function inferShape<O extends GraphOp>(node: NodeOf<O>, inputs: readonly (readonly number[])[]): readonly number[] {
  return (SHAPE_RULES[node.op] as ShapeRule<O>)(node, inputs);
}
