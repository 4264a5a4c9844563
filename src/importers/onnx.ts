// SPDX-License-Identifier: MIT
/**
 * ONNX (protobuf, decoded with onnx-proto's protobufjs code) → Graph. Opsets 11–17, one float
 * input of static shape [N, C, H, W] or [N, K] with N = 1 or symbolic; weights from initializers
 * or Constant nodes, including external data inside the model's folder.
 */
import { basename, dirname } from 'node:path';
import { NnchipError, withFile, type ErrorSite } from '../diagnostics/error.js';
import type { Graph, GraphInput, Node, Tensor } from '../ir/graph.js';
import { inferShape } from '../ir/ops.js';
import { checkedElements, type Limits } from './limits.js';
import { onnxNodeToNodes, type OnnxContext } from './onnx-ops.js';
import { Attributes, dtypeName, floatTensor, intTensor, onnx, toInt, type TensorProto, type TensorSource } from './onnx-tensors.js';

export { SUPPORTED_ONNX_OPS } from './onnx-ops.js';
export const ONNX_OPSETS = { min: 11, max: 17 } as const;

type ModelProto = ReturnType<typeof onnx.ModelProto.decode>;
type GraphProto = NonNullable<ModelProto['graph']>;
type NodeProto = NonNullable<GraphProto['node']>[number];

function decode(bytes: Uint8Array, file: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new NnchipError('NN107', `not a valid ONNX protobuf (${String((e as Error).message).split('\n')[0]})`, { file });
  }
}

function opsetOf(model: ModelProto, file: string): number {
  const entry = (model.opsetImport ?? []).find((o) => o.domain === '' || o.domain === 'ai.onnx' || o.domain === null || o.domain === undefined);
  if (entry === undefined) throw new NnchipError('NN107', 'the model declares no ai.onnx opset (opset_import)', { file });
  const v = toInt(entry.version ?? 0, { file }, 'the opset version');
  if (v < ONNX_OPSETS.min || v > ONNX_OPSETS.max) throw new NnchipError('NN110', `opset ${v} is not supported (supported: ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max})`, { file });
  return v;
}

/** The one float input: [N, C, H, W] → IR [H, W, C] (layout 'chw'), [N, K] → [K]; N must be 1 or symbolic. */
function graphInput(g: GraphProto, consts: ReadonlyMap<string, TensorProto>, file: string, limits: Limits): GraphInput {
  const inputs = (g.input ?? []).filter((i) => !consts.has(i.name ?? ''));
  if (inputs.length !== 1) throw new NnchipError('NN110', `the model has ${inputs.length} inputs; nnchip supports exactly one`, { file });
  const info = inputs[0]!;
  const name = info.name ?? '';
  const site = { file };
  const t = info.type?.tensorType;
  if (t === null || t === undefined) throw new NnchipError('NN110', `input "${name}" is not a tensor`, site);
  if (t.elemType !== onnx.TensorProto.DataType.FLOAT) throw new NnchipError('NN110', `input "${name}" has element type ${dtypeName(t.elemType)}; nnchip needs FLOAT`, site);
  const dims = (t.shape?.dim ?? []).map((d, i) => {
    if (d.dimParam) {
      if (i === 0) return 1;
      throw new NnchipError('NN110', `input "${name}" dimension ${i} is dynamic ("${d.dimParam}"); nnchip needs static shapes (export with a fixed input size)`, site);
    }
    if (!Object.hasOwn(d, 'dimValue')) throw new NnchipError('NN110', `input "${name}" dimension ${i} is unknown; nnchip needs static shapes`, site);
    return toInt(d.dimValue, site, `input "${name}" dimension ${i}`);
  });
  if (dims[0] !== 1) throw new NnchipError('NN110', `input "${name}" has shape ${JSON.stringify(dims)}; the batch dimension must be 1 or symbolic`, site);
  checkedElements(dims, limits, site, `input "${name}"`);
  if (dims.length === 4) return { name, shape: [dims[2]!, dims[3]!, dims[1]!], layout: 'chw' };
  if (dims.length === 2) return { name, shape: [dims[1]!] };
  throw new NnchipError('NN110', `input "${name}" has shape ${JSON.stringify(dims)}; nnchip reads [N, C, H, W] images or [N, K] vectors`, site);
}

/** The Constant node's value as a TensorProto. */
function constantValue(n: NodeProto, site: ErrorSite): TensorProto {
  const a = new Attributes(n.attribute, site);
  const DT = onnx.TensorProto.DataType;
  const t = a.tensor('value');
  if (t !== undefined) return t;
  if (a.has('value_float')) return { dataType: DT.FLOAT, dims: [], floatData: [a.float('value_float', 0)] };
  if (a.has('value_floats')) return { dataType: DT.FLOAT, dims: [a.floats('value_floats')!.length], floatData: a.floats('value_floats')! };
  if (a.has('value_int')) return { dataType: DT.INT64, dims: [], int64Data: [a.int('value_int', 0)] };
  if (a.has('value_ints')) return { dataType: DT.INT64, dims: [a.ints('value_ints')!.length], int64Data: a.ints('value_ints')! };
  throw new NnchipError('NN110', 'Constant: only value, value_float(s) and value_int(s) are supported', site);
}

/** Walks the nodes in order, building IR nodes and tracking every activation's IR shape. */
class Walker implements OnnxContext {
  readonly nodes: Node[] = [];
  readonly shapes = new Map<string, readonly number[]>();
  /** globally pooled activations: IR [C], ONNX [1, C, 1, 1] */
  private readonly squeezed = new Set<string>();
  private readonly floatCache = new Map<string, { dims: number[]; data: Float32Array }>();
  private readonly weights = new Map<string, Tensor>();
  private readonly uses = new Map<string, number>();
  private params = 0;

  constructor(readonly opset: number, readonly consts: Map<string, TensorProto>, private readonly src: TensorSource, g: GraphProto) {
    for (const n of g.node ?? []) for (const i of n.input ?? []) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of g.output ?? []) this.uses.set(o.name ?? '', (this.uses.get(o.name ?? '') ?? 0) + 2);
  }

  isConst(name: string): boolean {
    return this.consts.has(name);
  }

  floats(name: string, site: ErrorSite, what: string): { dims: number[]; data: Float32Array } {
    const cached = this.floatCache.get(name);
    if (cached) return cached;
    const proto = this.consts.get(name);
    if (proto === undefined) throw new NnchipError('NN110', `${what} "${name}" is computed at run time; nnchip needs it as a constant (initializer)`, site);
    const t = floatTensor(proto, this.src, site, `tensor "${name}"`);
    this.params += t.data.length;
    if (this.params > this.src.limits.maxParams) throw new NnchipError('NN109', `the model has over ${this.src.limits.maxParams} weights (--max-params)`, site);
    this.floatCache.set(name, t);
    return t;
  }

  ints(name: string, site: ErrorSite, what: string): number[] {
    const proto = this.consts.get(name);
    if (proto === undefined) throw new NnchipError('NN110', `${what} "${name}" is computed at run time; nnchip needs it as a constant (initializer)`, site);
    return intTensor(proto, this.src, site, `tensor "${name}"`).data;
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

  private irShape(name: string): readonly number[] {
    const s = this.shapes.get(name);
    if (s === undefined) throw new NnchipError('NN202', `input tensor "${name}" is not produced by any earlier node`);
    return s;
  }

  onnxShape(name: string): readonly number[] {
    const s = this.irShape(name);
    if (s.length === 3) return [1, s[2]!, s[0]!, s[1]!];
    return this.squeezed.has(name) ? [1, s[0]!, 1, 1] : [1, ...s];
  }

  isMap(name: string): boolean {
    return this.irShape(name).length === 3;
  }

  asMap(name: string, site: ErrorSite): string {
    if (this.isMap(name)) return name;
    if (!this.squeezed.has(name)) throw new NnchipError('NN203', `input "${name}" has shape ${JSON.stringify(this.onnxShape(name))}; expected a feature map [N, C, H, W]`, site);
    const map = `${name}/map`;
    if (!this.shapes.has(map)) this.push({ name: map, op: 'reshape', inputs: [name], output: map, shape: [1, 1, this.irShape(name)[0]!] });
    return map;
  }

  foldBias(x: string, bias: Float32Array, output: string): boolean {
    const at = this.nodes.findIndex((n) => n.output === x);
    const p = this.nodes[at];
    if (p === undefined || (p.op !== 'dense' && p.op !== 'conv2d') || p.bias !== null || this.uses.get(x) !== 1) return false;
    this.nodes[at] = { ...p, bias: { shape: [bias.length], data: bias }, output };
    this.shapes.set(output, this.irShape(x));
    return true;
  }

  push(n: Node): void {
    this.shapes.set(n.output, inferShape(n, n.inputs.map((t) => this.irShape(t))));
    if (n.op === 'globalAvgPool') this.squeezed.add(n.output);
    this.nodes.push(n);
  }
}

function walk(g: GraphProto, w: Walker): void {
  const names = new Set<string>();
  (g.node ?? []).forEach((n, i) => {
    const opType = n.opType ?? '';
    let name = n.name || `${opType}_${i}`;
    if (names.has(name)) name = `${name}_${i}`;
    names.add(name);
    const site = { layer: name };
    if (n.domain && n.domain !== 'ai.onnx') throw new NnchipError('NN110', `op ${n.domain}.${opType} is not supported (only the standard ai.onnx domain)`, site);
    if (opType === 'Constant') {
      w.consts.set(n.output?.[0] ?? '', constantValue(n, site));
      return;
    }
    // torch.onnx.export stores equal initializers once and re-creates each copy with an Identity.
    const copied = opType === 'Identity' ? w.consts.get(n.input?.[0] ?? '') : undefined;
    if (copied !== undefined) {
      w.consts.set(n.output?.[0] ?? '', copied);
      return;
    }
    const built = onnxNodeToNodes({ name, opType, inputs: n.input ?? [], outputs: n.output ?? [], attrs: new Attributes(n.attribute, site) }, w);
    for (const b of built) w.push(b);
  });
}

export function importOnnx(bytes: Uint8Array, modelFile: string, limits: Limits): Graph {
  const file = basename(modelFile);
  const model = decode(bytes, file);
  const g = model.graph;
  if (g === null || g === undefined || (g.node ?? []).length === 0) throw new NnchipError('NN107', 'not an ONNX model (decoding found no graph with nodes)', { file });
  const opset = opsetOf(model, file);
  const consts = new Map<string, TensorProto>();
  let declared = 0;
  for (const t of g.initializer ?? []) {
    const site = { file };
    const dims = (t.dims ?? []).map((d, i) => toInt(d, site, `initializer dimension ${i}`));
    declared += dims.length === 0 ? 1 : checkedElements(dims, limits, site, `initializer "${t.name ?? ''}"`);
    if (declared > limits.maxParams) throw new NnchipError('NN109', `the initializers declare over ${limits.maxParams} weights (--max-params)`, site);
    consts.set(t.name ?? '', t);
  }
  const input = graphInput(g, consts, file, limits);
  const w = new Walker(opset, consts, { file, dir: dirname(modelFile), limits }, g);
  w.shapes.set(input.name, input.shape);
  withFile(file, () => walk(g, w));
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  if (outputs.length !== 1) throw new NnchipError('NN110', `the model has ${outputs.length} outputs; nnchip supports exactly one`, { file });
  const name = g.name || basename(modelFile).replace(/\.onnx$/i, '');
  return { name, inputs: [input], nodes: w.nodes, outputs, notes: [] };
}
