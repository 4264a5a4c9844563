// SPDX-License-Identifier: MIT
/**
 * ONNX (protobuf, decoded with onnx-proto's protobufjs code) → Graph. Opsets 1–20 (1 to 10 read as 11: onnx-upgrade.ts; below 7 the forms onnx-opsets.ts legacyForm takes), one float
 * input of static shape [N, C, H, W], [N, C, L] / [N, T, F] or [N, K] with N = 1 or symbolic;
 * weights from initializers or Constant nodes, including external data inside the model's folder.
 */
import { basename, dirname } from 'node:path';
import { fmtInt, NnchipError, shortName, withFile, type ErrorSite, shownValue } from '../diagnostics/error.js';
import { foldInputReshapes, type Graph, type GraphInput, type Node, type Tensor } from '../ir/graph.js';
import { Op, type Built, type OnnxView } from './onnx-op.js';
import { unsupportedOps } from './onnx-unsupported.js';
import { inferShape } from '../ir/ops.js';
import { checkedElements, maxDecodedValues, type Limits } from './limits.js';
import { SUPPORTED_ONNX_OPS, isSupportedOnnxOp, onnxNodeToNodes, readsSteps, transposedToSteps, type OnnxContext } from './onnx-ops.js';
import { Attributes, checkDeclaredWeights, dtypeName, floatTensor, intTensor, isFloatType, onnxSchema, quantizedTensor, toInt, type TensorProto, type TensorSource } from './onnx-tensors.js';

import { declaredRanks, legacyForm, modelOpset, unreviewedOpsetChange } from './onnx-opsets.js';
import { FOLDED_OPS, foldConstant } from './onnx-fold.js';
import { constDimsOf, constantValue, fuseFunctions, identityCopies, scalarOf, type Fused, type GraphProto, type ModelProto, type NodeProto } from './onnx-prewalk.js';
import { onnxNesting } from './onnx-depth.js';
import { onnxForOutputs, withCleanOutputs, type ModelChoice } from './outputs.js';
import { checkOneInput, fillInputShape } from './input-shape.js';
import { pruneToOutputs, readInitializers } from './onnx-prune.js';
import { upgradeNodes } from './onnx-upgrade.js';
import { foldQuantized, QUANT_FOLDED_OPS, rewriteQuantized, type QuantFoldContext } from './onnx-quant.js';

export { SUPPORTED_ONNX_OPS } from './onnx-ops.js';
export { ONNX_OPSETS } from './onnx-opsets.js';


/** Subgraphs (If/Loop/Scan bodies) or types nested deeper than this are refused before decoding: protobufjs decodes recursively. */
export const MAX_ONNX_NESTING = 64;

function decode(bytes: Uint8Array, file: string, limits: Limits): ModelProto {
  const nesting = onnxNesting(bytes, MAX_ONNX_NESTING, maxDecodedValues(limits));
  if (nesting.values > maxDecodedValues(limits)) throw new NnchipError('NN109', `holds over ${fmtInt(maxDecodedValues(limits))} nodes, names and values to decode (${fmtInt(bytes.length)} bytes): over --max-memory`, { file });
  if (nesting.graphs > MAX_ONNX_NESTING) throw new NnchipError('NN107', `nests subgraphs (If/Loop/Scan bodies) over ${MAX_ONNX_NESTING} levels deep`, { file });
  if (nesting.types > MAX_ONNX_NESTING) throw new NnchipError('NN107', `nests types (sequences, maps, optionals) over ${MAX_ONNX_NESTING} levels deep`, { file });
  try {
    return onnxSchema().ModelProto.decode(bytes);
  } catch (e) {
    throw new NnchipError('NN107', `not a valid ONNX protobuf (${String((e as Error).message).split('\n')[0]})`, { file });
  }
}

/** Whether the input's consumers read it channels-last ([N, T, F] × W: MatMul) rather than as [N, C, L]. */
function readsRowsOf(g: GraphProto, name: string): boolean {
  return (g.node ?? []).some((n) => (n.input ?? [])[0] === name && (n.opType === 'MatMul' || n.opType === 'Gemm' || transposedToSteps(g.node ?? [], n)));
}


/** Whether the input's consumers read a [K, 1] column: Gemm with transA 1. */
function readsColumnOf(g: GraphProto, name: string): boolean {
  const users = (g.node ?? []).filter((n) => (n.input ?? []).includes(name));
  return users.length > 0 && users.every((n) => n.opType === 'Gemm' && (n.attribute ?? []).some((a) => a.name === 'transA' && Number(a.i) === 1));
}

/**
 * The one float input: [N, C, H, W] → IR [H, W, C] (layout 'chw'); [N, C, L] → [1, L, C] ('chw'),
 * or [N, T, F] → [1, T, F] when a MatMul reads its rows, or a recurrent op [T, 1, F] (torch's steps-first layout, the
 * same elements); [N, K] → [K] (and [K, 1] for Gemm transA).
 */
function graphInput(g: GraphProto, consts: ReadonlyMap<string, TensorProto>, file: string, limits: Limits, given?: readonly number[]): { input: GraphInput; view: OnnxView } {
  // the inputs the chosen output reads (the graph was pruned to it): of a model of two inputs, an output of one compiles
  const read = new Set((g.node ?? []).flatMap((n) => n.input ?? []));
  const all = (g.input ?? []).filter((i) => !consts.has(i.name ?? ''));
  const used = all.filter((i) => read.has(i.name ?? ''));
  const inputs = all.length > 1 && used.length > 0 ? used : all;
  // an input with an initializer of its name is one with a default value (IR 4+): read as that constant, none was left ("0 inputs ()")
  const shadowed = (g.input ?? []).find((i) => consts.has(i.name ?? ''));
  if (inputs.length === 0 && shadowed !== undefined) {
    throw new NnchipError('NN116', `the graph input "${shadowed.name ?? ''}" has an initializer of the same name (a default value), so nnchip reads it as that constant and the model has no input left`, { file, hint: 'remove that initializer from the graph (onnx: graph.initializer), so the input is one the caller gives' });
  }
  checkOneInput(inputs.map((i) => i.name ?? ''), { file }, ' (the others must be initializers)');
  const info = inputs[0]!;
  const name = info.name ?? '';
  const site = { file };
  const t = info.type?.tensorType;
  if (t === null || t === undefined) throw new NnchipError('NN116', `input "${name}" is not a tensor`, site);
  // a float16 model (onnxconverter-common keep_io_types=False) takes FLOAT16: read as float32, which holds every half value
  // an integer image input (uint8 / int32, as exporters write one a preprocessing Cast reads) read only by Casts to a float
  // type: nnchip reads the samples as numbers, each Cast an identity (exact up to 2^24)
  if (!isFloatType(t.elemType) && !(INTEGER_INPUTS.has(dtypeName(t.elemType)) && castToFloatOnly(g, name))) {
    throw new NnchipError('NN116', `input "${name}" has element type ${dtypeName(t.elemType)}; nnchip needs FLOAT (or FLOAT16, BFLOAT16, DOUBLE), or an integer type read only by Casts to a float type`, site);
  }
  // sizes left to run time (a symbolic or missing dimension) are null, then filled by --input-shape (input-shape.ts)
  const declared = (t.shape?.dim ?? []).map((d, i): number | null => {
    if (d.dimParam) {
      if (i === 0 && readsSteps(g.node ?? [], name)) throw new NnchipError('NN116', `input "${name}" dimension 0, the steps of a recurrent op's sequence [T, 1, F], is dynamic ("${d.dimParam}"); a recurrent layer is unrolled over a fixed number of steps (export with a fixed sequence length)`, site);
      return i === 0 ? 1 : null;
    }
    if (!Object.hasOwn(d, 'dimValue')) return i === 0 ? 1 : null;
    return toInt(d.dimValue, site, `input "${name}" dimension ${i}`);
  });
  const dims = declared.length === 0 ? [] : [declared[0]!, ...fillInputShape(declared.slice(1), given, site, `input "${name}"`)];
  checkedElements(dims, limits, site, `input "${name}"`);
  if (dims.length === 2 && dims[1] === 1 && readsColumnOf(g, name)) return { input: { name, shape: [dims[0]!] }, view: { rank: 2, last: false, transposed: true } };
  if (dims.length === 3 && dims[1] === 1 && readsSteps(g.node ?? [], name)) return { input: { name, shape: [1, dims[0]!, dims[2]!] }, view: { rank: 3, last: true, exact: dims } };
  if (dims[0] !== 1) throw new NnchipError('NN116', `input "${name}" has shape ${shownValue(dims)}; the batch dimension must be 1 or symbolic`, site);
  if (dims.length === 4) return { input: { name, shape: [dims[2]!, dims[3]!, dims[1]!], layout: 'chw' }, view: { rank: 4, last: false } };
  if (dims.length === 3 && readsRowsOf(g, name)) return { input: { name, shape: [1, dims[1]!, dims[2]!] }, view: { rank: 3, last: true } };
  if (dims.length === 3) return { input: { name, shape: [1, dims[2]!, dims[1]!], layout: 'chw' }, view: { rank: 3, last: false } };
  if (dims.length === 2) return { input: { name, shape: [dims[1]!] }, view: { rank: 2, last: false } };
  throw new NnchipError('NN116', `input "${name}" has shape ${shownValue(dims)}; nnchip reads [N, C, H, W] images, [N, C, L] / [N, T, F] sequences or [N, K] vectors`, site);
}

/** Integer input types an image may come in. */
const INTEGER_INPUTS = new Set(['UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'UINT32', 'UINT64']);

/** Whether every node reading `name` is a Cast to a float type (and one does). */
function castToFloatOnly(g: GraphProto, name: string): boolean {
  const readers = (g.node ?? []).filter((n) => (n.input ?? []).includes(name));
  return readers.length > 0 && readers.every((n) => n.opType === 'Cast' && (n.attribute ?? []).some((a) => a.name === 'to' && isFloatType(Number(String(a.i ?? NaN)))));
}

/** Walks the nodes in order, building IR nodes and tracking every activation's IR shape and ONNX view. */
class Walker implements OnnxContext, QuantFoldContext {
  readonly nodes: Node[] = [];
  readonly notes: string[] = [];
  private readonly inputs: ReadonlySet<string>;
  private readonly outputs: ReadonlySet<string>;
  /** what the graph computes: its input and every node's outputs */
  private readonly produced: ReadonlySet<string>;
  readonly shapes = new Map<string, readonly number[]>();
  readonly views = new Map<string, OnnxView>();
  private readonly floatCache = new Map<string, { dims: number[]; data: Float32Array }>();
  private readonly weights = new Map<string, Tensor>();
  private readonly uses = new Map<string, number>();
  private readonly dataUses = new Map<string, number>();
  private readonly producers = new Map<string, NodeProto>();
  private readonly readers = new Map<string, NodeProto[]>();
  private params = 0;

  constructor(readonly opset: number, readonly consts: Map<string, TensorProto>, private readonly src: TensorSource, g: GraphProto) {
    this.inputs = new Set((g.input ?? []).map((i) => i.name ?? '').filter((n) => !consts.has(n)));
    this.outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
    this.produced = new Set([...this.inputs, ...(g.node ?? []).flatMap((n) => n.output ?? [])]);
    for (const n of g.node ?? []) for (const i of n.input ?? []) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) this.producers.set(o, n);
      for (const i of new Set(n.input ?? [])) {
        const list = this.readers.get(i);
        if (list === undefined) this.readers.set(i, [n]);
        else list.push(n);
      }
    }
    // reads of the values (Shape reads only the shape, which every rewrite keeps)
    for (const n of g.node ?? []) if (n.opType !== 'Shape') for (const i of n.input ?? []) this.dataUses.set(i, (this.dataUses.get(i) ?? 0) + 1);
    for (const o of g.output ?? []) this.dataUses.set(o.name ?? '', (this.dataUses.get(o.name ?? '') ?? 0) + 2);
    for (const o of g.output ?? []) this.uses.set(o.name ?? '', (this.uses.get(o.name ?? '') ?? 0) + 2);
  }

  isModelInput(name: string): boolean {
    return this.inputs.has(name);
  }

  isModelOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  onnxProducer(name: string): NodeProto | undefined {
    return this.producers.get(name);
  }

  onnxReaders(name: string): readonly NodeProto[] {
    return this.readers.get(name) ?? [];
  }

  isConst(name: string): boolean {
    return this.consts.has(name);
  }

  floats(name: string, site: ErrorSite, what: string): { dims: number[]; data: Float32Array } {
    const cached = this.floatCache.get(name);
    if (cached) return cached;
    const proto = this.consts.get(name);
    if (proto === undefined) throw this.notConstant(name, site, what);
    const t = floatTensor(proto, this.src, site, `tensor "${name}"`);
    this.params += t.data.length;
    if (this.params > this.src.limits.maxParams) throw new NnchipError('NN109', `the model has over ${fmtInt(this.src.limits.maxParams)} weights (--max-params)`, site);
    this.floatCache.set(name, t);
    return t;
  }

  ints(name: string, site: ErrorSite, what: string, saturate = false): number[] {
    const proto = this.consts.get(name);
    if (proto === undefined) throw this.notConstant(name, site, what);
    return intTensor(proto, this.src, site, `tensor "${name}"`, saturate).data;
  }

  /** A weight that is no initializer: computed at run time (NN110), or named by nothing at all (NN202: it was "computed at run time"). */
  private notConstant(name: string, site: ErrorSite, what: string): NnchipError {
    if (!this.produced.has(name)) return new NnchipError('NN202', `${what} "${name}" is not an initializer, a Constant or any node's output`, site);
    return new NnchipError('NN110', `${what} "${name}" is computed at run time; nnchip needs it as a constant (initializer)`, site);
  }

  weight(name: string, transform: string, site: ErrorSite, make: (dims: number[], data: Float32Array) => Tensor): Tensor {
    const key = `${name}\u0000${transform}`;
    let w = this.weights.get(key);
    if (w === undefined) {
      const { dims, data } = this.floats(name, site, 'weight');
      w = make(dims, data);
      this.weights.set(key, w);
    }
    return w;
  }

  irShape(name: string): readonly number[] {
    const s = this.shapes.get(name);
    if (s === undefined) throw new NnchipError('NN202', `input tensor "${name}" is not produced by any earlier node`);
    return s;
  }

  view(name: string): OnnxView {
    return this.views.get(name) ?? { rank: this.irShape(name).length === 3 ? 4 : 2, last: false };
  }

  onnxShape(name: string): readonly number[] {
    const s = this.irShape(name);
    const v = this.view(name);
    if (v.exact !== undefined) return v.exact;
    if (s.length === 3) {
      const [h, w, c] = s as [number, number, number];
      if (v.groups !== undefined) return [1, ...v.groups, h, w];
      if (v.blocks !== undefined) {
        const r = v.blocks.r;
        return v.blocks.form === 'pixels' ? [1, c, h / r, r, w / r, r] : [1, c / (r * r), r, r, h, w];
      }
      if (v.grouped !== undefined) return [1, v.grouped.groups, (h * w * c) / v.grouped.groups];
      if (v.flat !== undefined) return v.last ? [1, h * w, c] : [1, c, h * w];
      const spatial = v.rank === 3 ? [w] : [h, w];
      return v.last ? [1, ...spatial, c] : [1, c, ...spatial];
    }
    const units = Array<number>(Math.max(0, v.rank - 2)).fill(1);
    if (v.transposed) return [s[0]!, 1];
    return v.last ? [1, ...units, s[0]!] : [1, s[0]!, ...units];
  }

  isMap(name: string): boolean {
    return this.irShape(name).length === 3;
  }

  asMap(name: string, site: ErrorSite): string {
    if (this.isMap(name)) return name;
    const v = this.view(name);
    if (v.rank < 3) throw new NnchipError('NN203', `input "${name}" has shape ${shownValue(this.onnxShape(name))}; expected a feature map [N, C, H, W] or [N, C, L]`, site);
    const map = `${name}/map`;
    if (!this.shapes.has(map)) this.push({ name: map, op: 'reshape', inputs: [name], output: map, shape: [1, 1, this.irShape(name)[0]!], view: v });
    return map;
  }

  plainView(name: string): string {
    const plain = `${name}/plain`;
    const shape = this.irShape(name);
    if (!this.shapes.has(plain)) this.push({ name: plain, op: 'reshape', inputs: [name], output: plain, shape: [...shape], view: { rank: shape.length === 3 ? 4 : 2, last: false } });
    return plain;
  }

  asSignal(name: string): string {
    const signal = `${name}/signal`;
    if (!this.shapes.has(signal)) this.push({ name: signal, op: 'reshape', inputs: [name], output: signal, shape: [1, this.irShape(name)[0]!, 1], view: { rank: 3, last: false } });
    return signal;
  }

  foldBias(x: string, bias: Float32Array, output: string): boolean {
    const at = this.nodes.findIndex((n) => n.output === x);
    const p = this.nodes[at];
    if (p === undefined || (p.op !== 'dense' && p.op !== 'conv2d') || p.bias !== null || this.uses.get(x) !== 1) return false;
    this.nodes[at] = { ...p, bias: { shape: [bias.length], data: bias }, output };
    this.shapes.set(output, this.irShape(x));
    this.views.set(output, this.view(x));
    return true;
  }

  intConst(name: string, site: ErrorSite, saturate = false): { dims: number[]; data: number[] } | undefined {
    const proto = this.consts.get(name);
    if (proto === undefined || (proto.dataType !== onnxSchema().TensorProto.DataType.INT64 && proto.dataType !== onnxSchema().TensorProto.DataType.INT32)) return undefined;
    return intTensor(proto, this.src, site, `tensor "${name}"`, saturate);
  }

  quantConst(name: string, site: ErrorSite): ReturnType<typeof quantizedTensor> | undefined {
    const proto = this.consts.get(name);
    return proto === undefined ? undefined : quantizedTensor(proto, this.src, site, `tensor "${name}"`);
  }

  groupsOf(name: string): readonly [number, number] | undefined {
    return this.views.get(name)?.groups;
  }

  get maxFloats(): number {
    return this.src.limits.maxParams;
  }

  floatConst(name: string, site: ErrorSite): { dims: number[]; data: Float32Array } | undefined {
    const proto = this.consts.get(name);
    return proto === undefined || !isFloatType(proto.dataType) ? undefined : floatTensor(proto, this.src, site, `tensor "${name}"`);
  }

  scalarConst(name: string, site: ErrorSite): number | undefined {
    const v = this.floatConst(name, site)?.data ?? this.intConst(name, site)?.data;
    return v?.length === 1 && Number.isFinite(v[0]) ? v[0] : undefined;
  }

  constShape(name: string): readonly number[] | undefined {
    const t = this.consts.get(name);
    return t === undefined ? undefined : (t.dims ?? []).map((d) => toInt(d, { layer: name }, 'a dimension'));
  }

  activationShape(name: string): readonly number[] | undefined {
    return this.shapes.has(name) ? this.onnxShape(name) : undefined;
  }

  soleProducer(name: string): Node | undefined {
    return this.uses.get(name) === 1 ? this.nodes.find((n) => n.output === name) : undefined;
  }

  permuteUnits(name: string, perm: readonly number[]): boolean {
    const chain: number[] = [];
    for (let t = name; ; ) {
      const at = this.nodes.findIndex((n) => n.output === t);
      const p = this.nodes[at];
      if (p === undefined || this.dataUses.get(t) !== 1) return false;
      if (p.op === 'activation') {
        // the same function on every unit: clamps and tables without per-channel slopes
        if (p.fn === 'softmax' || p.fn === 'logsoftmax' || (typeof p.fn === 'object' && 'slopes' in p.fn && (p.fn.slopes?.length ?? 1) > 1)) return false;
        chain.push(at);
        t = p.inputs[0]!;
        continue;
      }
      if (p.op !== 'dense') return false;
      const [k, n] = p.kernel.shape as [number, number];
      if (n !== perm.length) return false;
      const kernel = new Float32Array(k * n);
      for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) kernel[i * n + j] = p.kernel.data[i * n + perm[j]!]!;
      const bias = p.bias === null ? null : { shape: p.bias.shape, data: Float32Array.from(perm, (q) => p.bias!.data[q]!) };
      this.nodes[at] = { ...p, kernel: { shape: p.kernel.shape, data: kernel }, bias };
      return true;
    }
  }

  drop(name: string): void {
    this.nodes.splice(this.nodes.findIndex((n) => n.output === name), 1);
  }

  push(built: Built): void {
    const { view, ...n } = built as Built & { view?: OnnxView };
    const shape = inferShape(n as Node, n.inputs.map((t) => this.irShape(t)));
    this.shapes.set(n.output, shape);
    const from = n.inputs[0] === undefined ? undefined : this.view(n.inputs[0]);
    const { expandedTo: _, ...kept } = from ?? { rank: 0, last: false }; // an Expand's view is its own (onnx-op.ts OnnxView.expandedTo)
    const inherited = from !== undefined && (this.irShape(n.inputs[0]!).length === 3) === (shape.length === 3) ? kept : undefined;
    this.views.set(n.output, view ?? inherited ?? { rank: shape.length === 3 ? 4 : 2, last: false });
    this.nodes.push(n as Node);
  }
}

/** Convert every node; unsupported ops and refused nodes are collected so one error names them all. */
function walk(g: GraphProto, w: Walker, tables: ReadonlyMap<NodeProto, Fused>): void {
  const names = new Set<string>();
  const refused: { name: string; opType: string; error: NnchipError | null }[] = [];
  const poisoned = new Set<string>();
  (g.node ?? []).forEach((n, i) => {
    const opType = n.opType ?? '';
    let name = n.name || `${opType}_${i}`;
    if (names.has(name)) name = `${name}_${i}`;
    names.add(name);
    const site = { layer: name };
    // a node without an op type was counted as an unsupported op named "" ("unsupported ops  ×300000")
    if (opType === '') throw new NnchipError('NN107', `node ${i} has no op type`, site);
    const outputs = n.output ?? [];
    const skip = (error: NnchipError | null): void => {
      refused.push({ name, opType: n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${opType}` : opType, error });
      for (const o of outputs) poisoned.add(o);
    };
    // a name is defined once (SSA): an output that re-defines an initializer, Constant or the input was read as the older one
    const again = outputs.find((o) => o !== '' && (w.consts.has(o) || w.shapes.has(o)));
    if (again !== undefined) throw new NnchipError('NN202', `tensor "${again}" is produced twice (it is also ${w.consts.has(again) ? 'an initializer or Constant' : 'the model input or an earlier output'})`, site);
    const standard = !n.domain || n.domain === 'ai.onnx';
    // a fused subgraph reads its one input x (its last node's own inputs were removed with the subgraph)
    const table = tables.get(n);
    if ((table === undefined ? (n.input ?? []) : [table.x]).some((t) => poisoned.has(t))) {
      if (!tables.has(n) && (!standard || !(isSupportedOnnxOp(opType) || FOLDED_OPS.includes(opType) || QUANT_FOLDED_OPS.includes(opType)))) return skip(null);
      for (const o of outputs) poisoned.add(o);
      return;
    }
    // shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape) on constants: a constant
    // and Q/DQ of constants (onnx-quant.ts): a quantized weight is its float value
    if (standard && (FOLDED_OPS.includes(opType) || QUANT_FOLDED_OPS.includes(opType))) {
      try {
        const folded = (QUANT_FOLDED_OPS.includes(opType) ? foldQuantized : foldConstant)({ name, opType, inputs: n.input ?? [], outputs, attrs: new Attributes(n.attribute, site) }, w);
        if (folded !== null) {
          w.consts.set(outputs[0] ?? '', folded);
          return;
        }
      } catch (e) {
        if (!(e instanceof NnchipError) || e.code !== 'NN110') throw e;
        return skip(e);
      }
    }
    if (table !== undefined) {
      // the subgraph's function of x, on x (read as an element-wise op reads it: the root's op type is one)
      const o = new Op({ name, opType, inputs: [table.x], outputs, attrs: new Attributes([], site) }, w);
      // a constant of one value everywhere (torch.zeros_like(x)) must not broadcast x to a larger shape
      const xs = w.onnxShape(table.x);
      const up = table.splats.find((d) => d.length > xs.length || d.some((v, k) => v !== 1 && v !== xs[xs.length - d.length + k]));
      if (up !== undefined) return skip(o.fail(`a constant of shape ${shownValue(up)} broadcasts the function's input ${shownValue(xs)} to another shape; only constants of its shape or broadcast to it are supported`));
      // a function of each element: an exact view ([N, H, W] of a reduction, a recurrent output) stays as it is
      w.push({ ...o.base([w.view(table.x).exact !== undefined && !w.consts.has(table.x) ? table.x : o.activation(0)]), op: 'activation', fn: table.fn });
      return;
    }
    if (!standard || !isSupportedOnnxOp(opType)) return skip(null);
    if (opType === 'Constant') {
      w.consts.set(outputs[0] ?? '', constantValue(n, site));
      return;
    }
    // torch.onnx.export stores equal initializers once and re-creates each copy with an Identity.
    const copied = opType === 'Identity' ? w.consts.get(n.input?.[0] ?? '') : undefined;
    if (copied !== undefined) {
      w.consts.set(outputs[0] ?? '', copied);
      return;
    }
    try {
      const built = onnxNodeToNodes({ name, opType, inputs: n.input ?? [], outputs, attrs: new Attributes(n.attribute, site) }, w);
      for (const b of built) w.push(b);
    } catch (e) {
      if (!(e instanceof NnchipError) || e.code !== 'NN110') throw e;
      skip(e);
    }
  });
  const problem = unsupportedOps(refused, SUPPORTED_ONNX_OPS);
  // a refused node poisons what reads it: the outputs it did not reach compile alone
  const outs = (g.output ?? []).map((o) => o.name ?? '');
  if (problem !== null) throw withCleanOutputs(problem, outs, outs.filter((o) => !poisoned.has(o)));
}

export function importOnnx(bytes: Uint8Array, modelFile: string, limits: Limits, choice: ModelChoice = {}): Graph {
  const file = basename(modelFile);
  const model = decode(bytes, file, limits);
  const g = model.graph;
  const declaresIo = g !== null && g !== undefined && (g.input ?? []).length > 0 && (g.output ?? []).length > 0;
  // a graph of inputs and outputs but no node passes its input through: a model, not a broken file (it was "not an ONNX model")
  if (declaresIo && (g.node ?? []).length === 0) throw new NnchipError('NN305', 'the graph has inputs and outputs but no node: it computes nothing', { file });
  if (g === null || g === undefined || (g.node ?? []).length === 0) throw new NnchipError('NN107', 'not an ONNX model (decoding found no graph with nodes)', { file });
  const outs = onnxForOutputs(g, choice.output, file); // every output, or those --output-name names
  pruneToOutputs(g, outs, file); // and the nodes they read, as ONNX Runtime runs them
  const opset = modelOpset(model, file);
  const rankOf = declaredRanks(g);
  for (const [i, n] of (g.node ?? []).entries()) {
    const changed = isSupportedOnnxOp(n.opType ?? '') ? (unreviewedOpsetChange(n.opType ?? '', opset, file) ?? legacyForm(n, opset, file, n.name || `${n.opType ?? ''}_${i}`, rankOf)) : null;
    if (changed !== null) throw changed;
  }
  checkDeclaredWeights(readInitializers(g, outs), limits, file);
  const consts = new Map<string, TensorProto>();
  for (const t of g.initializer ?? []) {
    const site = { file };
    // a second initializer of one name replaced the first, silently (ONNX's checker: "Duplicate definition of name")
    if (consts.has(t.name ?? '')) throw new NnchipError('NN107', `initializer "${t.name ?? ''}" is defined twice`, site);
    consts.set(t.name ?? '', t);
  }
  const src = { file, dir: dirname(modelFile), limits };
  g.node = upgradeNodes(g.node ?? [], opset, consts);
  g.node = rewriteQuantized(g.node, consts, (g.output ?? []).map((o) => o.name ?? ''), src);
  const tables = new Map<NodeProto, Fused>();
  const constNodes = new Set((g.node ?? []).filter((n) => n.opType === 'Constant' && !n.domain).map((n) => n.output?.[0] ?? ''));
  const copies = identityCopies(g, consts);
  g.node = fuseFunctions(g, scalarOf(g, consts, src), (name) => consts.has(name) || constNodes.has(name) || copies.has(name), tables, constDimsOf(g, consts, file));
  const { input, view } = graphInput(g, consts, file, limits, choice.inputShape);
  const w = new Walker(opset, consts, src, g);
  w.shapes.set(input.name, input.shape);
  w.views.set(input.name, view);
  withFile(file, () => walk(g, w, tables));
  // an output that is an initializer, or folds to a constant (it does not depend on the input), is no network output
  // (it was NN202 "not produced by any layer", as for a damaged graph)
  const fixed = outs.find((o) => w.consts.has(o));
  if (fixed !== undefined) {
    const rest = outs.filter((o) => !w.consts.has(o));
    throw new NnchipError('NN110', `the model output "${shortName(fixed)}" is a constant: it does not depend on the input`, { file, hint: `read it from the model on the host${rest.length > 0 ? `; compile the outputs the network computes: --output-name ${rest.map(shortName).join(',')}` : ''}` });
  }
  const name = g.name || basename(modelFile).replace(/\.onnx$/i, '');
  // a channel-major map out, or a vector that is one flattened channel-major (the lowered program's output is then the map
  // itself, read back channel-major: without this, a model with a vector input gave a final Flatten's values pixel-major)
  // each tensor's first producer, looked up once: a find per step made a chain of 40,000 Identity nodes take 14 s
  const producer = new Map<string, (typeof w.nodes)[number]>();
  for (const n of w.nodes) if (!producer.has(n.output)) producer.set(n.output, n);
  const layoutOf = (out: string): 'chw' | 'hwc' => {
    let last = producer.get(out);
    while (last !== undefined && (last.op === 'identity' || (last.op === 'reshape' && w.shapes.get(last.output)?.length === 1))) last = producer.get(last.inputs[0] ?? '');
    const chw = (w.shapes.has(out) && w.isMap(out) && !w.view(out).last) || (last?.op === 'flatten' && last.order === 'chw');
    // else pixel-major, whatever the input (a map's rows [1, H·W, C] flattened, an NHWC map out were read back channel-major)
    return chw ? 'chw' : 'hwc';
  };
  const graph: Graph = { name, inputs: [input], nodes: w.nodes, outputs: outs, notes: w.notes, outputLayouts: outs.map(layoutOf) };
  // a vector input seen as a map ([N, K] → Unsqueeze → [N, 1, K] for a Conv1d): the input takes the map's shape
  return input.layout === 'chw' ? graph : foldInputReshapes(graph);
}
