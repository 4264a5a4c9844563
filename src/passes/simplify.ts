// SPDX-License-Identifier: MIT
/** Graph clean-ups before quantization: drop no-ops, fold batch norm and padding, fuse activations. */
import { NnchipError } from '../diagnostics/error.js';
import type { TableActivation } from '../ir/activations.js';
import { checkGraph } from '../ir/verify.js';
import { expandSoftmaxes, softmaxName } from '../ir/softmax.js';
import { isTable, renamedHints, renameTensor, usesOf, type Activation, type Graph, type Node, type NodeOf, type Pads } from '../ir/graph.js';

/**
 * identity(x) → x; activation linear(x) → x; zero padding of 0 pixels → x. One pass, each node's
 * inputs renamed through the no-ops before it: a chain of them (Identity → Dropout) collapses to its
 * source (renaming after each removal left the second one reading the first's vanished output), and
 * a graph of thousands of nodes is not rewritten once per no-op.
 */
export function removeNoOps(g: Graph): Graph {
  const now = new Map<string, string>();
  const nodes: Node[] = [];
  for (const original of g.nodes) {
    const n = original.inputs.some((t) => now.has(t)) ? { ...original, inputs: original.inputs.map((t) => now.get(t) ?? t) } : original;
    const noop = n.op === 'identity' || (n.op === 'activation' && n.fn === 'linear') || (n.op === 'pad' && n.pads.every((p) => p === 0));
    if (noop) now.set(n.output, n.inputs[0]!);
    else nodes.push(n);
  }
  return now.size === 0 ? g : { ...g, nodes, outputs: g.outputs.map((o) => now.get(o) ?? o), ...renamedHints(g.rangeHints, now) };
}

/** How many nodes read each tensor, computed once per graph (the passes ask per node). */
const useCounts = new WeakMap<Graph, Map<string, number>>();
function usesCount(g: Graph, t: string): number {
  let counts = useCounts.get(g);
  if (counts === undefined) {
    counts = new Map();
    for (const n of g.nodes) for (const i of n.inputs) counts.set(i, (counts.get(i) ?? 0) + 1);
    useCounts.set(g, counts);
  }
  return counts.get(t) ?? 0;
}

type Weighted = NodeOf<'dense'> | NodeOf<'conv2d'> | NodeOf<'convTranspose'>;
const isWeighted = (n: Node | undefined): n is Weighted => n?.op === 'dense' || n?.op === 'conv2d' || n?.op === 'convTranspose';

/**
 * The single-use weighted producer of tensor t, if any (only then may we rewrite it); linear unless `activated`.
 * `read`: the name the reader read in `g` before earlier merges renamed it (t: what that name now means). Its uses
 * are the ones that count: conv → relu → {clip, max pool} merged the ReLU (the conv's one reader), and then the
 * clip into the conv too, as the conv's output had one reader in `g` — so the max pool read the clipped values.
 */
function soleProducer(g: Graph, producerOf: (t: string) => Node | undefined, t: string, activated = false, read = t): Weighted | undefined {
  const p = producerOf(t);
  const single = usesCount(g, read) === 1 && !g.outputs.includes(read);
  return isWeighted(p) && (activated || p.activation === 'linear') && single ? p : undefined;
}

const bounds = (a: Exclude<Activation, TableActivation>): readonly [number, number] => (a === 'linear' ? [-Infinity, Infinity] : a === 'relu' ? [0, Infinity] : a === 'relu6' ? [0, 6] : a.clip);

/** clamp(clamp(x, a1, b1), a2, b2) = clamp(x, max(a1, a2), min(b1, b2)) when the intervals meet (e.g. PyTorch's Relu then Clip(0, 6)). */
function composeClamps(first: Activation, then: Activation): Activation | undefined {
  // a table function fuses into a linear producer only (its table is over the producer's accumulator)
  if (isTable(first) || isTable(then)) return first === 'linear' ? then : undefined;
  const [[a1, b1], [a2, b2]] = [bounds(first), bounds(then)];
  const [lo, hi] = [Math.max(a1, a2), Math.min(b1, b2)];
  if (lo > hi) return undefined;
  return lo === 0 && hi === Infinity ? 'relu' : lo === 0 && hi === 6 ? 'relu6' : lo === -Infinity && hi === Infinity ? 'linear' : { clip: [lo, hi] };
}

/**
 * Merge a node into its producer: the node disappears and its output name now means the producer's.
 * Producers are found by name in a map (a search of the nodes kept so far made a chain of 100,000
 * activations quadratic: minutes).
 */
function mergeInto(g: Graph, build: (n: Node, producerOf: (t: string) => Node | undefined, read: string) => Weighted | undefined): Graph {
  const nodes: Node[] = [];
  const at = new Map<string, number>(); // output name → index in nodes
  const producerOf = (t: string): Node | undefined => {
    const i = at.get(t);
    return i === undefined ? undefined : nodes[i];
  };
  const now = new Map<string, string>();
  for (const original of g.nodes) {
    // inputs renamed by earlier merges, so a chain (conv → relu → clip) merges step by step
    const n = original.inputs.some((t) => now.has(t)) ? { ...original, inputs: original.inputs.map((t) => now.get(t) ?? t) } : original;
    const merged = build(n, producerOf, original.inputs[0] ?? '');
    if (merged === undefined) {
      if (!at.has(n.output)) at.set(n.output, nodes.length);
      nodes.push(n);
      continue;
    }
    const i = at.get(n.inputs[0]!)!;
    nodes[i] = merged;
    now.set(n.output, merged.output);
  }
  // later nodes read the merged names already (above); the graph's outputs and range hints too
  return now.size === 0 ? g : { ...g, nodes, outputs: g.outputs.map((o) => now.get(o) ?? o), ...renamedHints(g.rangeHints, now) };
}

/** conv/dense → batchNorm  ⇒  conv/dense with w·scale and b·scale + offset (per output channel). */
export function foldBatchnorm(g: Graph): Graph {
  return mergeInto(g, (n, producerOf, read) => {
    if (n.op !== 'batchNorm') return undefined;
    const p = soleProducer(g, producerOf, n.inputs[0]!, false, read);
    if (p === undefined) return undefined;
    const cols = n.scale.length;
    const kernel = Float32Array.from(p.kernel.data, (w, i) => w * n.scale[i % cols]!);
    const bias = Float32Array.from(n.offset, (o, c) => (p.bias?.data[c] ?? 0) * n.scale[c]! + o);
    return { ...p, kernel: { shape: p.kernel.shape, data: kernel }, bias: { shape: [cols], data: bias } };
  });
}

/** dense/conv(act) → relu/relu6/clip  ⇒  dense/conv(both clamps composed), when the producer has no other user. */
export function fuseActivation(g: Graph): Graph {
  return mergeInto(g, (n, producerOf, read) => {
    if (n.op !== 'activation' || n.fn === 'linear' || n.fn === 'softmax' || n.fn === 'logsoftmax') return undefined;
    const p = soleProducer(g, producerOf, n.inputs[0]!, true, read);
    const activation = p === undefined ? undefined : composeClamps(p.activation, n.fn);
    return p === undefined || activation === undefined ? undefined : { ...p, activation };
  });
}

const addPads = (a: Pads, b: Pads): Pads => a.map((v, i) => v + b[i]!) as unknown as Pads;

/**
 * pad → conv  ⇒  conv with the padding added to its own (zero padding of real 0 either way);
 * pad → average pool  ⇒  pool whose added padding is counted in the divisor (the pad's zeros are
 * real taps). A max pool pads with −∞, not 0, so a pad before one stays (lowered as a copy).
 */
export function foldPad(g: Graph): Graph {
  const uses = usesOf(g);
  let out = g;
  for (const pad of g.nodes) {
    if (pad.op !== 'pad' || pad.mode !== undefined) continue;
    const users = uses.get(pad.output) ?? [];
    const folds = (u: Node): boolean => u.op === 'conv2d' || (u.op === 'pool2d' && u.kind === 'avg');
    if (users.length === 0 || !users.every(folds) || g.outputs.includes(pad.output)) continue;
    const nodes = out.nodes.flatMap((m): Node[] => {
      if (m === pad) return [];
      if (m.inputs[0] !== pad.output) return [m];
      if (m.op === 'conv2d') return [{ ...m, inputs: [pad.inputs[0]!], pads: addPads(m.pads, pad.pads) }];
      if (m.op === 'pool2d') return [{ ...m, inputs: [pad.inputs[0]!], pads: addPads(m.pads, pad.pads), countPads: addPads(m.countPads ?? [0, 0, 0, 0], pad.pads) }];
      return [m];
    });
    out = { ...out, nodes };
  }
  return out;
}

/** batchNorm → batchNorm (e.g. input normalization (x − mean) / std, two ONNX ops)  ⇒  one batchNorm. */
export function mergeBatchnorms(g: Graph): Graph {
  let out = g;
  for (const second of g.nodes) {
    if (second.op !== 'batchNorm') continue;
    const first = out.nodes.find((m) => m.output === second.inputs[0]);
    // merging moves first's reads to the merged node: every tensor keeps its number of readers
    if (first?.op !== 'batchNorm' || usesCount(g, first.output) !== 1 || out.outputs.includes(first.output)) continue;
    const merged: Node = { ...second, inputs: first.inputs, scale: first.scale.map((s, c) => s * second.scale[c]!), offset: first.offset.map((o, c) => o * second.scale[c]! + second.offset[c]!) };
    out = { ...out, nodes: out.nodes.filter((m) => m !== first).map((m) => (m === second ? merged : m)) };
  }
  return out;
}

/**
 * A softmax's output is the graph's, or reaches it through views only (reshape / flatten, each the sole reader:
 * Keras 2.1's MobileNet, softmax on the [1, 1, K] map then Reshape([K]); torch's log_softmax(dim=2) then
 * .squeeze(1)) that keep its channels as the output's last axis, so each output row is one pixel's channels as
 * the softmax normalized them (a Flatten of several pixels would make the whole vector's argmax another one).
 */
function reachesOutputByViews(g: Graph, n: Node): boolean {
  let t = n.output;
  for (let hops = 0; hops < 8; hops++) {
    if (g.outputs.includes(t)) {
      if (t === n.output) return true;
      const shapes = checkGraph(g);
      return shapes.get(t)?.at(-1) === shapes.get(n.inputs[0]!)?.at(-1);
    }
    const readers = g.nodes.filter((m) => m.inputs.includes(t));
    if (readers.length !== 1 || (readers[0]!.op !== 'reshape' && readers[0]!.op !== 'flatten')) return false;
    t = readers[0]!.output;
  }
  return false;
}

/**
 * softmax / log-softmax as the last op (or before views to the output, above) → dropped (argmax unchanged,
 * outputs become logits); inside the network, over a vector's features or a map's channels per pixel → ops that
 * exist (ir/softmax.ts); over anything else → error.
 */
export function dropFinalSoftmax(g: Graph): Graph {
  const inner = (n: Node): boolean => !reachesOutputByViews(g, n);
  let out = expandSoftmaxes(g, inner, (n, rank) => {
    throw new NnchipError('NN110', `${softmaxName(n)} of a ${rank}-D tensor is supported only as the final layer (inside the network: over a vector's features or a map's channels)`, { layer: n.name });
  });
  for (const n of out.nodes) {
    if (n.op !== 'activation' || (n.fn !== 'softmax' && n.fn !== 'logsoftmax')) continue;
    const what = n.fn === 'softmax' ? 'softmax' : 'log-softmax';
    const note = `final ${what} "${n.name}" dropped: outputs are logits, argmax unchanged`;
    out = renameTensor({ ...out, nodes: out.nodes.filter((m) => m !== n), notes: [...out.notes, note] }, n.output, n.inputs[0]!);
  }
  return out;
}
