// SPDX-License-Identifier: MIT
/**
 * TF.js graph models (tfjs-converter from a SavedModel / frozen graph: "format": "graph-model",
 * modelTopology.node is a GraphDef) → Graph. Const nodes take their values from the weightsManifest.
 */
import { basename, dirname } from 'node:path';
import { NnchipError, shortName, shownValue, withFile } from '../diagnostics/error.js';
import { usesOf, type Graph, type GraphInput, type Node, type NodeOf, type Tensor } from '../ir/graph.js';
import { fuseTfFunctions, mayFuse } from './tfjs-graph-fuse.js';
import { SPLIT_PART } from './tfjs-graph-layout.js';
import { inferShape } from '../ir/ops.js';
import { checkedElements, type Limits } from './limits.js';
import { chooseOutputs, modelOutputNames, neededBy, withCleanOutputs, type ModelChoice } from './outputs.js';
import { checkOneInput, fillInputShape } from './input-shape.js';
import { convertTfNode, irShapeOf, SUPPORTED_TFJS_GRAPH_OPS, type Runtime, type TfNode, type Value } from './tfjs-graph-ops.js';
import { tfShapeOf } from './tfjs-graph-op.js';
import { readTfjsWeights } from './tfjs-weights.js';

export { SUPPORTED_TFJS_GRAPH_OPS } from './tfjs-graph-ops.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "name", "name:0" and "^name" (a control dependency) refer to node `name`'s first output, "name:k" to its output k. */
function parseInput(ref: string, file: string, node: string): { node: string; control: boolean; output: number } {
  const control = ref.startsWith('^');
  const m = /^\^?([^:]+)(?::(\d+))?$/.exec(ref);
  if (m === null) throw new NnchipError('NN107', `input "${ref}" is not a tensor name`, { file, layer: node });
  return { node: m[1]!, control, output: Number(m[2] ?? 0) };
}

/** The node a signature's output names, which must be its first output. */
function firstOutput(ref: string, file: string): string {
  const r = parseInput(ref, file, 'signature');
  if (r.output !== 0) throw new NnchipError('NN110', `the signature's output "${ref}" is output ${r.output} of a multi-output op (not supported)`, { file, layer: 'signature' });
  return r.node;
}

/** Output k > 0 of an op (TopKV2's indices, Unpack's parts) is read nowhere in what is compiled: refused where it is. */
function checkFirstOutputs(nodes: readonly TfNode[], file: string): void {
  for (const n of nodes) {
    for (const ref of n.inputs) {
      const r = parseInput(ref, file, n.name);
      if (r.output !== 0) throw new NnchipError('NN110', `input "${ref}" reads output ${r.output} of a multi-output op (not supported)`, { file, layer: n.name });
    }
  }
}

function readNodes(topology: unknown, file: string): TfNode[] {
  const raw = isObj(topology) ? topology['node'] : undefined;
  if (!Array.isArray(raw) || raw.length === 0) throw new NnchipError('NN107', 'modelTopology.node is missing or empty', { file });
  const nodes = raw.map((n, i): TfNode => {
    if (!isObj(n) || typeof n['name'] !== 'string' || typeof n['op'] !== 'string') throw new NnchipError('NN107', `node ${i} has no name or op`, { file });
    const inputs = n['input'] ?? [];
    if (!Array.isArray(inputs) || inputs.some((s) => typeof s !== 'string')) throw new NnchipError('NN107', 'the node\'s input list is not a list of names', { file, layer: n['name'] });
    const attr = n['attr'] ?? {};
    // an attribute that is no AttrValue object ({"i": …}, {"list": …}) was read as absent: its default, silently
    if (!isObj(attr)) throw new NnchipError('NN107', 'the node\'s attr is not an object of attributes', { file, layer: n['name'] });
    const bad = Object.keys(attr).find((k) => !isObj(attr[k]));
    if (bad !== undefined) throw new NnchipError('NN107', `attribute "${shortName(bad)}" is ${shownValue(attr[bad]).slice(0, 40)}, not an AttrValue object such as {"i": "2"}`, { file, layer: n['name'], hint: 're-convert the model with tensorflowjs_converter' });
    return { name: n['name'], op: n['op'], inputs: inputs as string[], attr };
  });
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name)) throw new NnchipError('NN202', 'the node name is used twice; names must be unique', { file, layer: n.name });
    seen.add(n.name);
  }
  return nodes;
}

/**
 * Every unsupported op at once, with counts, so one run tells the user everything to replace.
 * `early`: none of them is an op a function of one tensor may be written with (Erf, Pow, …), else wait for the match.
 */
function checkOps(nodes: readonly TfNode[], outs: readonly string[], file: string, early = false): void {
  const unsupported = new Map<string, number>();
  const refused = new Set<string>();
  for (const n of nodes) {
    if (n.table !== undefined || (SUPPORTED_TFJS_GRAPH_OPS as readonly string[]).includes(n.op)) continue;
    unsupported.set(n.op, (unsupported.get(n.op) ?? 0) + 1);
    refused.add(n.name);
  }
  if (early && [...unsupported.keys()].every(mayFuse)) return;
  if (unsupported.size > 0) {
    const list = [...unsupported].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op, k]) => `${op} ×${k}`).join(', ');
    // a network whose graph ends in decoding (ArgMax, TopKV2, NonMaxSuppression, …) compiles up to the node before it
    const e = new NnchipError('NN110', `ops not supported: ${list} (supported: ${SUPPORTED_TFJS_GRAPH_OPS.join(', ')})`, { file, hint: 'replace them with supported ops, or compile the network up to a node before them: --output-name <node> (any node of the graph)' });
    // of several outputs, those that read none of them compile alone
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const reads = (t: string): string[] | undefined => byName.get(t)?.inputs.map((r) => parseInput(r, file, t).node);
    throw withCleanOutputs(e, outs, outs.filter((o) => ![...neededBy([o], reads)].some((t) => refused.has(t))));
  }
}

/** The node(s) the model computes: the signature's outputs, else the nodes nothing reads. */
function outputNodes(json: Json, nodes: readonly TfNode[], controlled: ReadonlySet<string>, file: string): string[] {
  const named = signatureOutputs(json, file).map(([, name]) => name);
  if (named.length > 0) return named;
  const read = new Set(nodes.flatMap((n) => n.inputs.map((r) => parseInput(r, file, n.name).node)));
  const unread = nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'Placeholder').map((n) => n.name);
  // a node only another node's control input waits for (an Assert, a check) is run for its effect, not an output
  const values = unread.filter((name) => !controlled.has(name));
  return values.length > 0 ? values : unread;
}

/** The nodes some node reads through a control input ("^name"). */
function controlInputsOf(nodes: readonly TfNode[], file: string): Set<string> {
  const controlled = new Set<string>();
  for (const n of nodes) for (const r of n.inputs) {
    const dep = parseInput(r, file, n.name);
    if (dep.control) controlled.add(dep.node);
  }
  return controlled;
}

/** A signature's output keys ("output_0", "Identity") → the nodes they name, for --output-name. */
function signatureKeys(json: Json, file: string): Map<string, string> {
  return new Map(signatureOutputs(json, file));
}

/**
 * The signature's outputs as [key, node]: none without a signature. An entry that is no {"name": "node:0"} is
 * NN107 (it was skipped, and the nodes nothing reads taken for the outputs instead).
 */
function signatureOutputs(json: Json, file: string): [string, string][] {
  const sig = json['signature'];
  if (sig === undefined || sig === null) return [];
  const outputs = isObj(sig) ? sig['outputs'] : undefined;
  if (outputs === undefined && isObj(sig)) return [];
  if (!isObj(outputs)) throw new NnchipError('NN107', `the signature${isObj(sig) ? "'s outputs are" : ' is'} ${shownValue(isObj(sig) ? outputs : sig).slice(0, 40)}, not an object`, { file, hint: 're-convert the model with tensorflowjs_converter' });
  return Object.entries(outputs).map(([k, o]) => {
    if (!isObj(o) || typeof o['name'] !== 'string') throw new NnchipError('NN107', `the signature's output "${shortName(k)}" is ${shownValue(o).slice(0, 40)}, not a tensor such as {"name": "Identity:0"}`, { file, hint: 're-convert the model with tensorflowjs_converter' });
    return [k, firstOutput(o['name'], file)];
  });
}

/** A dimension as TF's JSON writes it (a decimal string or number): "0x4" was read as 4. */
function decimalSize(v: unknown): number {
  return typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v)) ? Number(v) : NaN;
}

/** [-1 or 1, ...dims] of a Placeholder → its IR shape and TF rank. */
function placeholderShape(n: TfNode, file: string, limits: Limits, given?: readonly number[]): { shape: number[]; rank: number } {
  const shape = isObj(n.attr['shape']) ? n.attr['shape']['shape'] : undefined;
  const dims = isObj(shape) && Array.isArray(shape['dim']) ? shape['dim'].map((d) => decimalSize(isObj(d) ? d['size'] : undefined)) : [];
  const [batch, ...declared] = dims;
  // a valid shape whose sizes are set at run time (-1: a detector taking any image size, MoveNet multipose, FaceBoxes)
  // is no malformed file: --input-shape names them (input-shape.ts)
  const known = dims.length >= 2 && (batch === -1 || batch === 1) && declared.every((d) => d === -1 || (Number.isInteger(d) && d >= 1));
  if (!known) {
    const raw = isObj(shape) && Array.isArray(shape['dim']) ? shape['dim'].map((d) => (isObj(d) ? d['size'] : d)) : [];
    throw new NnchipError('NN107', `the input shape ${shownValue(raw).slice(0, 80)} is missing or not fully known (expected [-1 or 1, ...positive sizes])`, { file, layer: n.name });
  }
  const rest = fillInputShape(declared.map((d) => (d === -1 ? null : d)), given, { file, layer: n.name });
  checkedElements(rest, limits, { file, layer: n.name }, 'the input');
  const ir = irShapeOf([1, ...rest]);
  if (ir === undefined) throw new NnchipError('NN110', `an input of rank ${dims.length} is not supported (only 2 to 4, with the batch)`, { file, layer: n.name });
  return { shape: ir, rank: dims.length };
}

/** batchNorm → batchNorm (a Mul then an Add by constants) with no other reader ⇒ one batchNorm. */
function mergeAffines(nodes: Node[], outputs: readonly string[]): Node[] {
  const uses = usesOf({ name: '', inputs: [], nodes, outputs, notes: [] });
  const out: Node[] = [];
  const at = new Map<string, number>(); // tensor → index in out of its producer
  for (const n of nodes) {
    const i = at.get(n.inputs[0] ?? '') ?? -1;
    const p = out[i];
    if (n.op === 'batchNorm' && p?.op === 'batchNorm' && uses.get(p.output)?.length === 1 && !outputs.includes(p.output)) {
      const merged: NodeOf<'batchNorm'> = { ...n, inputs: p.inputs, scale: p.scale.map((s, c) => s * n.scale[c]!), offset: p.offset.map((o, c) => o * n.scale[c]! + n.offset[c]!) };
      out[i] = merged;
      at.set(n.output, i);
    } else at.set(n.output, out.push(n) - 1);
  }
  return out;
}

/** The nodes the outputs depend on, each after its inputs (iterative: a deep graph must not overflow the stack). */
function topoOrder(outs: readonly string[], byName: ReadonlyMap<string, TfNode>, file: string): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  // from each output in turn: the first output's nodes first
  const stack: { name: string; next: number }[] = [];
  for (const out of outs) {
    if (state.get(out) !== undefined) continue;
    stack.push({ name: out, next: 0 });
    walkFrom(stack, state, order, byName, file);
  }
  return order;
}

/** topoOrder's depth-first walk from the stack's node: each node after what it reads. */
function walkFrom(stack: { name: string; next: number }[], state: Map<string, 'open' | 'done'>, order: TfNode[], byName: ReadonlyMap<string, TfNode>, file: string): void {
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const n = byName.get(top.name);
    if (n === undefined) throw new NnchipError('NN202', `input tensor "${top.name}" is not produced by any node`, { file });
    if (top.next === 0) state.set(top.name, 'open');
    if (top.next < n.inputs.length) {
      const dep = parseInput(n.inputs[top.next++]!, file, n.name).node;
      if (state.get(dep) === 'open') throw new NnchipError('NN202', 'the graph has a cycle through this node', { file, layer: dep });
      if (state.get(dep) === undefined) stack.push({ name: dep, next: 0 });
      continue;
    }
    state.set(top.name, 'done');
    order.push(n);
    stack.pop();
  }
}

/**
 * NN202 naming a node on a cycle of data inputs, if there is one (Kahn's order over all nodes). A
 * node reading its own output left another node unread, and that was reported as "2 outputs".
 */
function checkAcyclic(nodes: readonly TfNode[], file: string): void {
  // a TF while loop's back edge (NextIteration → Merge) is no cycle to refuse the model for: where
  // the chosen output reads the loop, checkOps refuses its ops by name (with --output-name to cut
  // before them); an output before it (a detector's backbone before its NMS loop) compiles
  const opOf = new Map(nodes.map((n) => [n.name, n.op]));
  const deps = new Map(nodes.map((n) => [n.name, n.inputs.map((r) => parseInput(r, file, n.name)).filter((d) => !d.control && opOf.get(d.node) !== 'NextIteration').map((d) => d.node)]));
  const pending = new Map([...deps].map(([name, ins]) => [name, ins.length]));
  const readersOf = new Map<string, string[]>();
  for (const [name, ins] of deps) {
    for (const d of ins) {
      const list = readersOf.get(d);
      if (list === undefined) readersOf.set(d, [name]);
      else list.push(name);
    }
  }
  const ready = [...pending].filter(([, k]) => k === 0).map(([name]) => name);
  while (ready.length > 0) {
    const name = ready.pop()!;
    pending.delete(name);
    for (const r of readersOf.get(name) ?? []) {
      const k = pending.get(r)! - 1;
      pending.set(r, k);
      if (k === 0) ready.push(r);
    }
  }
  if (pending.size === 0) return;
  // from any node left, follow inputs still left until one repeats: that one is on a cycle
  const seen = new Set<string>();
  let at = pending.keys().next().value!;
  while (!seen.has(at)) {
    seen.add(at);
    at = deps.get(at)!.find((d) => pending.has(d))!;
  }
  throw new NnchipError('NN202', 'the graph has a cycle through this node', { file, layer: at });
}

/**
 * Split and SplitV, the multi-output ops taken: each output that is read (or is `output`) becomes a node of its own,
 * the same op marked with its part; output 0 keeps the name, output k > 0 is `<name>/part<k>`, and every "name:k"
 * reading it reads that node instead.
 */
function expandSplits(nodes: readonly TfNode[], outputs: readonly string[], file: string): TfNode[] {
  const parts = new Map<string, number>();
  for (const n of nodes) {
    if (n.op !== 'Split' && n.op !== 'SplitV') continue;
    const k = Number((n.attr['num_split'] as { i?: unknown } | undefined)?.i);
    if (Number.isInteger(k) && k >= 1 && k <= 4096) parts.set(n.name, k);
  }
  if (parts.size === 0) return [...nodes];
  const names = new Set(nodes.map((n) => n.name));
  const partName = (name: string, k: number): string => (k === 0 ? name : `${name}/part${k}`);
  const read = new Set<string>(outputs);
  for (const n of nodes) for (const ref of n.inputs) {
    const r = parseInput(ref, file, n.name);
    if (parts.has(r.node) && r.output < parts.get(r.node)!) read.add(partName(r.node, r.output));
  }
  for (const [name, k] of parts) for (let i = 1; i < k; i++) if (names.has(partName(name, i))) throw new NnchipError('NN202', `the node name ${partName(name, i)} is used twice (nnchip names Split's outputs so)`, { file, layer: name });
  const reread = (ref: string, reader: string): string => {
    const r = parseInput(ref, file, reader);
    const k = parts.get(r.node);
    return k === undefined || r.output === 0 || r.output >= k ? ref : partName(r.node, r.output);
  };
  return nodes.flatMap((n) => {
    const inputs = n.inputs.map((ref) => reread(ref, n.name));
    const k = parts.get(n.name);
    if (k === undefined) return [{ ...n, inputs }];
    return Array.from({ length: k }, (_, i) => ({ ...n, inputs, name: partName(n.name, i), attr: { ...n.attr, [SPLIT_PART]: { i: String(i) } } })).filter((p) => read.has(p.name));
  });
}

export function importTfjsGraph(json: Json, modelFile: string, limits: Limits, choice: ModelChoice = {}): Graph {
  const file = basename(modelFile);
  let nodes = readNodes(json['modelTopology'], file);
  let byName = new Map(nodes.map((n) => [n.name, n]));
  // a dangling input or a cycle first: either one also changes which nodes look like outputs
  for (const n of nodes) {
    for (const ref of n.inputs) {
      const dep = parseInput(ref, file, n.name);
      if (!dep.control && !byName.has(dep.node)) throw new NnchipError('NN202', `input tensor "${dep.node}" is not produced by any node`, { file, layer: n.name });
    }
  }
  checkAcyclic(nodes, file);
  // control inputs order execution and carry no value: dropped, with the NoOp nodes that only gather them (a
  // SavedModel's output_control_node, read by the outputs' Identity as "^…")
  const controlled = controlInputsOf(nodes, file);
  nodes = nodes.filter((n) => n.op !== 'NoOp').map((n) => ({ ...n, inputs: n.inputs.filter((r) => !parseInput(r, file, n.name).control) }));
  const all = outputNodes(json, nodes, controlled, file);
  if (all.length === 0) throw new NnchipError('NN202', 'the graph has no output: every node is read by another, so they form a cycle', { file });
  // every output, or those --output-name names (an output, its signature's key, or any computed node: the network up
  // to it, before a decoding the machine cannot run), and only the nodes they read
  const live = new Map(nodes.map((n) => [n.name, n]));
  const computed = (name: string): boolean => !['Const', 'Placeholder', undefined].includes(live.get(name)?.op);
  const outs = chooseOutputs(all, choice.output, { file }, signatureKeys(json, file), computed);
  const needed = neededBy(outs, (t) => live.get(t)?.inputs.map((r) => parseInput(r, file, t).node));
  nodes = expandSplits(nodes.filter((n) => needed.has(n.name)), outs, file);
  // before the weights are read, unless the only unsupported ops are ones a function of one tensor may be written with;
  // and before the reads of later outputs, so an unsupported op is refused by name (a while loop's Switch, Unpack)
  checkOps(nodes, outs, file, true);
  checkFirstOutputs(nodes, file);
  const consts = new Set(nodes.filter((n) => n.op === 'Const').map((n) => n.name));
  const weights = readTfjsWeights(json['weightsManifest'], modelFile, limits, (name) => consts.has(name));
  nodes = fuseTfFunctions(nodes, weights, outs, (n) => n.inputs.map((r) => parseInput(r, file, n.name)));
  byName = new Map(nodes.map((n) => [n.name, n]));
  checkOps(nodes, outs, file);
  const values = new Map<string, Value>();
  const irNodes: Node[] = [];
  const inputs: GraphInput[] = [];
  /** IR shape of every runtime tensor emitted so far. */
  const shapeOf = new Map<string, readonly number[]>();
  // how many nodes read each node's output (control inputs are no reads)
  const readers = new Map<string, number>();
  for (const n of nodes) for (const ref of n.inputs) {
    const dep = parseInput(ref, file, n.name);
    if (!dep.control) readers.set(dep.node, (readers.get(dep.node) ?? 0) + 1);
  }
  // an output is read by the host: its producer is never merged into a reader (another output may read it)
  for (const o of outs) readers.set(o, (readers.get(o) ?? 0) + 1);
  const ctx = {
    file,
    limits,
    soleProducer: (output: string): Node | undefined => (readers.get(output) === 1 ? irNodes.find((m) => m.output === output) : undefined),
    drop: (output: string): void => void irNodes.splice(irNodes.findIndex((m) => m.output === output), 1),
    value: (ref: string): Value => values.get(parseInput(ref, file, '').node)!,
    isInput: (name: string): boolean => inputs.some((i) => i.name === name),
    emit: (node: Node, rank: number): Runtime => {
      const shape = withFile(file, () => inferShape(node, node.inputs.map((t) => shapeOf.get(t) ?? [])));
      irNodes.push(node);
      shapeOf.set(node.output, shape);
      return { kind: 'tensor', name: node.output, shape, rank };
    },
  };
  for (const n of topoOrder(outs, byName, file)) {
    let v: Value;
    if (n.op === 'Const') {
      const t = weights.get(n.name);
      if (t === undefined) throw new NnchipError('NN201', `no weight "${n.name}" in the weightsManifest for this Const node`, { file, layer: n.name });
      v = { kind: 'const', tensor: t };
    } else if (n.op === 'Placeholder') {
      const { shape, rank } = placeholderShape(n, file, limits, choice.inputShape);
      inputs.push({ name: n.name, shape });
      shapeOf.set(n.name, shape);
      v = { kind: 'tensor', name: n.name, shape, rank };
    } else v = convertTfNode(n, ctx);
    values.set(n.name, v);
  }
  const tensors = outs.map((o): string => {
    const out = values.get(o)!;
    if (out.kind !== 'tensor') throw new NnchipError('NN110', `the model output${outs.length > 1 ? ` "${o}"` : ''} is a constant`, { file, ...(outs.length > 1 ? { layer: o } : {}) });
    if (out.grouped?.swapped === true) throw new NnchipError('NN110', `the model output is a map's channels split in groups and transposed (${shownValue(tfShapeOf(out))}); nnchip gives a map's channels back in one axis: end the model with the Reshape back to [1, H, W, C]`, { file, layer: o });
    return out.name;
  });
  checkOneInput(inputs.map((i) => i.name), { file });
  return { name: basename(dirname(modelFile)), inputs, nodes: mergeAffines(irNodes, tensors), outputs: tensors, ...modelOutputNames(outs, tensors), notes: [] };
}
