// SPDX-License-Identifier: MIT
/**
 * What the ONNX importer (onnx.ts) reads of a graph before its walk: Constant nodes' values, identity copies of
 * constants, one-value float constants, and the functions exporters write as several nodes (GELU, Mish and other
 * element-wise subgraphs of one tensor) replaced by the one node or table activation they compute.
 */
import { NnchipError, type ErrorSite } from '../diagnostics/error.js';
import type { TableActivation } from '../ir/activations.js';
import { findElementwise } from './fuse-elementwise.js';
import { findFunctions } from './fuse-functions.js';
import { Attributes, floatTensor, isFloatType, onnxSchema, type TensorProto, type TensorSource } from './onnx-tensors.js';

export type ModelProto = ReturnType<ReturnType<typeof onnxSchema>['ModelProto']['decode']>;
export type GraphProto = NonNullable<ModelProto['graph']>;
export type NodeProto = NonNullable<GraphProto['node']>[number];

/** An element-wise subgraph's last node: its one input x, the function of x it computes (fuse-elementwise.ts), and the dims of the constants of several (equal) values it reads. */
export type Fused = { readonly x: string; readonly fn: TableActivation; readonly splats: readonly (readonly number[])[] };

/** The Constant node's value as a TensorProto. */
export function constantValue(n: NodeProto, site: ErrorSite): TensorProto {
  const a = new Attributes(n.attribute, site);
  const DT = onnxSchema().TensorProto.DataType;
  const t = a.tensor('value');
  if (t !== undefined) return t;
  if (a.has('value_float')) return { dataType: DT.FLOAT, dims: [], floatData: [a.float('value_float', 0)] };
  if (a.has('value_floats')) return { dataType: DT.FLOAT, dims: [a.floats('value_floats')!.length], floatData: a.floats('value_floats')! };
  if (a.has('value_int')) return { dataType: DT.INT64, dims: [], int64Data: [a.int('value_int', 0)] };
  if (a.has('value_ints')) return { dataType: DT.INT64, dims: [a.ints('value_ints')!.length], int64Data: a.ints('value_ints')! };
  throw new NnchipError('NN110', 'Constant: only value, value_float(s) and value_int(s) are supported', site);
}

/** A constant by name (initializer, Constant node, or an Identity / Cast copy of one), as a TensorProto; else undefined. */
function constantsOf(g: GraphProto, consts: ReadonlyMap<string, TensorProto>, file: string): (name: string) => TensorProto | undefined {
  const constants = new Map((g.node ?? []).filter((n) => n.opType === 'Constant' && !n.domain).map((n) => [n.output?.[0] ?? '', n]));
  const copies = identityCopies(g, consts);
  return (at) => {
    const name = copies.get(at) ?? at;
    const node = constants.get(name);
    return consts.get(name) ?? (node === undefined ? undefined : constantValue(node, { file, layer: node.name ?? '' }));
  };
}

/**
 * The value of a float constant holding one value — a scalar, or one value everywhere (torch.zeros_like(x), full_like:
 * whoever reads it checks the shape, Fused.splats) — else undefined. Each constant is decoded once.
 */
export function scalarOf(g: GraphProto, consts: ReadonlyMap<string, TensorProto>, src: TensorSource): (name: string) => number | undefined {
  const constant = constantsOf(g, consts, src.file);
  const seen = new Map<string, number | undefined>();
  return (name) => {
    if (seen.has(name)) return seen.get(name);
    const t = constant(name);
    const v = t === undefined || !isFloatType(t.dataType) ? undefined : floatTensor(t, src, { file: src.file }, `tensor "${name}"`).data;
    const value = v !== undefined && v.length >= 1 && v.every((e) => Object.is(e, v[0])) ? v[0] : undefined;
    seen.set(name, value);
    return value;
  };
}

/** The dims of a constant (initializer, Constant or a copy of one), or undefined. */
export function constDimsOf(g: GraphProto, consts: ReadonlyMap<string, TensorProto>, file: string): (name: string) => number[] | undefined {
  const constant = constantsOf(g, consts, file);
  return (name) => {
    const t = constant(name);
    return t === undefined ? undefined : (t.dims ?? []).map(Number);
  };
}

/**
 * Identity copies of constants (torch.onnx.export stores equal initializers once and copies each with an Identity): copy → original.
 * A Cast to FLOAT of a float constant is one too (a FLOAT16/BFLOAT16/DOUBLE scalar cast up: its value read as float32 is the Cast's).
 */
export function identityCopies(g: GraphProto, consts: ReadonlyMap<string, TensorProto>): Map<string, string> {
  const constant = new Set([...consts.keys(), ...(g.node ?? []).filter((n) => n.opType === 'Constant' && !n.domain).map((n) => n.output?.[0] ?? '')]);
  const copies = new Map<string, string>();
  const toFloat = (n: NodeProto): boolean => n.opType === 'Cast' && (n.attribute ?? []).some((a) => a.name === 'to' && Number(a.i) === onnxSchema().TensorProto.DataType.FLOAT) && isFloatType(consts.get(copies.get(n.input?.[0] ?? '') ?? n.input?.[0] ?? '')?.dataType ?? 0);
  for (const n of g.node ?? []) {
    const from = n.input?.[0] ?? '';
    if ((n.opType !== 'Identity' && !toFloat(n)) || n.domain || !(constant.has(from) || copies.has(from))) continue;
    copies.set(n.output?.[0] ?? '', copies.get(from) ?? from);
  }
  return copies;
}

/**
 * GELU and Mish written out in nodes (fuse-functions.ts) → one Gelu / Mish node each, named as the expression's last node;
 * then other element-wise subgraphs of one tensor (fuse-elementwise.ts) → the last node, recorded in `tables` with its function.
 */
export function fuseFunctions(g: GraphProto, scalar: (name: string) => number | undefined, constant: (name: string) => boolean, tables: Map<NodeProto, Fused>, dimsOf: (name: string) => number[] | undefined = () => undefined): NodeProto[] {
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  const opOf = (n: NodeProto): string => ((!n.domain || n.domain === 'ai.onnx') && (n.output ?? []).length === 1 ? (n.opType ?? '') : '');
  const nodes = g.node ?? [];
  const view = nodes.map((n) => ({ op: opOf(n), inputs: n.input ?? [], output: n.output?.[0] ?? '' }));
  // GELU and Mish by their constants of one value (a splat's shape is checked only for fuse-elementwise.ts's functions)
  const single = (name: string): number | undefined => ((dimsOf(name) ?? []).every((d) => d === 1) ? scalar(name) : undefined);
  const { roots, removed } = findFunctions(view, single, outputs);
  const STRING = onnxSchema().AttributeProto.AttributeType.STRING;
  const named = nodes.flatMap((n, i) => {
    const f = roots.get(i);
    if (f !== undefined) {
      const attribute = f.fn === 'gelu_tanh' ? [{ name: 'approximate', type: STRING, s: new TextEncoder().encode('tanh') }] : [];
      return [{ name: n.name ?? '', opType: f.fn === 'mish' ? 'Mish' : 'Gelu', domain: '', input: [f.x], output: [...n.output!], attribute }];
    }
    return removed.has(i) ? [] : [n];
  });
  const { FLOAT, INT } = onnxSchema().AttributeProto.AttributeType;
  // float attributes (alpha, beta, min, max), and Cast's integer `to`
  const attr = (n: NodeProto) => (name: string): number | undefined => {
    const a = (n.attribute ?? []).find((x) => x.name === name && (x.type === FLOAT || x.type === INT || !x.type));
    const v = a === undefined ? NaN : a.type === INT ? Number(String(a.i ?? NaN)) : Number(a.f ?? NaN);
    return Number.isFinite(v) ? v : undefined;
  };
  const fused = findElementwise(named.map((n) => ({ op: opOf(n), inputs: n.input ?? [], output: n.output?.[0] ?? '', attr: attr(n) })), scalar, constant, outputs);
  return named.flatMap((n, i) => {
    const f = fused.roots.get(i);
    if (f !== undefined) tables.set(n, { x: f.x, fn: f.fn, splats: f.consts.map((c) => dimsOf(c) ?? []).filter((d) => d.reduce((a, b) => a * b, 1) > 1) });
    return fused.removed.has(i) ? [] : [n];
  });
}
