/**
 * Half-precision and other float types (src/importers/onnx-tensors.ts): a model as onnxconverter-common's
 * float16 conversion writes it (FLOAT16 initializers in raw_data or int32_data, Cast nodes at the graph's
 * input and output, or FLOAT16 graph input and output) imports as the float32 model of the same (half)
 * weights, which ONNX Runtime computes within half precision's rounding; DOUBLE and BFLOAT16 initializers
 * cast to FLOAT fold as ONNX Runtime's Cast rounds them; 13 pytorch-zoo models converted to float16 (every float
 * initializer and Constant, input and output) lower and agree with ONNX Runtime's half computation. Each failed on
 * the previous importer (NN106 / NN116).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { halfToFloat } from '../../../src/importers/float16.js';
import { roundToFloat } from '../../../src/importers/onnx-tensors.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { expectClose } from '../../helpers/close.js';
import { ortRun, weights, writeOnnx } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
type Tensor = onnxProto.onnx.ITensorProto;

/** float32 → IEEE half bits, to nearest even (through the importer's own rounding, checked below against ONNX Runtime's Cast). */
let table: Map<number, number> | undefined;
function halfBits(v: number): number {
  table ??= new Map(Array.from({ length: 0x10000 }, (_, h) => [halfToFloat(h), h] as [number, number]).filter(([f]) => !Number.isNaN(f)).reverse());
  const r = roundToFloat(v, DT.FLOAT16);
  const h = Object.is(r, -0) ? 0x8000 : table.get(r);
  if (h === undefined) throw new Error(`no half for ${v}`);
  return h;
}
const halves = (data: ArrayLike<number>): number[] => Array.from(data, halfBits);
const rawHalves = (data: ArrayLike<number>): Uint8Array => new Uint8Array(Uint16Array.from(halves(data)).buffer);

const DIMS = { K: [3, 2, 3, 3], B: [3], S: [], W: [48, 4], b: [4] } as const;
const VALUES = { K: weights(54, 1, -0.8, 0.8), B: weights(3, 2, -0.3, 0.3), S: [1.5], W: weights(192, 3, -0.3, 0.3), b: weights(4, 4, -0.2, 0.2) };

/** x [1, 2, 6, 6] → Conv 3×3 (K, B) → Relu → Mul by S → MaxPool 2 (stride 1) → Flatten → Gemm (W, b) → [1, 4]; `init` writes each weight. */
function model(init: (name: keyof typeof DIMS) => Tensor[], io: number, casts: boolean, extra: onnxProto.onnx.INodeProto[] = []): Uint8Array {
  const x = casts ? 'x16' : 'x';
  const nodes: onnxProto.onnx.INodeProto[] = [
    ...(casts ? [{ opType: 'Cast', input: ['x'], output: ['x16'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT16 }] }] : []),
    ...extra,
    { opType: 'Conv', input: [x, 'K', 'B'], output: ['c'], attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] },
    { opType: 'Relu', input: ['c'], output: ['r'] },
    { opType: 'Mul', input: ['r', 'S'], output: ['s'] },
    { opType: 'MaxPool', input: ['s'], output: ['p'], attribute: [{ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [3, 3] }, { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1] }] },
    { opType: 'Flatten', input: ['p'], output: ['f'] },
    { opType: 'Gemm', input: ['f', 'W', 'b'], output: [casts ? 'y16' : 'y'] },
    ...(casts ? [{ opType: 'Cast', input: ['y16'], output: ['y'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] }] : []),
  ];
  const info = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: io, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const graph = { name: 'half', node: nodes, initializer: (Object.keys(DIMS) as (keyof typeof DIMS)[]).flatMap(init), input: [info('x', [1, 2, 6, 6])], output: [info('y', [1, 4])] };
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
}

const float32 = (name: keyof typeof DIMS, round: (v: number) => number = Math.fround): Tensor[] => [{ name, dims: [...DIMS[name]], dataType: DT.FLOAT, rawData: new Uint8Array(Float32Array.from(VALUES[name], round).buffer) }];
const half = (typed: boolean) => (name: keyof typeof DIMS): Tensor[] => [typed ? { name, dims: [...DIMS[name]], dataType: DT.FLOAT16, int32Data: halves(VALUES[name]) } : { name, dims: [...DIMS[name]], dataType: DT.FLOAT16, rawData: rawHalves(VALUES[name]) }];
const toHalf = (v: number): number => roundToFloat(v, DT.FLOAT16);

const load = (bytes: Uint8Array) => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-half-')), bytes));
const samples = randomSamples(6, 72, 7, -1, 1);

/** ONNX Runtime on a model of FLOAT16 input and output. */
async function ortHalf(bytes: Uint8Array, xs: readonly Float32Array[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out: Float32Array[] = [];
  for (const x of xs) {
    const r = await session.run({ x: new ort.Tensor('float16', Uint16Array.from(halves(x)), [1, 2, 6, 6]) });
    out.push(Float32Array.from(r.y!.data as Uint16Array, halfToFloat));
  }
  await session.release();
  return out;
}

describe('float16 models', () => {
  // the float32 model of the same half weights: what nnchip computes exactly, within float32 (1e-4 of ONNX Runtime)
  const reference = async (): Promise<Float32Array[]> => ortRun(model((n) => float32(n, toHalf), DT.FLOAT, false), [1, 2, 6, 6], samples);

  test.each([
    ['raw_data, Casts at the input and output (keep_io_types=True)', true, false],
    ['int32_data bit patterns, Casts at the input and output', true, true],
  ])('FLOAT16 weights in %s: the float32 model of the half weights, and ONNX Runtime on the half model within its rounding', async (_, casts, typed) => {
    const bytes = model(half(typed), DT.FLOAT, casts);
    const graph = load(bytes);
    expect(graph.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense')).toHaveLength(2);
    const want = await reference();
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    // ONNX Runtime computes the half model in half precision: within 1% of the output's range
    const got = await ortRun(bytes, [1, 2, 6, 6], samples);
    const range = Math.max(...want.flatMap((v) => Array.from(v))) - Math.min(...want.flatMap((v) => Array.from(v)));
    samples.forEach((_x, i) => got[i]!.forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(0.01 * range)));
  });

  test('FLOAT16 graph input and output (keep_io_types=False): read as float, = ONNX Runtime on the half model within its rounding', async () => {
    const bytes = model(half(false), DT.FLOAT16, false);
    const graph = load(bytes);
    // nnchip's input is the float32 sample; ONNX Runtime's the half of it: compare on half-exact samples
    const xs = samples.map((x) => Float32Array.from(x, toHalf));
    const want = await ortRun(model((n) => float32(n, toHalf), DT.FLOAT, false), [1, 2, 6, 6], xs);
    xs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const got = await ortHalf(bytes, xs);
    const range = Math.max(...want.flatMap((v) => Array.from(v))) - Math.min(...want.flatMap((v) => Array.from(v)));
    xs.forEach((_x, i) => got[i]!.forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(0.01 * range)));
  });

  test.each([
    ['DOUBLE (double_data)', (name: keyof typeof DIMS): Tensor => ({ name: `${name}64`, dims: [...DIMS[name]], dataType: DT.DOUBLE, doubleData: Array.from(VALUES[name], (v) => v + 1e-9) })],
    ['DOUBLE (raw_data)', (name: keyof typeof DIMS): Tensor => ({ name: `${name}64`, dims: [...DIMS[name]], dataType: DT.DOUBLE, rawData: new Uint8Array(Float64Array.from(VALUES[name], (v) => v + 1e-9).buffer) })],
    ['BFLOAT16 (int32_data)', (name: keyof typeof DIMS): Tensor => ({ name: `${name}bf`, dims: [...DIMS[name]], dataType: DT.BFLOAT16, int32Data: Array.from(VALUES[name], (v) => (new Uint32Array(new Float32Array([v]).buffer)[0]! + 0x7fff) >>> 16) })],
    ['FLOAT16 (Cast to FLOAT of a half initializer)', (name: keyof typeof DIMS): Tensor => ({ name: `${name}h`, dims: [...DIMS[name]], dataType: DT.FLOAT16, int32Data: halves(VALUES[name]) })],
  ])('%s initializers cast to FLOAT: folded as ONNX Runtime casts them (1e-4)', async (_, init) => {
    const inits = (Object.keys(DIMS) as (keyof typeof DIMS)[]).map(init);
    const casts = inits.map((t) => ({ opType: 'Cast', input: [t.name!], output: [t.name!.replace(/(64|bf|h)$/, '')], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] }));
    const bytes = model((n) => (n === 'K' ? inits : []), DT.FLOAT, false, casts);
    const graph = load(bytes);
    const want = await ortRun(bytes, [1, 2, 6, 6], samples);
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  });

  test('a Cast of a float constant to FLOAT16 and back rounds as ONNX Runtime does (ties to even, subnormals, overflow)', async () => {
    const values = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24 * 1.5, 2 ** -20 + 2 ** -30, 65519, 65520, -3.14159, 0.1, 1e-8, 2049, 2051];
    const node = (op: string, input: string[], output: string, to?: number): onnxProto.onnx.INodeProto => ({ opType: op, input, output: [output], attribute: to === undefined ? [] : [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }] });
    const build = (vs: number[]): Uint8Array => {
      const graph = {
        name: 'cast', initializer: [{ name: 'c', dims: [vs.length], dataType: DT.FLOAT, floatData: vs }],
        node: [node('Cast', ['c'], 'h', DT.FLOAT16), node('Cast', ['h'], 'f', DT.FLOAT), node('Add', ['x', 'f'], 'y')],
        input: [{ name: 'x', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: vs.length }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: DT.FLOAT } } }],
      };
      return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
    };
    const [want] = await ortRun(build(values), [1, values.length], [new Float32Array(values.length)]);
    expect(values.map(toHalf)).toEqual(Array.from(want!));
    // 65520 overflows to Infinity, which nnchip refuses as a weight (NN108): the others, through the importer
    const finite = values.filter((v) => v < 65520);
    const g = load(build(finite));
    expect(Array.from(evaluateOutput(g, new Float32Array(finite.length)))).toEqual(finite.map(toHalf));
  });

  // what onnxconverter-common's convert_float_to_float16(keep_io_types=False) makes of an all-float model
  test.each(['lenet', 'resnet', 'mobile', 'gelu', 'mish', 'se', 'mnv3', 'densenet', 'squeeze', 'inception', 'silu', 'deconv', 'espcn'])('pytorch-zoo %s-op13 converted to float16: lowers, = ONNX Runtime on the half model within 1% of its output range', async (name) => {
    const m = onnx.ModelProto.decode(readFileSync(join(import.meta.dirname, `../../fixtures/pytorch-zoo/${name}-op13.onnx`)));
    const halfTensor = (t: Tensor): void => {
      if (t.dataType !== DT.FLOAT) return;
      const f = t.rawData && t.rawData.length > 0 ? new Float32Array(Uint8Array.from(t.rawData).buffer) : Float32Array.from(t.floatData ?? []);
      Object.assign(t, { dataType: DT.FLOAT16, floatData: [], rawData: rawHalves(f) });
    };
    for (const t of m.graph!.initializer!) halfTensor(t);
    for (const n of m.graph!.node!) for (const a of n.attribute ?? []) if (a.t) halfTensor(a.t);
    for (const io of [...m.graph!.input!, ...m.graph!.output!]) io.type!.tensorType!.elemType = DT.FLOAT16;
    const bytes = onnx.ModelProto.encode(m).finish();
    const graph = load(bytes);
    const dims = (m.graph!.input![0]!.type!.tensorType!.shape!.dim ?? []).map((d, i) => (i === 0 ? 1 : Number(d.dimValue)));
    const xs = randomSamples(4, dims.reduce((a, b) => a * b, 1), 3, 0, 1).map((x) => Float32Array.from(x, toHalf));
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const shape = checkGraph(graph).get(graph.outputs[0]!)!;
    const pixels = shape.length === 3 && graph.outputLayouts?.[0] === 'chw' ? shape[0]! * shape[1]! : 1;
    for (const x of xs) {
      const r = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float16', Uint16Array.from(halves(x)), dims) });
      const want = Float32Array.from(r[session.outputNames[0]!]!.data as Uint16Array, halfToFloat);
      const hwc = evaluateOutput(graph, x);
      const range = Math.max(...want) - Math.min(...want);
      want.forEach((v, j) => expect(Math.abs(hwc[(j % pixels) * (hwc.length / pixels) + Math.floor(j / pixels)]! - v)).toBeLessThan(0.01 * range));
    }
    await session.release();
  });
});
