// SPDX-License-Identifier: MIT
/** Graph clean-ups before quantization: drop no-ops, fold batch norm and padding, fuse activations. */
import { NnchipError } from '../diagnostics/error.js';
import { renameTensor, usesOf, type Graph, type Node, type NodeOf } from '../ir/graph.js';

/** identity(x) → x; activation linear(x) → x. */
export function removeNoOps(g: Graph): Graph {
  let out = g;
  for (const n of g.nodes) {
    const noop = n.op === 'identity' || (n.op === 'activation' && n.fn === 'linear');
    if (noop) out = renameTensor({ ...out, nodes: out.nodes.filter((m) => m !== n) }, n.output, n.inputs[0]!);
  }
  return out;
}

type Weighted = NodeOf<'dense'> | NodeOf<'conv2d'>;
const isWeighted = (n: Node | undefined): n is Weighted => n?.op === 'dense' || n?.op === 'conv2d';

/** The single-use weighted producer of tensor t, if any (only then may we rewrite it). */
function soleProducer(g: Graph, nodes: readonly Node[], t: string): Weighted | undefined {
  const p = nodes.find((m) => m.output === t);
  const single = (usesOf(g).get(t) ?? []).length === 1 && !g.outputs.includes(t);
  return isWeighted(p) && p.activation === 'linear' && single ? p : undefined;
}

/** Merge a node into its producer: the node disappears and its output name now means the producer's. */
function mergeInto(g: Graph, build: (n: Node, nodes: Node[]) => Weighted | undefined): Graph {
  const nodes: Node[] = [];
  const renames: [string, string][] = [];
  for (const n of g.nodes) {
    const merged = build(n, nodes);
    if (merged === undefined) {
      nodes.push(n);
      continue;
    }
    const i = nodes.findIndex((m) => m.output === n.inputs[0]);
    nodes[i] = merged;
    renames.push([n.output, merged.output]);
  }
  return renames.reduce((acc, [from, to]) => renameTensor(acc, from, to), { ...g, nodes } as Graph);
}

/** conv/dense → batchNorm  ⇒  conv/dense with w·scale and b·scale + offset (per output channel). */
export function foldBatchnorm(g: Graph): Graph {
  return mergeInto(g, (n, nodes) => {
    if (n.op !== 'batchNorm') return undefined;
    const p = soleProducer(g, nodes, n.inputs[0]!);
    if (p === undefined) return undefined;
    const cols = n.scale.length;
    const kernel = Float32Array.from(p.kernel.data, (w, i) => w * n.scale[i % cols]!);
    const bias = Float32Array.from(n.offset, (o, c) => (p.bias?.data[c] ?? 0) * n.scale[c]! + o);
    return { ...p, kernel: { shape: p.kernel.shape, data: kernel }, bias: { shape: [cols], data: bias } };
  });
}

/** dense/conv(linear) → relu/relu6  ⇒  dense/conv(relu/relu6), when the producer has no other user. */
export function fuseActivation(g: Graph): Graph {
  return mergeInto(g, (n, nodes) => {
    if (n.op !== 'activation' || (n.fn !== 'relu' && n.fn !== 'relu6')) return undefined;
    const p = soleProducer(g, nodes, n.inputs[0]!);
    return p === undefined ? undefined : { ...p, activation: n.fn };
  });
}

/** pad → conv  ⇒  conv with the padding added to its own (zero padding of real 0 either way). */
export function foldPad(g: Graph): Graph {
  const uses = usesOf(g);
  let out = g;
  for (const pad of g.nodes) {
    if (pad.op !== 'pad') continue;
    const users = uses.get(pad.output) ?? [];
    if (users.length === 0 || users.some((u) => u.op !== 'conv2d') || g.outputs.includes(pad.output)) continue;
    const nodes = out.nodes.flatMap((m): Node[] => {
      if (m === pad) return [];
      if (m.op !== 'conv2d' || m.inputs[0] !== pad.output) return [m];
      return [{ ...m, inputs: [pad.inputs[0]!], pads: m.pads.map((v, i) => v + pad.pads[i]!) as [number, number, number, number] }];
    });
    out = { ...out, nodes };
  }
  return out;
}

/** softmax as the last op → dropped (argmax unchanged, outputs become logits); elsewhere → error. */
export function dropFinalSoftmax(g: Graph): Graph {
  let out = g;
  for (const n of g.nodes.filter((m) => m.op === 'activation' && m.fn === 'softmax')) {
    if (!g.outputs.includes(n.output)) throw new NnchipError('NN110', 'Softmax is supported only as the final layer', { layer: n.name });
    const note = `final softmax "${n.name}" dropped: outputs are logits, argmax unchanged`;
    out = renameTensor({ ...out, nodes: out.nodes.filter((m) => m !== n), notes: [...out.notes, note] }, n.output, n.inputs[0]!);
  }
  return out;
}
