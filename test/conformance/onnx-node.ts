/**
 * The ONNX backend node tests (Debian's libonnx-testdata) adapted to what nnchip compiles: one
 * float input (the test's first), the other inputs turned into initializers holding their test
 * values, and a batch of N > 1 split into N single samples (inputs and expected outputs sliced
 * along axis 0 — along axis 1 for Gemm's transposed A; a constant that carries the batch too is
 * sliced with it). A rank-1 input [K] whose output is rank 1 too is read as one sample [1, K].
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { SUPPORTED_ONNX_OPS } from '../../src/importers/onnx.js';
import { floatTensor, isFloatType } from '../../src/importers/onnx-tensors.js';
import { DEFAULT_LIMITS } from '../../src/importers/limits.js';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
/** The models exported from PyTorch nn modules and torch operators that ship beside the node tests. */
export const PYTORCH_SETS = ['pytorch-converted', 'pytorch-operator'].map((s) => join(NODE_TESTS, '..', s));

/** A test belongs to op X when its name starts with X's test prefix and its model has an X node. */
const PREFIXES: Readonly<Record<string, readonly string[]>> = {
  AveragePool: ['averagepool'], BatchNormalization: ['batchnorm'], InstanceNormalization: ['instancenorm'], Conv: ['conv', 'basic_conv'], GlobalAveragePool: ['globalaveragepool'],
  LogSoftmax: ['logsoftmax'], MatMul: ['matmul'], MaxPool: ['maxpool'], Pad: ['constant_pad', 'edge_pad', 'reflect_pad'],
  ReduceMean: ['reduce_mean'], ReduceSum: ['reduce_sum'], ReduceMax: ['reduce_max'], ReduceL2: ['reduce_l2'], ReduceSumSquare: ['reduce_sum_square'],
};
const prefixesOf = (op: string): readonly string[] => PREFIXES[op] ?? [op.toLowerCase()];

export interface NodeTest {
  readonly name: string;
  readonly op: string;
  readonly dir: string;
}

/** Every node test of every op nnchip claims to support. */
export function claimedNodeTests(): NodeTest[] {
  if (!existsSync(NODE_TESTS)) return [];
  const out: NodeTest[] = [];
  for (const name of readdirSync(NODE_TESTS).sort()) {
    const dir = join(NODE_TESTS, name);
    if (!existsSync(join(dir, 'model.onnx'))) continue;
    const ops = new Set((onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx'))).graph?.node ?? []).map((n) => n.opType ?? ''));
    const op = SUPPORTED_ONNX_OPS.find((o) => ops.has(o) && prefixesOf(o).some((p) => name === `test_${p}` || name.startsWith(`test_${p}_`)));
    if (op !== undefined) out.push({ name, op, dir });
  }
  return out;
}

/** Every PyTorch-exported model of PYTORCH_SETS, named "<set>/<test>" (their names may repeat node tests' in another case). */
export function pytorchModelTests(): NodeTest[] {
  const out: NodeTest[] = [];
  for (const set of PYTORCH_SETS.filter(existsSync)) {
    for (const name of readdirSync(set).sort()) {
      const dir = join(set, name);
      if (!existsSync(join(dir, 'model.onnx'))) continue;
      const ops = [...new Set((onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx'))).graph?.node ?? []).map((n) => n.opType ?? ''))];
      out.push({ name: `${set.split('/').pop()}/${name}`, op: ops.join('+'), dir });
    }
  }
  return out;
}

function tensors(dir: string, kind: 'input' | 'output'): TensorProto[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${kind}_`)).sort((a, b) => Number(a.slice(kind.length + 1, -3)) - Number(b.slice(kind.length + 1, -3)));
  return files.map((f) => onnx.TensorProto.decode(readFileSync(join(dir, f))));
}

const dimsOf = (t: TensorProto): number[] => (t.dims ?? []).map(Number);

/** Float values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor (raw_data or its typed field), as float32. */
export function floatValues(t: TensorProto): Float32Array {
  if (t.dataType !== 1) return floatTensor(t, { file: 'test', dir: '.', limits: DEFAULT_LIMITS }, {}, 'tensor').data;
  if (t.rawData && t.rawData.length > 0) return new Float32Array(Uint8Array.from(t.rawData).buffer);
  return Float32Array.from(t.floatData ?? []);
}

/** Whether a tensor holds floats (FLOAT, FLOAT16, BFLOAT16, DOUBLE). */
export const isFloat = (t: TensorProto | undefined): t is TensorProto => t !== undefined && isFloatType(t.dataType);

/** The relative rounding of a float output type (half its ulp): FLOAT16 2^-11, BFLOAT16 2^-8, else 0. */
export const outputRounding = (t: TensorProto | undefined): number => (t?.dataType === 10 ? 2 ** -11 : t?.dataType === 16 ? 2 ** -8 : 0);

const BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };

/** Slice n of a tensor along axis 0 (raw_data tensors; typed fields are re-packed as raw data first). */
function slice(t: TensorProto, n: number): TensorProto {
  const dims = dimsOf(t);
  const raw = t.rawData && t.rawData.length > 0 ? Uint8Array.from(t.rawData) : t.dataType === 1 ? new Uint8Array(Float32Array.from(t.floatData ?? []).buffer) : null;
  if (raw === null) throw new Error(`cannot slice tensor of type ${t.dataType} without raw data`);
  const size = (raw.length / (dims[0] ?? 1));
  return { ...t, floatData: [], dims: [1, ...dims.slice(1)], rawData: raw.slice(n * size, (n + 1) * size) };
}

export interface Adapted {
  /** one model per sample (the same bytes for all when no constant carries the batch) */
  readonly models: Uint8Array[];
  /** the float input of each sample, ONNX order */
  readonly samples: Float32Array[];
  /** the expected output of each sample, ONNX order */
  readonly expected: Float32Array[];
  /** why the test cannot be split into samples (its output does not keep the batch axis) */
  readonly unsplittable?: string;
  /** the expected output's own relative rounding (a FLOAT16 / BFLOAT16 output: nnchip computes in float32) */
  readonly rounding: number;
  /** the output the expected values are of (the first): a model of several outputs compiles it (--output-name) */
  readonly output: string;
}

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Every data set of a node test, adapted. */
export function adapt(t: NodeTest): Adapted {
  const model = onnx.ModelProto.decode(readFileSync(join(t.dir, 'model.onnx')));
  const graph = model.graph!;
  const inits = new Set((graph.initializer ?? []).map((i) => i.name ?? ''));
  const declared = (graph.input ?? []).filter((i) => !inits.has(i.name ?? ''));
  const elementwise = (graph.node ?? []).every((n) => ELEMENTWISE.has(n.opType ?? ''));
  const gemm = (graph.node ?? []).every((n) => n.opType === 'Gemm');
  const models: Uint8Array[] = [];
  const samples: Float32Array[] = [];
  const expected: Float32Array[] = [];
  let unsplittable: string | undefined;
  let rounding = 0;
  for (const set of readdirSync(t.dir).filter((d) => d.startsWith('test_data_set_')).sort()) {
    // older test data store BFLOAT16 values as UINT16: read them as the model declares them
    const declaredAs = (ts: TensorProto[], infos: readonly onnxProto.onnx.IValueInfoProto[]): TensorProto[] =>
      ts.map((v, i) => (v.dataType === 4 && infos[i]?.type?.tensorType?.elemType === 16 ? { ...v, dataType: 16 } : v));
    const ins = declaredAs(tensors(join(t.dir, set), 'input'), declared);
    const outs = declaredAs(tensors(join(t.dir, set), 'output'), graph.output ?? []);
    rounding = Math.max(rounding, outputRounding(outs[0]));
    const x = ins[0];
    if (x === undefined || declared.length === 0) {
      models.push(onnx.ModelProto.encode(model).finish());
      samples.push(new Float32Array(0));
      expected.push(isFloat(outs[0]) ? floatValues(outs[0]) : new Float32Array(0));
      continue;
    }
    const xDims = dimsOf(x);
    // Gemm with transA 1 reads A as [K, M]: its samples are the columns
    const axis = gemm && (graph.node?.[0]?.attribute ?? []).some((a) => a.name === 'transA' && Number(a.i) === 1) && xDims.length === 2 ? 1 : 0;
    const batch = xDims.length >= 2 && xDims[axis]! > 1 && isFloat(x) ? xDims[axis]! : 1;
    const outDims = outs[0] === undefined ? [] : dimsOf(outs[0]);
    if (batch > 1 && outDims[0] !== batch) unsplittable = `output ${JSON.stringify(outDims)} does not keep the batch axis of input ${JSON.stringify(xDims)}`;
    const split = batch > 1 && unsplittable === undefined;
    const vector = xDims.length === 1 && outDims.length === 1;
    const asSample = (d: onnxProto.onnx.TensorShapeProto.IDimension[]): onnxProto.onnx.TensorShapeProto.IDimension[] => (vector && d.length === 1 ? [{ dimValue: 1 }, ...d] : d);
    for (let n = 0; n < (split ? batch : 1); n++) {
      const constants = declared.slice(1).map((info, i) => {
        const v = ins[i + 1]!;
        // a constant carrying the batch (an element-wise operand, Gemm's C) is sliced with the input
        const carries = elementwise || (gemm && i + 1 === 2);
        const own = split && carries && dimsOf(v)[0] === batch ? slice(v, n) : v;
        return { ...own, name: info.name ?? '' };
      });
      const first = declared[0]!;
      const shape = first.type?.tensorType?.shape;
      const dim = asSample((shape?.dim ?? []).map((d, i) => (i === axis && split ? { dimValue: 1 } : d)));
      const input = { ...first, type: { tensorType: { ...first.type!.tensorType!, shape: { dim } } } };
      const rest = (graph.input ?? []).filter((i) => i !== first);
      const outputs = (graph.output ?? []).map((o) => {
        const od = o.type?.tensorType?.shape?.dim;
        if ((!split && !vector) || od === undefined || od === null) return o;
        return { ...o, type: { tensorType: { ...o.type!.tensorType!, shape: { dim: asSample(od.map((d, i) => (i === 0 && split ? { dimValue: 1 } : d))) } } } };
      });
      const adapted = { ...model, graph: { ...graph, input: [input, ...rest], output: outputs, initializer: [...(graph.initializer ?? []), ...constants] } };
      models.push(onnx.ModelProto.encode(onnx.ModelProto.create(adapted)).finish());
      const values = isFloat(x) ? floatValues(x) : new Float32Array(0);
      samples.push(!split ? values : axis === 1 ? values.filter((_, k) => k % batch === n) : floatValues(slice(x, n)));
      const y = outs[0];
      expected.push(!isFloat(y) ? new Float32Array(0) : floatValues(split ? slice(y, n) : y));
    }
  }
  return { models, samples, expected, rounding, output: graph.output?.[0]?.name ?? '', ...(unsplittable === undefined ? {} : { unsplittable }) };
}
