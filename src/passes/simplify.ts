// SPDX-License-Identifier: MIT
/** Graph clean-ups before quantization: drop no-ops, fuse activations, drop a final softmax. */
import { NnchipError } from '../diagnostics/error.js';
import { renameTensor, usesOf, type Graph, type Node } from '../ir/graph.js';

/** identity(x) → x; flatten(x) → x (row-major data is already flat); activation linear → x. */
export function removeNoOps(g: Graph): Graph {
  let out = g;
  for (const n of g.nodes) {
    const noop = n.op === 'identity' || n.op === 'flatten' || (n.op === 'activation' && n.fn === 'linear');
    if (!noop) continue;
    out = renameTensor({ ...out, nodes: out.nodes.filter((m) => m !== n) }, n.output, n.inputs[0]!);
  }
  return out;
}

/** dense(linear) → relu/relu6  ⇒  dense(relu/relu6), when the dense output has no other user. */
export function fuseActivation(g: Graph): Graph {
  const uses = usesOf(g);
  const nodes: Node[] = [];
  const fused = new Map<string, string>(); // activation output → dense output
  for (const n of g.nodes) {
    if (n.op === 'activation' && (n.fn === 'relu' || n.fn === 'relu6')) {
      const producer = nodes.find((p) => p.output === n.inputs[0]);
      const singleUse = (uses.get(n.inputs[0]!) ?? []).length === 1 && !g.outputs.includes(n.inputs[0]!);
      if (producer?.op === 'dense' && producer.activation === 'linear' && singleUse) {
        nodes[nodes.indexOf(producer)] = { ...producer, activation: n.fn };
        fused.set(n.output, producer.output);
        continue;
      }
    }
    nodes.push(n);
  }
  let out: Graph = { ...g, nodes };
  for (const [from, to] of fused) out = renameTensor(out, from, to);
  return out;
}

/** softmax as the last op → dropped (argmax unchanged, outputs become logits); elsewhere → error. */
export function dropFinalSoftmax(g: Graph): Graph {
  const soft = g.nodes.filter((n) => n.op === 'activation' && n.fn === 'softmax');
  for (const n of soft) {
    if (!g.outputs.includes(n.output)) throw new NnchipError('NN110', 'Softmax is supported only as the final layer', { layer: n.name });
  }
  let out = g;
  for (const n of soft) {
    out = renameTensor({ ...out, nodes: out.nodes.filter((m) => m !== n), notes: [...out.notes, `final softmax "${n.name}" dropped: outputs are logits, argmax unchanged`] }, n.output, n.inputs[0]!);
  }
  return out;
}

/** relu(x) with no dense to fuse into  ⇒  dense(identity kernel, relu): the threshold unit needs a matmul. */
export function activationToDense(g: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  const nodes = g.nodes.map((n): Node => {
    if (n.op !== 'activation' || n.fn === 'softmax' || n.fn === 'linear') return n;
    const k = (shapes.get(n.inputs[0]!) ?? [0]).reduce((a, b) => a * b, 1);
    const kernel = new Float32Array(k * k);
    for (let i = 0; i < k; i++) kernel[i * k + i] = 1;
    return { name: n.name, inputs: n.inputs, output: n.output, op: 'dense', kernel: { shape: [k, k], data: kernel }, bias: null, activation: n.fn };
  });
  return { ...g, nodes };
}

/** After simplification the graph must be a chain of dense layers: the lowering handles exactly that. */
export function checkLowerable(g: Graph): Graph {
  const uses = usesOf(g);
  let prev = g.inputs[0]?.name;
  for (const n of g.nodes) {
    if (n.op !== 'dense') throw new NnchipError('NN305', `op ${n.op} cannot be lowered in this position`, { layer: n.name });
    if (n.inputs[0] !== prev || (uses.get(n.inputs[0]!) ?? []).length > 1) throw new NnchipError('NN305', 'branching graphs (a tensor used twice) are not supported yet', { layer: n.name });
    prev = n.output;
  }
  if (g.nodes.length === 0) throw new NnchipError('NN305', 'the model has no layer that computes anything');
  return g;
}
