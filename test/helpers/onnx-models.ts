// SPDX-License-Identifier: MIT
/**
 * Small ONNX models for importer tests, built with the ONNX protobuf schema (onnx-proto) and
 * encoded by protobufjs, plus onnxruntime-node as the independent float oracle.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomSamples } from './random-graph.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** A tagged attribute value: f float, i int, floats, ints, s string, t tensor. */
export type Attr = { f: number } | { i: number } | { floats: number[] } | { ints: number[] } | { s: string } | { strings: string[] } | { t: onnxProto.onnx.ITensorProto };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs?: string[];
  name?: string;
  attrs?: Record<string, Attr>;
  domain?: string;
}

export interface ModelSpec {
  /** input dims, batch first; a string is a symbolic dimension */
  input: (number | string)[];
  output: (number | string)[];
  nodes: NodeSpec[];
  /** float tensors (or int64 with `int64: true`) stored as initializers */
  inits?: Record<string, { dims: number[]; data: ArrayLike<number>; int64?: boolean; external?: { location: string; offset?: number; length?: number } }>;
  opset?: number;
  inputName?: string;
  outputName?: string;
  /** the input's element type (a TensorProto.DataType; default FLOAT) */
  inputType?: number;
  /** more graph inputs, after the first (FLOAT) */
  moreInputs?: { name: string; dims: (number | string)[] }[];
  /** more graph outputs, after the first (a model of several heads) */
  moreOutputs?: { name: string; dims: (number | string)[] }[];
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  if ('f' in a) return { name, type: AT.FLOAT, f: a.f };
  if ('i' in a) return { name, type: AT.INT, i: a.i };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: a.floats };
  if ('ints' in a) return { name, type: AT.INTS, ints: a.ints };
  if ('s' in a) return { name, type: AT.STRING, s: Buffer.from(a.s) };
  if ('strings' in a) return { name, type: AT.STRINGS, strings: a.strings.map((s) => Buffer.from(s)) };
  return { name, type: AT.TENSOR, t: a.t };
}

/** A float32 TensorProto (raw_data, as exporters write it) or an int64 one (int64_data). */
export function tensor(name: string, dims: number[], data: ArrayLike<number>, int64 = false): onnxProto.onnx.ITensorProto {
  if (int64) return { name, dims, dataType: DT.INT64, int64Data: Array.from(data) };
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(Float32Array.from(data).buffer) };
}

function valueInfo(name: string, dims: (number | string)[], elemType: number = DT.FLOAT): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export function buildOnnx(spec: ModelSpec): Uint8Array {
  const initializer = Object.entries(spec.inits ?? {}).map(([name, t]) => {
    if (t.external === undefined) return tensor(name, t.dims, t.data, t.int64);
    const ext = Object.entries(t.external).map(([key, value]) => ({ key, value: String(value) }));
    return { name, dims: t.dims, dataType: DT.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: ext };
  });
  const node = spec.nodes.map((n, i) => ({
    name: n.name ?? `${n.op.toLowerCase()}_${i}`,
    opType: n.op,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs ?? [`t${i}`],
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  }));
  const lastOut = node[node.length - 1]?.output[0] ?? 'y';
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'nnchip-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test_graph',
      node,
      initializer,
      input: [valueInfo(spec.inputName ?? 'x', spec.input, spec.inputType), ...(spec.moreInputs ?? []).map((i) => valueInfo(i.name, i.dims))],
      output: [valueInfo(spec.outputName ?? lastOut, spec.output), ...(spec.moreOutputs ?? []).map((o) => valueInfo(o.name, o.dims))],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Seeded uniform weights in [lo, hi). */
export function weights(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return randomSamples(1, n, seed, lo, hi)[0]!;
}

export function writeOnnx(dir: string, bytes: Uint8Array, file = 'model.onnx'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), bytes);
  return join(dir, file);
}

/**
 * onnxruntime-node's output for each sample (flattened in the model's own NCHW / NK layout).
 * `unoptimized`: without ORT's graph rewrites (its Pad fusion wrongly folds a zero Pad into a MaxPool).
 */
export async function ortRun(model: Uint8Array | string, inputDims: number[], samples: readonly Float32Array[], unoptimized = false, output?: string): Promise<Float32Array[]> {
  const options: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, ...(unoptimized ? { graphOptimizationLevel: 'disabled' as const } : {}) };
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  const out: Float32Array[] = [];
  for (const x of samples) {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x, inputDims) };
    const result = await session.run(feeds);
    out.push(Float32Array.from(result[output ?? session.outputNames[0]!]!.data as Float32Array));
  }
  await session.release();
  return out;
}
