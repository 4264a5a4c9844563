/**
 * What exporters actually write (issue 14): per-pattern ONNX models built with the ONNX schema,
 * imported, evaluated in float (= onnxruntime-node within 1e-4) and compiled to int8 (interpreted,
 * dequantized, compared with onnxruntime within a quantization tolerance stated per test).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph, GraphOp } from '../../../src/ir/graph.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../../src/isa/program.js';
import { makeConfig } from '../../../src/isa/config.js';
import { compile, prepareGraph } from '../../../src/passes/pipeline.js';
import { simulate } from '../../../sim/index.js';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const w = (dims: number[], seed: number, lo = -1, hi = 1) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
const ints = (data: number[]) => ({ dims: [data.length], data, int64: true });
const scalar = (v: number) => ({ dims: [], data: [v] });

interface Checked {
  graph: Graph;
  program: Program;
  /** max |int8 − onnxruntime| over the samples, in units of the output scale */
  lsb: number;
}

/**
 * Float: IR = onnxruntime within 1e-4. Int8: compiled with the samples as calibration; returns the
 * worst int8 error in output LSBs for the caller's bound.
 */
async function check(spec: ModelSpec, opts: { ops?: GraphOp[]; absent?: GraphOp[]; samples?: number } = {}): Promise<Checked> {
  const bytes = buildOnnx(spec);
  const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-exp-')), bytes));
  const simplified = prepareGraph(graph, true).nodes.map((n) => n.op);
  for (const op of opts.ops ?? []) expect(simplified).toContain(op);
  for (const op of opts.absent ?? []) expect(simplified).not.toContain(op);
  const dims = spec.input.map((d) => (typeof d === 'string' ? 1 : d));
  const samples = randomSamples(opts.samples ?? 8, dims.reduce((a, b) => a * b, 1), 5, -1, 2);
  const want = await ortRun(bytes, dims, samples, true);
  samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  const program = compileGraph(graph, samples);
  const chw = graph.nodes.find((n) => n.output === graph.outputs[0])?.op === 'flatten' && (graph.nodes.find((n) => n.output === graph.outputs[0]) as { order?: string }).order === 'chw';
  let lsb = 0;
  samples.forEach((x, i) => {
    const codes = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
    const got = chw ? chwOrder(codes, program.outputs[0]!.shape) : codes;
    want[i]!.forEach((v, j) => (lsb = Math.max(lsb, Math.abs(got[j]! - v) / program.outputs[0]!.scale)));
  });
  return { graph, program, lsb };
}

/** The program's output, an [H, W, C] map stored pixel-major, in the channel-major order ONNX flattens it. */
function chwOrder(v: Float64Array, shape: readonly number[]): Float64Array {
  const [h, w, c] = shape.length === 3 ? (shape as [number, number, number]) : [1, 1, v.length];
  return Float64Array.from({ length: v.length }, (_, i) => v[(i % (h * w)) * c + Math.floor(i / (h * w))]!);
}

/** An NCHW model [1, C, H, W] → nodes → Flatten (channel-major, as ONNX flattens). */
function image(input: number[], nodes: ModelSpec['nodes'], inits: ModelSpec['inits'] = {}, opset = 13): ModelSpec {
  const last = nodes.length - 1;
  const named = nodes.map((n, i) => ({ ...n, outputs: n.outputs ?? [`t${i}`] }));
  return { input, output: [1, 'k'], inits, opset, nodes: [...named, { op: 'Flatten', inputs: [named[last]!.outputs![0]!], outputs: ['y'] }] };
}

const avg = (attrs: Record<string, number[] | number>) => ({
  op: 'AveragePool', inputs: ['x'],
  attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'number' ? { i: v } : { ints: v }])),
});

describe('average pooling: exact divisors at the border', () => {
  // one layer: the int8 error is the input's rounding (≤ ½ input LSB, averaged) plus the output's (½ LSB):
  // a wrong divisor at a border pixel (e.g. 9 for a corner's 4 taps) would be off by a large fraction of the range
  test.each([
    ['pads 1, count_include_pad 0', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
    ['pads 1, count_include_pad 1', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }],
    ['asymmetric pads, stride 2', { kernel_shape: [3, 2], pads: [0, 1, 2, 0], strides: [2, 1] }],
    ['asymmetric pads counted, stride 2', { kernel_shape: [3, 2], pads: [2, 0, 1, 1], strides: [2, 2], count_include_pad: 1 }],
    ['ceil_mode 1', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
    ['ceil_mode 1 with counted pads', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }],
  ])('%s', async (_, attrs) => {
    const { program, lsb } = await check(image([1, 3, 7, 6], [avg(attrs)]));
    const inScale = program.input.scale / program.outputs[0]!.scale;
    expect(lsb).toBeLessThanOrEqual(0.5 + 0.5 * inScale + 0.01);
  });

  test('torch AvgPool2d: an all-zero Pad before AveragePool is dropped', async () => {
    const { graph } = await check(image([1, 2, 6, 6], [{ op: 'Pad', inputs: ['x', 'p'] }, { ...avg({ kernel_shape: [2, 2], strides: [2, 2] }), inputs: ['t0'] }], { p: ints([0, 0, 0, 0, 0, 0, 0, 0]) }), { absent: ['pad'] });
    expect(graph.nodes.map((n) => n.op)).toContain('pad');
  });

  test('a non-zero Pad folds into the next Conv and AveragePool (its zeros counted), and is copied before a MaxPool', async () => {
    const pads = ints([0, 0, 1, 2, 0, 0, 2, 1]);
    const conv = await check(image([1, 2, 5, 5], [{ op: 'Pad', inputs: ['x', 'p'] }, { op: 'Conv', inputs: ['t0', 'K', 'B'] }], { p: pads, K: w([3, 2, 3, 3], 1), B: w([3], 2) }), { absent: ['pad'] });
    expect(conv.lsb).toBeLessThanOrEqual(2);
    const pooled = await check(image([1, 2, 5, 5], [{ op: 'Pad', inputs: ['x', 'p'] }, { ...avg({ kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), inputs: ['t0'] }], { p: pads }), { absent: ['pad'] });
    expect(pooled.lsb).toBeLessThanOrEqual(1);
    const maxed = await check(image([1, 2, 5, 5], [{ op: 'Pad', inputs: ['x', 'p'] }, { op: 'MaxPool', inputs: ['t0'], attrs: { kernel_shape: { ints: [2, 2] } } }], { p: pads }), { ops: ['pad', 'pool2d'] });
    expect(maxed.lsb).toBeLessThanOrEqual(0.5);
  });
});

describe('windows', () => {
  test('Conv with dilations and no bias, MaxPool with dilations and ceil_mode', async () => {
    const { lsb } = await check(image([1, 2, 9, 8], [
      { op: 'Conv', inputs: ['x', 'K'], attrs: { dilations: { ints: [2, 3] }, pads: { ints: [2, 1, 1, 2] } } },
      { op: 'MaxPool', inputs: ['t0'], attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 1] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } } },
    ], { K: w([3, 2, 3, 2], 3) }));
    expect(lsb).toBeLessThanOrEqual(2);
  });

  test('grouped Conv (2 groups) and a depthwise Conv with channel multiplier 2: block-diagonal kernels', async () => {
    const { graph, lsb } = await check(image([1, 4, 6, 6], [
      { op: 'Conv', inputs: ['x', 'G', 'B'], attrs: { group: { i: 2 }, pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Conv', inputs: ['t0', 'D'], attrs: { group: { i: 6 } } },
    ], { G: w([6, 2, 3, 3], 43), B: w([6], 44), D: w([12, 1, 2, 2], 45) }));
    expect(graph.nodes.filter((n) => n.op === 'conv2d').map((n) => n.op === 'conv2d' && [n.depthwise, n.kernel.shape])).toEqual([[false, [3, 3, 4, 6]], [false, [2, 2, 6, 12]]]);
    expect(lsb).toBeLessThanOrEqual(3);
  });

  test.each([
    ['PyTorch interpolate(scale_factor=2): asymmetric, floor, scales', { coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } }, ['x', '', 's'], [1, 1, 2, 2], 'upsample2x2'],
    ['the default half_pixel, round_prefer_floor, sizes (×2, ×3)', {}, ['x', '', '', 'z'], [1, 2, 6, 9], 'upsample2x3'],
    ['Resize of a 1-D map (×3)', {}, ['x', '', 's'], [1, 1, 3], 'upsample1x3'],
  ] as const)('Resize nearest, %s: one copy per phase, exact', async (_, attrs, inputs, scale, label) => {
    const spec = image(scale.length === 3 ? [1, 2, 5] : [1, 2, 3, 3], [{ op: 'Resize', inputs: [...inputs], attrs: { mode: { s: 'nearest' }, ...attrs } }], {
      s: { dims: [scale.length], data: [...scale] }, z: ints([...scale]),
    }, 13);
    const { program, lsb } = await check(spec, { ops: ['upsample'] });
    expect(program.layers.map((l) => l.op)).toEqual([label]);
    expect(lsb).toBeLessThanOrEqual(0.5);
  });

  test('Resize modes that do not replicate pixels are refused by name', () => {
    const spec = (attrs: Record<string, { s: string }>) => image([1, 2, 3, 3], [{ op: 'Resize', inputs: ['x', '', 's'], name: 'up', attrs }], { s: { dims: [4], data: [1, 1, 2, 2] } }, 13);
    const refuse = (attrs: Record<string, { s: string }>) => () => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-exp-')), buildOnnx(spec(attrs))));
    expect(refuse({ mode: { s: 'cubic' } })).toThrow(/^Resize: mode "cubic" is not supported \(only nearest and linear\)/);
    expect(refuse({ coordinate_transformation_mode: { s: 'align_corners' } })).toThrow(/coordinate_transformation_mode "align_corners" with nearest_mode "round_prefer_floor" is not supported/);
    expect(refuse({ coordinate_transformation_mode: { s: 'asymmetric' } })).toThrow(/"asymmetric" with nearest_mode "round_prefer_floor" is not supported/);
  });

  test('Conv1d on [N, C, L] with MaxPool1d, AveragePool1d (padded) and GlobalAveragePool → Gemm', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 12], output: [1, 2], opset: 13,
      inits: { K: w([4, 3, 3], 4), B: w([4], 5), W: w([2, 4], 6) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'K', 'B'], attrs: { pads: { ints: [1, 1] }, strides: { ints: [1] }, dilations: { ints: [2] } } },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'MaxPool', inputs: ['t1'], attrs: { kernel_shape: { ints: [2] }, strides: { ints: [2] } } },
        { op: 'AveragePool', inputs: ['t2'], attrs: { kernel_shape: { ints: [3] }, pads: { ints: [1, 1] } } },
        { op: 'GlobalAveragePool', inputs: ['t3'] },
        { op: 'Flatten', inputs: ['t4'] },
        { op: 'Gemm', inputs: ['t5', 'W'], attrs: { transB: { i: 1 } } },
      ],
    };
    const { graph, lsb } = await check(spec);
    expect(graph.inputs[0]).toEqual({ name: 'x', shape: [1, 12, 3], layout: 'chw' });
    expect(lsb).toBeLessThanOrEqual(3);
  });
});

describe('heads and reductions', () => {
  test.each([
    ['ReduceMean keepdims 1, axes attribute (opset 13)', 13, { op: 'ReduceMean', inputs: ['t1'], attrs: { axes: { ints: [2, 3] } } }, 'globalAvgPool'],
    ['ReduceMean keepdims 0, axes input (opset 18)', 18, { op: 'ReduceMean', inputs: ['t1', 'axes'], attrs: { keepdims: { i: 0 } } }, 'globalAvgPool'],
    ['ReduceSum keepdims 0, axes input (opset 13)', 13, { op: 'ReduceSum', inputs: ['t1', 'axes'], attrs: { keepdims: { i: 0 } } }, 'globalAvgPool'],
  ])('%s = global pooling → Gemm', async (_, opset, reduce, op) => {
    const spec: ModelSpec = {
      input: [1, 2, 5, 4], output: [1, 3], opset: opset as number,
      inits: { K: w([4, 2, 3, 3], 7), W: w([4, 3], 8), c: w([3], 9), axes: ints([-1, -2]) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'K'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Relu', inputs: ['t0'] },
        { ...reduce, outputs: ['r'] } as ModelSpec['nodes'][number],
        { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'W', 'c'] },
      ],
    };
    const { lsb } = await check(spec, { ops: [op as GraphOp] });
    expect(lsb).toBeLessThanOrEqual(3);
  });

  test('a final LogSoftmax is dropped with a note (outputs become logits, argmax unchanged)', async () => {
    const spec: ModelSpec = { input: [1, 5], output: [1, 3], inits: { W: w([5, 3], 10) }, nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }, { op: 'LogSoftmax', inputs: ['t0'], name: 'lsm' }] };
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-exp-')), buildOnnx(spec)));
    const samples = randomSamples(6, 5, 11, -1, 1);
    const want = await ortRun(buildOnnx(spec), [1, 5], samples);
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const prepared = prepareGraph(graph, true);
    expect(prepared.notes).toEqual(['final log-softmax "lsm" dropped: outputs are logits, argmax unchanged']);
    const argmax = (v: ArrayLike<number>) => Array.from(v).indexOf(Math.max(...Array.from(v)));
    samples.forEach((x, i) => expect(argmax(evaluateOutput(prepared, x))).toBe(argmax(want[i]!)));
  });
});

describe('dense layers as exporters write them', () => {
  test('Gemm with transA on a [K, 1] input, alpha and beta ≠ 1', async () => {
    const spec: ModelSpec = { input: [6, 1], output: [1, 4], inits: { B: w([4, 6], 12), C: w([1, 4], 13) }, nodes: [{ op: 'Gemm', inputs: ['x', 'B', 'C'], attrs: { transA: { i: 1 }, transB: { i: 1 }, alpha: { f: 0.25 }, beta: { f: -2 } } }] };
    expect((await check(spec)).lsb).toBeLessThanOrEqual(1);
  });

  // dense layers: each output sums K products of quantized inputs, so the input's rounding error
  // (½ input LSB each) adds up; the bounds below are a few output LSBs
  test('MatMul on [N, T, F] + Add bias: the dense layer applied to each of the T rows, then Flatten', async () => {
    const spec: ModelSpec = {
      input: [1, 5, 6], output: [1, 20], inits: { W: w([6, 4], 14), b: w([4], 15) },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }, { op: 'Add', inputs: ['t0', 'b'] }, { op: 'Relu', inputs: ['t1'] }, { op: 'Flatten', inputs: ['t2'] }],
    };
    const { graph, lsb } = await check(spec, { absent: ['batchNorm'] });
    expect(graph.inputs[0]).toEqual({ name: 'x', shape: [1, 5, 6] });
    expect(lsb).toBeLessThanOrEqual(2);
  });

  test('Transpose NCHW → NHWC then MatMul per pixel; Squeeze/Unsqueeze around a global pool', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 4, 4], output: [1, 5], opset: 13,
      inits: { W: w([3, 6], 16), V: w([6, 5], 17), sq: ints([2, 3]), un: ints([2, 3]) },
      nodes: [
        { op: 'Transpose', inputs: ['x'], attrs: { perm: { ints: [0, 2, 3, 1] } } },
        { op: 'MatMul', inputs: ['t0', 'W'] },
        { op: 'Transpose', inputs: ['t1'], attrs: { perm: { ints: [0, 3, 1, 2] } } },
        { op: 'GlobalAveragePool', inputs: ['t2'] },
        { op: 'Squeeze', inputs: ['t3', 'sq'] },
        { op: 'Unsqueeze', inputs: ['t4', 'un'] },
        { op: 'Flatten', inputs: ['t5'] },
        { op: 'MatMul', inputs: ['t6', 'V'] },
      ],
    };
    expect((await check(spec)).lsb).toBeLessThanOrEqual(2);
  });

  test('Clip with any constant bounds: hardtanh and ReLU-3 fused into the producer', async () => {
    const spec: ModelSpec = {
      input: [1, 6], output: [1, 4], inits: { W1: w([6, 8], 18), W2: w([8, 4], 19), lo: scalar(-1), hi: scalar(1), z: scalar(0), three: scalar(3) },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W1'] }, { op: 'Clip', inputs: ['t0', 'lo', 'hi'] }, { op: 'MatMul', inputs: ['t1', 'W2'] }, { op: 'Clip', inputs: ['t2', 'z', 'three'] }],
    };
    const { lsb } = await check(spec, { absent: ['activation'] });
    expect(lsb).toBeLessThanOrEqual(4);
  });

  test('Relu then Clip(0, 6) (how PyTorch exports relu6) and Clip then Relu compose into one clamp of the producer', async () => {
    const spec: ModelSpec = {
      input: [1, 6], output: [1, 4], inits: { W1: w([6, 8], 25), W2: w([8, 4], 26), z: scalar(0), six: scalar(6), lo: scalar(-2), hi: scalar(0.5) },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W1'] }, { op: 'Relu', inputs: ['t0'] }, { op: 'Clip', inputs: ['t1', 'z', 'six'] }, { op: 'MatMul', inputs: ['t2', 'W2'] }, { op: 'Clip', inputs: ['t3', 'lo', 'hi'] }, { op: 'Relu', inputs: ['t4'] }],
    };
    const { graph, lsb } = await check(spec, { absent: ['activation'] });
    expect(prepareGraph(graph).nodes.map((n) => n.op === 'dense' && n.activation)).toEqual(['relu6', { clip: [0, 0.5] }]);
    // the output spans only [0, 0.5]: one of its LSBs is 1/12 of the hidden layer's, whose rounding it inherits
    expect(lsb).toBeLessThanOrEqual(8);
  });

  test('input normalization (Sub, Div), a scale (Mul), Add of a constant and an unfused BatchNormalization', async () => {
    const c = 2;
    const spec: ModelSpec = {
      input: [1, c, 5, 5], output: [1, 3 * 9], opset: 13,
      inits: {
        mean: { dims: [1, c, 1, 1], data: [0.4, 0.6] }, std: { dims: [1, c, 1, 1], data: [0.25, 0.5] }, K: w([3, c, 3, 3], 20),
        g: w([3], 21, 0.5, 1.5), b: w([3], 22), m: w([3], 23), v: w([3], 24, 0.5, 2), s: scalar(1.5), a: { dims: [3, 1, 1], data: [0.1, -0.2, 0.3] },
      },
      nodes: [
        { op: 'Sub', inputs: ['x', 'mean'] }, { op: 'Div', inputs: ['t0', 'std'] },
        { op: 'Conv', inputs: ['t1', 'K'] },
        { op: 'Relu', inputs: ['t2'] },
        { op: 'BatchNormalization', inputs: ['t3', 'g', 'b', 'm', 'v'] },
        { op: 'Mul', inputs: ['s', 't4'] }, { op: 'Add', inputs: ['t5', 'a'] },
        { op: 'Flatten', inputs: ['t6'] },
      ],
    };
    const { graph, lsb } = await check(spec);
    // Sub and Div merge into one scale that folds forward into the unpadded Conv; the BatchNormalization,
    // Mul and Add after the ReLU merge into one scale-and-offset layer (nothing after it to fold into)
    expect(prepareGraph(graph).nodes.map((n) => n.op)).toEqual(['conv2d', 'batchNorm', 'flatten']);
    expect(lsb).toBeLessThanOrEqual(3);
  });
});

describe('constant scales folded into the next layer', () => {
  const norm = { mean: { dims: [1, 2, 1, 1], data: [0.4, -0.3] }, std: { dims: [1, 2, 1, 1], data: [0.25, 2] } };
  test('input normalization → Flatten (channel-major) → Gemm: folded into the Gemm', async () => {
    const spec: ModelSpec = {
      input: [1, 2, 3, 3], output: [1, 4], inits: { ...norm, W: w([18, 4], 40), b: w([4], 41) },
      nodes: [{ op: 'Sub', inputs: ['x', 'mean'] }, { op: 'Div', inputs: ['t0', 'std'] }, { op: 'Flatten', inputs: ['t1'] }, { op: 'Gemm', inputs: ['t2', 'W', 'b'] }],
    };
    const { graph, lsb } = await check(spec);
    expect(prepareGraph(graph, true).nodes.map((n) => n.op)).toEqual(['flatten', 'dense']);
    expect(lsb).toBeLessThanOrEqual(2);
  });

  test('normalization with an offset before a padded Conv stays a layer (folding would shift the padding), a pure scale folds', async () => {
    const conv = (mean: number[]): ModelSpec => ({
      input: [1, 2, 4, 4], output: [1, 'k'], inits: { ...norm, mean: { dims: [1, 2, 1, 1], data: mean }, K: w([3, 2, 3, 3], 42) },
      nodes: [{ op: 'Sub', inputs: ['x', 'mean'] }, { op: 'Div', inputs: ['t0', 'std'] }, { op: 'Conv', inputs: ['t1', 'K'], attrs: { pads: { ints: [1, 1, 1, 1] } } }, { op: 'Flatten', inputs: ['t2'] }],
    });
    const offset = await check(conv([0.4, -0.3]));
    expect(prepareGraph(offset.graph, true).nodes.map((n) => n.op)).toEqual(['batchNorm', 'conv2d', 'flatten']);
    expect(offset.lsb).toBeLessThanOrEqual(3);
    const scale = await check(conv([0, 0]));
    expect(prepareGraph(scale.graph, true).nodes.map((n) => n.op)).toEqual(['conv2d', 'flatten']);
    expect(scale.lsb).toBeLessThanOrEqual(3);
  });
});

describe('the new lowerings on the cycle-accurate simulator', () => {
  test('border regions of a padded average pool, a pad copy, dilated windows and upsampling phases: sim = WASM = interpreter on a 4×4 array', async () => {
    const spec = image([1, 3, 7, 6], [
      { op: 'Pad', inputs: ['x', 'p'] },
      { op: 'MaxPool', inputs: ['t0'], attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [1, 2] } } },
      { op: 'Conv', inputs: ['t1', 'K'], attrs: { dilations: { ints: [2, 1] }, pads: { ints: [1, 1, 1, 1] } } },
      { ...avg({ kernel_shape: [3, 3], pads: [1, 2, 2, 1], strides: [2, 1], ceil_mode: 1, count_include_pad: 1 }), inputs: ['t2'] },
      { op: 'Resize', inputs: ['t3', '', 's'], attrs: { coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } } },
    ], { p: ints([0, 0, 1, 0, 0, 0, 0, 2]), K: w([5, 3, 3, 3], 30), s: { dims: [4], data: [1, 1, 3, 2] } });
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-exp-')), buildOnnx(spec)));
    const samples = randomSamples(4, 3 * 7 * 6, 31, -1, 1);
    const program = compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples }, verify: true }).program;
    expect(program.layers.map((l) => l.op)).toEqual(expect.arrayContaining(['pad-copy', 'upsample3x2']));
    const wasm = await Promise.all([true, false].map((simd) => instantiate(emitWasm(program, { simd }))));
    for (const x of samples) {
      const codes = quantizeInput(program, x);
      const want = Array.from(interpret(program, codes));
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(want);
      for (const m of wasm) expect(Array.from(m.runRaw(codes))).toEqual(want);
    }
  });
});
