// SPDX-License-Identifier: MIT
/**
 * Float evaluation of a Graph in float64: used for calibration (activation ranges) and for the
 * float side of `nnchip eval`. Accuracy tests compare against TF.js / ONNX Runtime, not this.
 */
import { internal } from '../diagnostics/error.js';
import type { Activation, Graph, Node } from './graph.js';

export type Values = Map<string, Float64Array>;

function activate(fn: Activation | 'softmax', x: Float64Array): Float64Array {
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return x.map((v) => Math.max(0, v));
    case 'relu6':
      return x.map((v) => Math.min(6, Math.max(0, v)));
    case 'softmax': {
      const max = Math.max(...x);
      const e = x.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    }
  }
}

function evalNode(n: Node, x: Float64Array): Float64Array {
  switch (n.op) {
    case 'dense': {
      const [k, units] = n.kernel.shape as [number, number];
      const y = new Float64Array(units);
      for (let j = 0; j < units; j++) y[j] = n.bias?.data[j] ?? 0;
      for (let i = 0; i < k; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        for (let j = 0; j < units; j++) y[j]! += xi * n.kernel.data[i * units + j]!;
      }
      return activate(n.activation, y);
    }
    case 'activation':
      return activate(n.fn, x);
    case 'flatten':
    case 'identity':
      return x;
  }
}

/** Evaluate every tensor of the graph for one sample (flattened, row-major). */
export function evaluateGraph(g: Graph, sample: ArrayLike<number>): Values {
  const values: Values = new Map();
  const input = g.inputs[0];
  if (input === undefined) throw internal('graph without input');
  values.set(input.name, Float64Array.from(sample as ArrayLike<number>));
  for (const n of g.nodes) {
    const x = values.get(n.inputs[0] ?? '');
    if (x === undefined) throw internal(`node ${n.name} evaluated before its input`);
    values.set(n.output, evalNode(n, x));
  }
  return values;
}

export function evaluateOutput(g: Graph, sample: ArrayLike<number>): Float64Array {
  const out = evaluateGraph(g, sample).get(g.outputs[0] ?? '');
  if (out === undefined) throw internal('graph output not computed');
  return out;
}
