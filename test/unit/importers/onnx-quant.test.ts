/**
 * Int8-quantized ONNX models (onnx-quant.ts): ONNX Runtime's QDQ format (DequantizeLinear of INT8/UINT8
 * weights per tensor and per axis, INT32 biases, QuantizeLinear → DequantizeLinear pairs on activations)
 * and QOperator's QLinearConv / QLinearMatMul. The weights fold exactly: the imported float graph equals
 * ONNX Runtime on the float model of the dequantized weights and the pairs' clamps; nnchip's int8 simulation of the QDQ model
 * is close to ONNX Runtime running the QDQ model itself. Malformed parameters are one-line NN107 errors.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { IN_CI } from '../../helpers/ci.js';
import { floatValues, NODE_TESTS } from '../../conformance/onnx-node.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
type IntType = 'int8' | 'uint8' | 'int32';
interface IntInit { type: IntType; dims: number[]; data: number[] }

/** The model with integer initializers added (raw little-endian data, as exporters write them). */
function withInts(bytes: Uint8Array, ints: Record<string, IntInit>): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  for (const [name, t] of Object.entries(ints)) {
    const raw = t.type === 'int32' ? new Uint8Array(Int32Array.from(t.data).buffer) : t.type === 'int8' ? new Uint8Array(Int8Array.from(t.data).buffer) : Uint8Array.from(t.data);
    m.graph!.initializer!.push(onnx.TensorProto.create({ name, dims: t.dims, dataType: t.type === 'int8' ? DT.INT8 : t.type === 'uint8' ? DT.UINT8 : DT.INT32, rawData: raw }));
  }
  return onnx.ModelProto.encode(m).finish();
}

interface Models { qdq: Uint8Array; float: Uint8Array; plain: Uint8Array }

/** Builds one model twice: quantized (QDQ) and as the float model nnchip reads it as (dequantized weights, pairs as clamps to their range). */
class Builder {
  readonly nodes: NodeSpec[] = [];
  readonly floatNodes: NodeSpec[] = [];
  /** the float model without the pairs' clamps */
  readonly plainNodes: NodeSpec[] = [];
  readonly inits: NonNullable<ModelSpec['inits']> = {};
  readonly floatInits: NonNullable<ModelSpec['inits']> = {};
  readonly ints: Record<string, IntInit> = {};
  private k = 0;
  constructor(private readonly seed: number) {}
  node(n: NodeSpec): void {
    this.nodes.push(n);
    this.floatNodes.push(n);
    this.plainNodes.push(n);
  }
  /** A fake-quantized activation (QuantizeLinear → DequantizeLinear); returns the dequantized name. */
  qdq(x: string, scale: number, zp: number, type: 'int8' | 'uint8' = 'uint8', clamps = x !== 'x'): string {
    const i = this.k++;
    this.inits[`s${i}`] = { dims: [], data: [scale] };
    this.ints[`z${i}`] = { type, dims: [], data: [zp] };
    this.nodes.push({ op: 'QuantizeLinear', inputs: [x, `s${i}`, `z${i}`], outputs: [`${x}_q`] }, { op: 'DequantizeLinear', inputs: [`${x}_q`, `s${i}`, `z${i}`], outputs: [`${x}_dq`] });
    // the float model: the pair's clamp to its range, after a conv/dense (nnchip's input quantization saturates the model input)
    const [lo, hi] = clamps ? (type === 'uint8' ? [0, 255] : [-128, 127]) : [-Infinity, Infinity];
    this.floatInits[`lo${i}`] = { dims: [], data: [(lo! - zp) * scale] };
    this.floatInits[`hi${i}`] = { dims: [], data: [(hi! - zp) * scale] };
    this.floatNodes.push({ op: 'Clip', inputs: [x, `lo${i}`, `hi${i}`], outputs: [`${x}_dq`] });
    this.plainNodes.push({ op: 'Identity', inputs: [x], outputs: [`${x}_dq`] });
    return `${x}_dq`;
  }
  /** A quantized weight (symmetric per axis, or per tensor with axis undefined), its DequantizeLinear; returns its float name. */
  weight(name: string, dims: number[], type: 'int8' | 'uint8' = 'int8', axis?: number, lo = -0.6, hi = 0.6): { name: string; scales: Float32Array } {
    const w = weights(dims.reduce((a, b) => a * b, 1), this.seed + this.k++, lo, hi);
    const ax = axis === undefined ? -1 : axis;
    const slices = ax < 0 ? 1 : dims[ax]!;
    const inner = ax < 0 ? w.length : dims.slice(ax + 1).reduce((a, b) => a * b, 1);
    const slot = (i: number): number => (ax < 0 ? 0 : Math.floor(i / inner) % slices);
    const scales = new Float32Array(slices);
    w.forEach((v, i) => (scales[slot(i)] = Math.max(scales[slot(i)]!, Math.abs(v) / 127)));
    const zp = type === 'uint8' ? 128 : 0;
    const q = Array.from(w, (v, i) => Math.round(v / scales[slot(i)]!) + zp);
    this.ints[`${name}_q`] = { type, dims, data: q };
    this.ints[`${name}_zp`] = { type, dims: ax < 0 ? [] : [slices], data: Array<number>(slices).fill(zp) };
    this.inits[`${name}_s`] = { dims: ax < 0 ? [] : [slices], data: scales };
    this.floatInits[name] = { dims, data: q.map((v, i) => Math.fround((v - zp) * scales[slot(i)]!)) };
    this.nodes.push({ op: 'DequantizeLinear', inputs: [`${name}_q`, `${name}_s`, `${name}_zp`], outputs: [name], ...(ax < 0 ? {} : { attrs: { axis: { i: ax } } }) });
    return { name, scales };
  }
  /** An INT32 bias at scale inScale·wScale (per channel), as quantize_static writes it. */
  bias(name: string, n: number, inScale: number, wScales: Float32Array): string {
    const b = weights(n, this.seed + this.k++, -0.3, 0.3);
    const s = Float32Array.from({ length: n }, (_, i) => Math.fround(inScale * wScales[wScales.length === 1 ? 0 : i]!));
    const q = Array.from(b, (v, i) => Math.round(v / s[i]!));
    this.ints[`${name}_q`] = { type: 'int32', dims: [n], data: q };
    // one scale for a weight quantized per tensor
    const one = wScales.length === 1;
    this.inits[`${name}_s`] = one ? { dims: [], data: [s[0]!] } : { dims: [n], data: s };
    this.floatInits[name] = { dims: [n], data: q.map((v, i) => Math.fround(v * s[i]!)) };
    this.nodes.push({ op: 'DequantizeLinear', inputs: [`${name}_q`, `${name}_s`], outputs: [name], ...(one ? {} : { attrs: { axis: { i: 0 } } }) });
    return name;
  }
  models(input: number[], output: number[], opset = 13): Models {
    const qdq = withInts(buildOnnx({ input, output, nodes: this.nodes, inits: this.inits, opset }), this.ints);
    // below opset 11 Clip's bounds are attributes
    const bound = (t: string): number => this.floatInits[t]!.data[0]!;
    const clip = (n: NodeSpec): NodeSpec => (n.op !== 'Clip' || opset >= 11 ? n : bound(n.inputs[1]!) === -Infinity ? { op: 'Identity', inputs: [n.inputs[0]!], outputs: n.outputs! } : { op: 'Clip', inputs: [n.inputs[0]!], outputs: n.outputs!, attrs: { min: { f: bound(n.inputs[1]!) }, max: { f: bound(n.inputs[2]!) } } });
    const float = buildOnnx({ input, output, nodes: this.floatNodes.map(clip), inits: this.floatInits, opset });
    const plain = buildOnnx({ input, output, nodes: this.plainNodes, inits: this.floatInits, opset });
    return { qdq, float, plain };
  }
}

/** ONNX Runtime's quantize_static layout of a small CNN: 2×6×6 → conv3×3 → ReLU → max pool 2×2/1 → conv3×3/2 → ReLU → Flatten → MatMul + bias → 4. */
function cnn(): Models {
  const b = new Builder(70);
  const sx = 2 / 255;
  const x = b.qdq('x', sx, 128);
  const w1 = b.weight('W1', [4, 2, 3, 3], 'int8', 0);
  b.node({ op: 'Conv', inputs: [x, 'W1', b.bias('B1', 4, sx, w1.scales)], outputs: ['c1'], attrs: { pads: { ints: [1, 1, 1, 1] } } });
  b.node({ op: 'Relu', inputs: ['c1'], outputs: ['r1'] });
  const s1 = 3 / 255;
  const r1 = b.qdq('r1', s1, 0);
  b.node({ op: 'MaxPool', inputs: [r1], outputs: ['p1'], attrs: { kernel_shape: { ints: [2, 2] } } });
  // a pair after a pool: no conv's threshold to clamp in, an identity
  const p1 = b.qdq('p1', s1, 0, 'uint8', false);
  const w2 = b.weight('W2', [3, 4, 3, 3], 'int8', 0, -0.4, 0.4);
  b.node({ op: 'Conv', inputs: [p1, 'W2', b.bias('B2', 3, s1, w2.scales)], outputs: ['c2'], attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } });
  b.node({ op: 'Relu', inputs: ['c2'], outputs: ['r2'] });
  const r2 = b.qdq('r2', 3 / 255, 0);
  b.node({ op: 'Flatten', inputs: [r2], outputs: ['f'] });
  b.weight('W3', [27, 4], 'int8', undefined, -0.4, 0.4);
  b.node({ op: 'MatMul', inputs: ['f', 'W3'], outputs: ['m'] });
  b.inits['B3'] = b.floatInits['B3'] = { dims: [4], data: [0.1, -0.2, 0.05, 0.3] };
  b.node({ op: 'Add', inputs: ['m', 'B3'], outputs: ['y'] });
  return b.models([1, 2, 6, 6], [1, 4]);
}

/** An MLP: 16 → Gemm (UINT8 weights, zero point 128, per tensor) → ReLU → MatMul (INT8 per column, axis 1; per tensor below opset 13) → 5. */
function mlp(opset = 13): Models {
  const b = new Builder(90);
  const sx = 2 / 255;
  const x = b.qdq('x', sx, 128);
  const w1 = b.weight('W1', [16, 12], 'uint8');
  b.node({ op: 'Gemm', inputs: [x, 'W1', b.bias('B1', 12, sx, w1.scales)], outputs: ['h'] });
  b.node({ op: 'Relu', inputs: ['h'], outputs: ['r'] });
  const r = b.qdq('r', 4 / 255, 0);
  // per axis from opset 13 on
  b.weight('W2', [12, 5], 'int8', opset >= 13 ? 1 : undefined);
  b.node({ op: 'MatMul', inputs: [r, 'W2'], outputs: ['y'] });
  return b.models([1, 16], [1, 5], opset);
}

/** QOperator: Q → QLinearConv (INT8 weights per channel, INT32 bias) → DQ → Flatten → Q → QLinearMatMul → DQ. */
/**
 * A QOperator model (QLinearConv, QLinearMatMul), and its twin in standard ops (DequantizeLinear,
 * Conv / MatMul, QuantizeLinear), which the ONNX spec defines it as: ONNX Runtime's own QLinearConv
 * is an int8 kernel whose results depend on the CPU (on AVX2 without VNNI its u8·s8 pair sums
 * saturate at int16), so the twin, run unoptimized, is the reference.
 */
function qoperator(): { qop: Uint8Array; twin: Uint8Array } {
  const [sx, sc, sy] = [2 / 255, 6 / 255, 8 / 255];
  const b = new Builder(40);
  b.inits['sx'] = { dims: [], data: [sx] };
  b.ints['zx'] = { type: 'uint8', dims: [], data: [128] };
  b.inits['sc'] = { dims: [], data: [sc] };
  b.ints['zc'] = { type: 'uint8', dims: [], data: [128] };
  b.inits['sy'] = { dims: [], data: [sy] };
  b.ints['zy'] = { type: 'uint8', dims: [], data: [128] };
  const w = b.weight('W', [4, 2, 3, 3], 'int8', 0);
  b.bias('B', 4, sx, w.scales);
  b.weight('M', [144, 3], 'int8', undefined, -0.3, 0.3);
  const nodes: NodeSpec[] = [
    { op: 'QuantizeLinear', inputs: ['x', 'sx', 'zx'], outputs: ['xq'] },
    { op: 'QLinearConv', inputs: ['xq', 'sx', 'zx', 'W_q', 'W_s', 'W_zp', 'sc', 'zc', 'B_q'], outputs: ['cq'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'DequantizeLinear', inputs: ['cq', 'sc', 'zc'], outputs: ['c'] },
    { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
    { op: 'QuantizeLinear', inputs: ['f', 'sc', 'zc'], outputs: ['fq'] },
    { op: 'QLinearMatMul', inputs: ['fq', 'sc', 'zc', 'M_q', 'M_s', 'M_zp', 'sy', 'zy'], outputs: ['yq'] },
    { op: 'DequantizeLinear', inputs: ['yq', 'sy', 'zy'], outputs: ['y'] },
  ];
  // the twin: b.nodes dequantize W, B and M to float
  const twin: NodeSpec[] = [
    { op: 'QuantizeLinear', inputs: ['x', 'sx', 'zx'], outputs: ['xq'] },
    { op: 'DequantizeLinear', inputs: ['xq', 'sx', 'zx'], outputs: ['xd'] },
    ...b.nodes,
    { op: 'Conv', inputs: ['xd', 'W', 'B'], outputs: ['cf'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'QuantizeLinear', inputs: ['cf', 'sc', 'zc'], outputs: ['cq'] },
    ...nodes.slice(2, 5),
    { op: 'DequantizeLinear', inputs: ['fq', 'sc', 'zc'], outputs: ['fd'] },
    { op: 'MatMul', inputs: ['fd', 'M'], outputs: ['mf'] },
    { op: 'QuantizeLinear', inputs: ['mf', 'sy', 'zy'], outputs: ['yq'] },
    nodes[6]!,
  ];
  const build = (n: NodeSpec[]): Uint8Array => withInts(buildOnnx({ input: [1, 2, 6, 6], output: [1, 3], nodes: n, inits: b.inits, opset: 13 }), b.ints);
  return { qop: build(nodes), twin: build(twin) };
}

/** nnchip's int8 program of the model (calibrated on `inputs`): simulator = reference, and its dequantized outputs. */
function int8Outputs(path: string, inputs: Float32Array[]): Float64Array[] {
  const graph = loadModel(path);
  const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
  return inputs.map((x) => {
    const codes = quantizeInput(program, x);
    const ref = interpret(program, codes);
    const sim = simulate(program, codes, { trace: false }).output;
    expect(Array.from(sim)).toEqual(Array.from(ref));
    return Float64Array.from(dequantizeOutput(program, ref));
  });
}

const worst = (a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number => Math.max(...a.flatMap((v, i) => Array.from(v, (x, j) => Math.abs(x - b[i]![j]!))));
const span = (v: readonly Float32Array[]): number => Math.max(...v.flatMap((x) => Array.from(x))) - Math.min(...v.flatMap((x) => Array.from(x)));

describe('int8-quantized ONNX models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-quant-'));
  test.each([
    ['a QDQ CNN (per-channel INT8 conv weights, INT32 biases)', cnn, [1, 2, 6, 6]],
    ['a QDQ MLP (UINT8 per-tensor, INT8 per-column weights)', () => mlp(), [1, 16]],
    ['the QDQ MLP at opset 19', () => mlp(19), [1, 16]],
    ['the QDQ MLP at opset 10 (per tensor)', () => mlp(10), [1, 16]],
  ] as const)('%s: weights fold exactly; int8 sim close to ONNX Runtime on the QDQ model', async (name, make, dims) => {
    const { qdq, float, plain } = make();
    const qPath = writeOnnx(join(dir, name.replace(/\W+/g, '-')), qdq);
    const fPath = writeOnnx(join(dir, name.replace(/\W+/g, '-')), float, 'float.onnx');
    const inputs = randomSamples(24, (dims as readonly number[]).reduce((a, b) => a * b, 1), 11, -1, 1);
    const graph = loadModel(qPath);
    const wantFloat = await ortRun(fPath, [...dims], inputs);
    // the imported graph is the float model of the dequantized weights (the activation pairs are identities)
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), wantFloat[i]!));
    // unoptimized: ORT then runs the pairs and the float op as the ONNX spec defines them; optimized, it fuses
    // them into int8 kernels whose results depend on the CPU (u8·s8 pair sums saturate at int16 on AVX2 without VNNI)
    const wantQdq = await ortRun(qPath, [...dims], inputs, true);
    const got = int8Outputs(qPath, inputs);
    // the pairs cost nothing: the program is as long as the one of the model without them
    const length = (bytes: Uint8Array): number => compileGraph(loadModel(writeOnnx(join(dir, 'plain'), bytes)), inputs, { rows: 8, cols: 8 }).instructions.length;
    expect(length(qdq)).toBe(length(plain));
    // both quantize activations to 8 bits (ORT at the model's ranges, nnchip at its calibrated ones): measured 0.9 % (CNN) and 0.5 % (MLP) of the output range
    const range = span(wantQdq);
    expect(worst(got, wantQdq)).toBeLessThan(0.03 * range);
    expect(worst(wantFloat, wantQdq)).toBeLessThan(0.02 * range);
  });

  test('a per-tensor pair that is not applied (on the model input, after a pool) is said in a note, with its range', () => {
    const graph = loadModel(writeOnnx(join(dir, 'notes'), cnn().qdq));
    const said = graph.notes.filter((n) => n.startsWith('the QuantizeLinear/DequantizeLinear pair on'));
    expect(said).toEqual([
      'the QuantizeLinear/DequantizeLinear pair on "x" (range [-1.003922, 0.9960785]) is not applied: inputs outside it give other results than ONNX Runtime: --input-range -1.003922,0.9960785 quantizes the input to it',
      'the QuantizeLinear/DequantizeLinear pair on "p1" (range [0, 3]) is not applied: values outside it give other results than ONNX Runtime (only a clamp fused into the conv or dense computing a tensor is applied)',
    ]);
  });

  test('a QAT CNN as torch.onnx.export writes it (Q/DQ of float weights per channel, zero points through Identity): close to ONNX Runtime', async () => {
    const path = join(import.meta.dirname, '../../fixtures/qdq/qat-cnn.onnx');
    const inputs = randomSamples(24, 72, 13, -1, 1);
    const want = await ortRun(path, [1, 2, 6, 6], inputs, true); // unoptimized: as the spec defines it, whatever the CPU
    const graph = loadModel(path);
    // the weights fold through QuantizeLinear then DequantizeLinear as ORT computes them, and the pairs clamp to their
    // ranges (which these trained ranges reach): measured 1.2 and 1.0 of the output's LSBs (0.0014; as identities: 16)
    expect(worst(inputs.map((x) => evaluateOutput(graph, x)), want)).toBeLessThan(0.01 * span(want));
    expect(worst(int8Outputs(path, inputs), want)).toBeLessThan(0.01 * span(want));
  });

  test('QOperator QLinearConv / QLinearMatMul: rewritten to QDQ, close to ONNX Runtime', async () => {
    const { qop, twin } = qoperator();
    const qPath = writeOnnx(join(dir, 'qop'), qop);
    const inputs = randomSamples(24, 72, 12, -1, 1);
    const want = await ortRun(writeOnnx(join(dir, 'qop-twin'), twin), [1, 2, 6, 6], inputs, true);
    const got = int8Outputs(qPath, inputs);
    expect(worst(got, want)).toBeLessThan(0.03 * span(want));
    // the float graph: QLinearConv's output rounding aside, the same
    const graph = loadModel(qPath);
    expect(worst(inputs.map((x) => evaluateOutput(graph, x)), want)).toBeLessThan(0.02 * span(want));
  });
});

/** The QDQ MLP with its graph changed by `f`, loaded: the error it gives. */
function brokenMlp(f: (g: onnxProto.onnx.IGraphProto) => void): ReturnType<typeof failure> {
  const m = onnx.ModelProto.decode(mlp().qdq);
  f(m.graph!);
  const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-quant-bad-')), onnx.ModelProto.encode(m).finish());
  return failure(() => loadModel(path));
}
const init = (g: onnxProto.onnx.IGraphProto, name: string): onnxProto.onnx.ITensorProto => g.initializer!.find((t) => t.name === name)!;
const floats = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const node = (g: onnxProto.onnx.IGraphProto, output: string): onnxProto.onnx.INodeProto => g.node!.find((n) => n.output![0] === output)!;

describe('malformed or unsupported quantization: one-line errors', () => {
  test.each([
    ['a DequantizeLinear without a scale', (g) => (node(g, 'W1').input = ['W1_q']), 'NN107', /DequantizeLinear is missing input 1 \(the scale\)/],
    ['a weight scale of 0', (g) => (init(g, 'W1_s').rawData = floats(0)), 'NN107', /DequantizeLinear: scale 0 is not a finite positive number/],
    ['a negative weight scale', (g) => (init(g, 'W1_s').rawData = floats(-0.01)), 'NN107', /scale -0\.0099\d* is not a finite positive number/],
    ['a NaN activation scale', (g) => (init(g, 's0').rawData = floats(NaN)), 'NN107', /QuantizeLinear: scale NaN is not a finite positive number/],
    ['a UINT8 zero point of 300', (g) => Object.assign(init(g, 'W1_zp'), { rawData: new Uint8Array(0), int32Data: [300] }), 'NN107', /holds 300, outside UINT8's range 0\.\.255/],
    ['a per-axis axis outside the weight', (g) => (node(g, 'W2').attribute![0]!.i = 2), 'NN107', /axis 2 is outside a rank-2 tensor/],
    ['5 scales along an axis of 12', (g) => (node(g, 'W2').attribute![0]!.i = 0), 'NN107', /5 scales along axis 0 of a tensor of shape \[12,5\] \(12 slices\)/],
    ['a zero point of another length than its scale', (g) => Object.assign(init(g, 'W2_zp'), { dims: [4], rawData: new Uint8Array(4) }), 'NN107', /the zero point has shape \[4\] but the scale \[5\]/],
    ['an INT8 weight with a UINT8 zero point', (g) => Object.assign(init(g, 'W2_zp'), { dataType: DT.UINT8 }), 'NN107', /x is INT8 but its zero point UINT8/],
    ['a quantized model output', (g) => g.node!.push({ name: 'out_q', opType: 'QuantizeLinear', input: ['y', 's0', 'z0'], output: ['yq'] }) && (g.output![0]!.name = 'yq'), 'NN110', /QuantizeLinear: its integer output is the model output or is read by something other than a DequantizeLinear/],
    ['a pair of two scales (a requantization)', (g) => (node(g, 'r_dq').input![1] = 's0'), 'NN110', /QuantizeLinear: its integer output is the model output or is read by something other than a DequantizeLinear/],
    ['MatMulInteger', (g) => (node(g, 'y').opType = 'MatMulInteger'), 'NN110', /op MatMulInteger is not supported: quantized operators other than QLinearConv and QLinearMatMul are not supported; quantize in the QDQ format/],
    ['com.microsoft QLinearAdd', (g) => Object.assign(node(g, 'y'), { opType: 'QLinearAdd', domain: 'com.microsoft' }), 'NN110', /op com\.microsoft\.QLinearAdd is not supported: .*QuantFormat\.QDQ/],
  ] as [string, (g: onnxProto.onnx.IGraphProto) => void, string, RegExp][])('%s', (_, f, code, message) => {
    const e = brokenMlp(f);
    expect(e.code).toBe(code);
    expect(e.format()).toMatch(message);
    expect(e.format()).not.toContain('\n');
  });
});

/** An integer or float TensorProto's values. */
function values(t: onnxProto.onnx.ITensorProto): number[] {
  if (t.dataType === DT.FLOAT) return Array.from(floatValues(t));
  const raw = t.rawData && t.rawData.length > 0 ? Uint8Array.from(t.rawData) : undefined;
  if (raw === undefined) return (t.int32Data ?? []).map(Number);
  return t.dataType === DT.INT8 ? Array.from(new Int8Array(raw.buffer)) : t.dataType === DT.INT32 ? Array.from(new Int32Array(raw.buffer)) : Array.from(raw);
}

// ONNX's own QuantizeLinear / DequantizeLinear node tests (their integer input or output cannot be nnchip's: the conformance
// suite records them as refused), with x made a constant: z + DequantizeLinear(x) (a QuantizeLinear test: of QuantizeLinear(x))
// reshaped to [1, n], read by nnchip as a per-unit bias of its float input z, must equal z + the reference output
describe.runIf(existsSync(NODE_TESTS) || IN_CI)('ONNX node tests of QuantizeLinear / DequantizeLinear folded as constants', () => {
  test.each(['test_dequantizelinear', 'test_dequantizelinear_axis', 'test_quantizelinear', 'test_quantizelinear_axis'])('%s', (name) => {
    const dir = join(NODE_TESTS, name);
    const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
    const g = model.graph!;
    const ins = [0, 1, 2].map((i) => onnx.TensorProto.decode(readFileSync(join(dir, 'test_data_set_0', `input_${i}.pb`))));
    const out = onnx.TensorProto.decode(readFileSync(join(dir, 'test_data_set_0', 'output_0.pb')));
    const op = g.node![0]!;
    const n = values(out).length;
    // the reference output as floats: a QuantizeLinear's integers dequantized with its own scale and zero point
    const [scale, zp] = [values(ins[1]!), values(ins[2]!)];
    const axis = Number(op.attribute?.find((a) => a.name === 'axis')?.i ?? 1);
    const dims = (out.dims ?? []).map(Number);
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const slot = (i: number): number => (scale.length === 1 ? 0 : Math.floor(i / inner) % dims[axis]!);
    const want = values(out).map((v, i) => (op.opType === 'QuantizeLinear' ? Math.fround((v - zp[slot(i)]!) * scale[slot(i)]!) : v));
    const q = op.opType === 'QuantizeLinear';
    const nodes: onnxProto.onnx.INodeProto[] = [
      { ...op, name: 'op' },
      ...(q ? [{ name: 'dq', opType: 'DequantizeLinear', input: [op.output![0]!, ...op.input!.slice(1)], output: ['f'], attribute: op.attribute ?? [] }] : []),
      { name: 'flat', opType: 'Reshape', input: [q ? 'f' : op.output![0]!, 'shape'], output: ['flat'] },
      { name: 'add', opType: 'Add', input: ['z', 'flat'], output: ['sum'] },
    ];
    const initializer = [...ins.map((t, i) => ({ ...t, name: g.input![i]!.name! })), { name: 'shape', dims: [2], dataType: DT.INT64, int64Data: [1, n] }];
    const io = (nm: string): onnxProto.onnx.IValueInfoProto => ({ name: nm, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: n }] } } } });
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph: { name: name, node: nodes, initializer, input: [io('z')], output: [io('sum')] } })).finish();
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-qnode-')), bytes));
    const z = randomSamples(1, n, 5, -1, 1)[0]!;
    expectClose(evaluateOutput(graph, z), z.map((v, i) => v + want[i]!), 1e-6);
  });
});
