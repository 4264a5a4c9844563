/**
 * Float agreement with ONNX Runtime: per-op models built with the ONNX protobuf schema, and the
 * PyTorch-exported example, imported and evaluated by the graph IR = onnxruntime-node within 1e-4.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { GraphOp } from '../../src/ir/graph.js';
import { expectClose } from '../helpers/close.js';
import { loadDigits } from '../../examples/digits-data.mjs';
import { argmax } from '../helpers/compile.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/digits-onnx/model.onnx');

async function agree(spec: ModelSpec, ops: GraphOp[] = []): Promise<void> {
  const bytes = buildOnnx(spec);
  const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-float-onnx-')), bytes));
  for (const op of ops) expect(graph.nodes.map((n) => n.op)).toContain(op);
  const dims = spec.input.map((d) => (typeof d === 'string' ? 1 : d));
  const samples = randomSamples(5, dims.reduce((a, b) => a * b, 1), 3, -1, 2);
  const want = await ortRun(bytes, dims, samples);
  samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
}

const w = (dims: number[], seed: number, lo = -1, hi = 1) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
const ints = (data: number[]) => ({ dims: [data.length], data, int64: true });

describe('float agreement: ONNX per-op models = onnxruntime-node', () => {
  test('SpaceToDepth (blocksize 2) then DepthToSpace DCR back after a 1×1 Conv: a stride-2 conv of 0/1 weights and its transposed conv', () =>
    agree({
      input: [1, 3, 6, 4], output: [1, 72],
      inits: { K: w([12, 12, 1, 1], 8) },
      nodes: [
        { op: 'SpaceToDepth', inputs: ['x'], attrs: { blocksize: { i: 2 } } },
        { op: 'Conv', inputs: ['t0', 'K'] },
        { op: 'DepthToSpace', inputs: ['t1'], attrs: { blocksize: { i: 2 }, mode: { s: 'DCR' } } },
        { op: 'Flatten', inputs: ['t2'] },
      ],
    }, ['conv2d', 'convTranspose']));

  test('Gemm (transB, alpha, beta, bias [N]) → Relu → Gemm (bias [1, N]) → Softmax', () =>
    agree({
      input: ['batch', 7], output: ['batch', 3],
      inits: { W1: w([5, 7], 1), b1: w([5], 2), W2: w([5, 3], 3), b2: w([1, 3], 4) },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W1', 'b1'], attrs: { transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } } },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'Gemm', inputs: ['t1', 'W2', 'b2'] },
        { op: 'Softmax', inputs: ['t2'] },
      ],
    }, ['dense', 'activation']));

  test('MatMul + Add bias (folded), Identity, Dropout, opset 11 Softmax', async () => {
    const spec: ModelSpec = {
      input: [1, 6], output: [1, 4], opset: 11,
      inits: { W: w([6, 4], 5), b: w([4], 6) },
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'] },
        { op: 'Add', inputs: ['b', 't0'] },
        { op: 'Identity', inputs: ['t1'] },
        { op: 'Dropout', inputs: ['t2'] },
        { op: 'Softmax', inputs: ['t3'] },
      ],
    };
    await agree(spec);
    const g = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-')), buildOnnx(spec)));
    expect(g.nodes.filter((n) => n.op === 'dense').map((n) => n.op === 'dense' && n.bias !== null)).toEqual([true]);
    expect(g.nodes.some((n) => n.op === 'batchNorm')).toBe(false);
  });

  test('Conv (explicit asymmetric pads, strides, bias) → Relu → Flatten (channel-major) → Gemm', () =>
    agree({
      input: [1, 2, 7, 6], output: [1, 3],
      inits: { K: w([4, 2, 3, 2], 7), B: w([4], 8), W: w([3, 4 * 4 * 6], 9), b: w([3], 10) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'K', 'B'], attrs: { pads: { ints: [1, 0, 2, 1] }, strides: { ints: [2, 1] }, kernel_shape: { ints: [3, 2] } } },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'Flatten', inputs: ['t1'] },
        { op: 'Gemm', inputs: ['t2', 'W', 'b'], attrs: { transB: { i: 1 } } },
      ],
    }, ['conv2d', 'flatten']));

  test('Conv auto_pad SAME_UPPER and SAME_LOWER (stride 2, no bias), Reshape [0, -1]', () =>
    agree({
      input: [1, 3, 6, 5], output: [1, 27],
      inits: { K1: w([4, 3, 3, 3], 11), K2: w([3, 4, 2, 3], 12), shape: ints([0, -1]) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'K1'], attrs: { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } } },
        { op: 'Conv', inputs: ['t0', 'K2'], attrs: { auto_pad: { s: 'SAME_LOWER' } } },
        { op: 'Reshape', inputs: ['t1', 'shape'] },
      ],
    }, ['conv2d', 'flatten']));

  test('depthwise Conv (group = channels) → Clip(0, 6) from initializers → Add constant [C, 1, 1] → Flatten', () =>
    agree({
      input: [1, 3, 5, 5], output: [1, 75],
      inits: { K: w([3, 1, 3, 3], 13, -3, 3), B: w([3], 14), lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] }, c: w([3, 1, 1], 15) },
      nodes: [
        { op: 'Conv', inputs: ['x', 'K', 'B'], attrs: { group: { i: 3 }, pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Clip', inputs: ['t0', 'lo', 'hi'] },
        { op: 'Add', inputs: ['t1', 'c'] },
        { op: 'Flatten', inputs: ['t2'] },
      ],
    }, ['conv2d', 'batchNorm']));

  test('Clip bounds from Constant nodes and Clip with min only; conv bias folded from Add', () =>
    agree({
      input: [1, 2, 4, 4], output: [1, 64],
      inits: { K: w([2, 2, 1, 1], 16, -4, 4), c: w([1, 2, 1, 1], 17) },
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['zero'], attrs: { value_float: { f: 0 } } },
        { op: 'Constant', inputs: [], outputs: ['six'], attrs: { value: { t: { dims: [], dataType: 1, floatData: [6] } } } },
        { op: 'Conv', inputs: ['x', 'K'], outputs: ['conv'] },
        { op: 'Add', inputs: ['conv', 'c'], outputs: ['biased'] },
        { op: 'Clip', inputs: ['biased', 'zero', 'six'], outputs: ['r6'] },
        { op: 'Clip', inputs: ['x', 'zero'], outputs: ['r'] },
        { op: 'Concat', inputs: ['r6', 'r'], outputs: ['cat'], attrs: { axis: { i: 1 } } },
        { op: 'Flatten', inputs: ['cat'], outputs: ['y'] },
      ],
    }, ['conv2d', 'concat']));

  test('MaxPool (pads, strides) and AveragePool (pads excluded, SAME_UPPER) → Concat on channels', () =>
    agree({
      input: [1, 2, 7, 7], output: [1, 4 * 16],
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } } },
        { op: 'AveragePool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: { ints: [2, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } } },
        { op: 'Concat', inputs: ['m', 'a'], outputs: ['c'], attrs: { axis: { i: -3 } } },
        { op: 'Flatten', inputs: ['c'], outputs: ['y'] },
      ],
    }, ['pool2d', 'concat']));

  test('BatchNormalization → residual Add → GlobalAveragePool → Conv 1×1 → Flatten → Gemm', () =>
    agree({
      input: [1, 3, 5, 4], output: [1, 2],
      inits: { s: w([3], 18, 0.5, 1.5), b: w([3], 19), m: w([3], 20), v: w([3], 21, 0.2, 2), K: w([4, 3, 1, 1], 22), W: w([2, 4], 23), wb: w([2], 24) },
      nodes: [
        { op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['bn'], attrs: { epsilon: { f: 0.01 } } },
        { op: 'Add', inputs: ['bn', 'x'], outputs: ['res'] },
        { op: 'GlobalAveragePool', inputs: ['res'], outputs: ['gap'] },
        { op: 'Conv', inputs: ['gap', 'K'], outputs: ['c'] },
        { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'W', 'wb'], outputs: ['y'], attrs: { transB: { i: 1 } } },
      ],
    }, ['batchNorm', 'add', 'globalAvgPool', 'reshape']));

  test('Gemm → Reshape to [1, C, 1, 1] → Conv 1×1 → GlobalAveragePool → Reshape [1, -1]', () =>
    agree({
      input: [1, 5], output: [1, 3],
      inits: { W: w([5, 6], 25), to4: ints([1, 6, 1, 1]), K: w([3, 6, 1, 1], 26), to2: ints([1, -1]) },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W'] },
        { op: 'Reshape', inputs: ['t0', 'to4'] },
        { op: 'Conv', inputs: ['t1', 'K'] },
        { op: 'GlobalAveragePool', inputs: ['t2'] },
        { op: 'Reshape', inputs: ['t3', 'to2'] },
      ],
    }, ['reshape', 'conv2d']));

  test('the PyTorch-exported digits CNN (examples/digits-onnx) on real digits', async () => {
    const graph = loadModel(EXAMPLE);
    expect(graph.inputs[0]).toMatchObject({ shape: [28, 28, 1], layout: 'chw' });
    const { inputs } = JSON.parse(readFileSync(join(EXAMPLE, '../calibration.json'), 'utf8')) as { inputs: number[][] };
    const samples = inputs.slice(0, 12).map((x) => Float32Array.from(x));
    const want = await ortRun(EXAMPLE, [1, 1, 28, 28], samples);
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    // every held-out digit: the same class as onnxruntime, and a trained model
    const held = loadDigits('test');
    const ort = (await ortRun(EXAMPLE, [1, 1, 28, 28], held.inputs)).map(argmax);
    expect(held.inputs.map((x) => argmax(evaluateOutput(graph, x)))).toEqual(ort);
    expect(ort.filter((p, i) => p === held.labels[i]).length / held.labels.length).toBeGreaterThan(0.95);
  });
});
