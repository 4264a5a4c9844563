// SPDX-License-Identifier: MIT
/**
 * The ops of the classic ONNX model zoo networks converted from Caffe and Caffe2 (bvlc_alexnet, bvlc_googlenet,
 * caffenet, zfnet512, inception_v1, densenet-121, tinyyolov2, mostly at opsets 7–9): LRN (ir/normalize.ts lrnNodes: a square table, a band 1×1 conv
 * with (bias + α·Σ)^−β in its threshold, the product of two maps), GlobalMaxPool, Sum and Mean of several
 * inputs, ImageScaler and BatchNormalization-7. Float IR = onnxruntime; reference = sim = WASM on every input class; int8 within a stated share of the
 * float runtime's spread.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectOnnxAgreement } from '../helpers/agreement.js';
import { expectClose } from '../helpers/close.js';
import { failure } from '../helpers/errors.js';
import { buildOnnx, weights, writeOnnx, type ModelSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-classic-'));
const C = 8;

/** AlexNet's first block: Conv → Relu → LRN → MaxPool, then Conv → Relu → GlobalMaxPool → Flatten → Gemm. */
function alexnetBlock(lrn: Record<string, { f: number } | { i: number }>, scale: number): ModelSpec {
  return {
    input: [1, 3, 9, 9], output: [1, 4], outputName: 'y', opset: 13,
    inits: {
      'c1.w': { dims: [C, 3, 3, 3], data: weights(C * 27, 1, -scale, scale) }, 'c1.b': { dims: [C], data: weights(C, 2, 0, scale) },
      'c2.w': { dims: [6, C, 3, 3], data: weights(6 * C * 9, 3, -0.4, 0.4) }, 'fc.w': { dims: [4, 6], data: weights(24, 4) },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c1.w', 'c1.b'], outputs: ['c1'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'LRN', inputs: ['r1'], outputs: ['n1'], attrs: lrn, name: 'norm1' },
      { op: 'MaxPool', inputs: ['n1'], outputs: ['p1'], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } } },
      { op: 'Conv', inputs: ['p1', 'c2.w'], outputs: ['c2'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalMaxPool', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  };
}

const MODELS: [string, ModelSpec, number][] = [
  // Caffe's AlexNet parameters on activations of ordinary size: the denominator stays near 1
  ['LRN size 5, α 1e-4, β 0.75 (AlexNet), GlobalMaxPool', alexnetBlock({ size: { i: 5 }, alpha: { f: 1e-4 }, beta: { f: 0.75 }, bias: { f: 1 } }, 0.5), 0.05],
  // a strong normalization (the denominator from 2^0.75 to ~20^0.75 here): an even window, bias 2
  ['LRN size 5, α 3, β 0.75, bias 2 (a strong normalization), GlobalMaxPool', alexnetBlock({ size: { i: 5 }, alpha: { f: 3 }, beta: { f: 0.75 }, bias: { f: 2 } }, 1), 0.05],
  ['LRN size 3 with ONNX\'s defaults (α 1e-4, β 0.75, bias 1)', alexnetBlock({ size: { i: 3 } }, 1), 0.05],
  // Tiny YOLOv2 (the zoo's tinyyolov2-7 and -8): ImageScaler on the input, BatchNormalization-7, LeakyRelu, MaxPool
  ['opset 7: ImageScaler, Conv, BatchNormalization (spatial 1), LeakyRelu, MaxPool, GlobalMaxPool, Gemm', {
    input: [1, 3, 8, 8], output: [1, 3], outputName: 'y', opset: 7,
    inits: {
      'c.w': { dims: [C, 3, 3, 3], data: weights(C * 27, 21, -0.5, 0.5) }, 'bn.s': { dims: [C], data: weights(C, 22, 0.5, 1.5) }, 'bn.b': { dims: [C], data: weights(C, 23, -0.3, 0.3) },
      'bn.m': { dims: [C], data: weights(C, 24, -0.3, 0.3) }, 'bn.v': { dims: [C], data: weights(C, 25, 0.5, 2) }, 'fc.w': { dims: [3, C], data: weights(3 * C, 26) },
      'fc.b': { dims: [3], data: weights(3, 27) },
    },
    nodes: [
      { op: 'ImageScaler', inputs: ['x'], outputs: ['s'], attrs: { scale: { f: 1 / 255 * 200 }, bias: { floats: [-0.2, 0.1, 0.3] } } },
      { op: 'Conv', inputs: ['s', 'c.w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'BatchNormalization', inputs: ['c', 'bn.s', 'bn.b', 'bn.m', 'bn.v'], outputs: ['b'], attrs: { epsilon: { f: 1e-3 }, spatial: { i: 1 } } },
      { op: 'LeakyRelu', inputs: ['b'], outputs: ['l'], attrs: { alpha: { f: 0.1 } } },
      { op: 'MaxPool', inputs: ['l'], outputs: ['p'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
      { op: 'GlobalMaxPool', inputs: ['p'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      // Gemm-7's C is not optional
      { op: 'Gemm', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  }, 0.05],
  // the zoo's mnist-8 (CNTK's export, opset 8) node for node: SAME_UPPER convs, biases as Add of [C, 1, 1], a 3×3 stride-3
  // pool, the input and the weights of the last layer reshaped, MatMul, Add of [1, 10]
  ['opset 8: the model zoo\'s mnist-8 as CNTK wrote it', {
    input: [1, 1, 28, 28], output: [1, 10], outputName: 'Plus214_Output_0', inputName: 'Input3', opset: 8,
    inits: {
      Parameter5: { dims: [8, 1, 5, 5], data: weights(200, 31, -0.5, 0.5) }, Parameter6: { dims: [8, 1, 1], data: weights(8, 32, -0.2, 0.2) },
      Parameter87: { dims: [16, 8, 5, 5], data: weights(3200, 33, -0.15, 0.15) }, Parameter88: { dims: [16, 1, 1], data: weights(16, 34, -0.2, 0.2) },
      Parameter193: { dims: [16, 4, 4, 10], data: weights(2560, 35, -0.2, 0.2) }, Parameter194: { dims: [1, 10], data: weights(10, 36) },
      Pooling160_Output_0_reshape0_shape: { dims: [2], data: [1, 256], int64: true }, Parameter193_reshape1_shape: { dims: [2], data: [256, 10], int64: true },
    },
    nodes: [
      { op: 'Conv', inputs: ['Input3', 'Parameter5'], outputs: ['Convolution28_Output_0'], attrs: { kernel_shape: { ints: [5, 5] }, strides: { ints: [1, 1] }, auto_pad: { s: 'SAME_UPPER' }, group: { i: 1 }, dilations: { ints: [1, 1] } } },
      { op: 'Add', inputs: ['Convolution28_Output_0', 'Parameter6'], outputs: ['Plus30_Output_0'] },
      { op: 'Relu', inputs: ['Plus30_Output_0'], outputs: ['ReLU32_Output_0'] },
      { op: 'MaxPool', inputs: ['ReLU32_Output_0'], outputs: ['Pooling66_Output_0'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 0, 0] }, auto_pad: { s: 'NOTSET' } } },
      { op: 'Conv', inputs: ['Pooling66_Output_0', 'Parameter87'], outputs: ['Convolution110_Output_0'], attrs: { kernel_shape: { ints: [5, 5] }, strides: { ints: [1, 1] }, auto_pad: { s: 'SAME_UPPER' }, group: { i: 1 }, dilations: { ints: [1, 1] } } },
      { op: 'Add', inputs: ['Convolution110_Output_0', 'Parameter88'], outputs: ['Plus112_Output_0'] },
      { op: 'Relu', inputs: ['Plus112_Output_0'], outputs: ['ReLU114_Output_0'] },
      { op: 'MaxPool', inputs: ['ReLU114_Output_0'], outputs: ['Pooling160_Output_0'], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [3, 3] }, pads: { ints: [0, 0, 0, 0] }, auto_pad: { s: 'NOTSET' } } },
      { op: 'Reshape', inputs: ['Pooling160_Output_0', 'Pooling160_Output_0_reshape0_shape'], outputs: ['Pooling160_Output_0_reshape0'] },
      { op: 'Reshape', inputs: ['Parameter193', 'Parameter193_reshape1_shape'], outputs: ['Parameter193_reshape1'] },
      { op: 'MatMul', inputs: ['Pooling160_Output_0_reshape0', 'Parameter193_reshape1'], outputs: ['Times212_Output_0'] },
      { op: 'Add', inputs: ['Times212_Output_0', 'Parameter194'], outputs: ['Plus214_Output_0'] },
    ],
  }, 0.05],
  ['Sum of three maps, Mean of two maps and a per-channel constant', {
    input: [1, 2, 6, 5], output: [1, 3], outputName: 'y', opset: 13,
    inits: {
      'a.w': { dims: [C, 2, 3, 3], data: weights(C * 18, 11) }, 'b.w': { dims: [C, 2, 1, 1], data: weights(C * 2, 12) }, 'c.w': { dims: [C, 2, 3, 3], data: weights(C * 18, 13) },
      k: { dims: [1, C, 1, 1], data: weights(C, 14) }, 'fc.w': { dims: [3, C], data: weights(3 * C, 15) },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'a.w'], outputs: ['a'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Conv', inputs: ['x', 'b.w'], outputs: ['b'] },
      { op: 'Conv', inputs: ['x', 'c.w'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Sum', inputs: ['a', 'b', 'c'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['r'] },
      { op: 'Mean', inputs: ['r', 'k', 'a'], outputs: ['m'] },
      { op: 'GlobalAveragePool', inputs: ['m'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  }, 0.05],
];

describe.each(MODELS)('%s', (name, spec, fraction) => {
  test('float IR = onnxruntime; reference = sim = WASM on 4x4 and 8x8; int8 near the float runtime', async () => {
    await expectOnnxAgreement(spec, join(dir, `${name.replace(/\W+/g, '-')}.onnx`), fraction);
  });
});

// onnxruntime refuses an even size (its kernel asserts size % 2 == 1); the ONNX definition takes it: ⌊(size − 1)/2⌋
// channels before, ⌈(size − 1)/2⌉ after. The float IR against that formula written out here.
test('LRN of an even size: float IR = the ONNX formula (one more channel after than before)', () => {
  const [c, h, w, size, alpha, beta, bias] = [6, 2, 3, 4, 0.7, 0.6, 1.5];
  const spec: ModelSpec = { input: [1, c, h, w], output: [1, c, h, w], opset: 13, nodes: [{ op: 'LRN', inputs: ['x'], outputs: ['y'], attrs: { size: { i: size }, alpha: { f: alpha }, beta: { f: beta }, bias: { f: bias } } }] };
  const graph = loadModel(writeOnnx(dir, buildOnnx(spec), 'lrn-even.onnx'));
  const x = randomSamples(1, c * h * w, 9, -2, 2)[0]!;
  // NCHW in, the IR's [H, W, C] out
  const want = new Float64Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) {
    let sum = 0;
    for (let i = Math.max(0, ch - Math.floor((size - 1) / 2)); i <= Math.min(c - 1, ch + Math.ceil((size - 1) / 2)); i++) sum += x[i * h * w + p]! ** 2;
    want[p * c + ch] = x[ch * h * w + p]! / (bias + (alpha / size) * sum) ** beta;
  }
  expectClose(evaluateOutput(graph, x), want, 1e-5);
});

// MXNet's exporter wrote spatial 0 over per-channel statistics (the zoo's ArcFace; onnxruntime refuses spatial 0)
test('BatchNormalization-7 spatial 0 over one value per channel (MXNet\'s export): read per channel, with a note', () => {
  const bn = (spatial: number): ModelSpec => ({ input: [1, 2, 3, 3], output: [1, 2, 3, 3], opset: 7, inits: { s: { dims: [2], data: [0.5, 2] }, b: { dims: [2], data: [1, -1] }, m: { dims: [2], data: [0.25, -0.5] }, v: { dims: [2], data: [4, 0.25] } }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'BatchNormalization', inputs: ['r', 's', 'b', 'm', 'v'], outputs: ['y'], attrs: { spatial: { i: spatial }, epsilon: { f: 0 } }, name: 'bn' }] });
  const mxnet = loadModel(writeOnnx(dir, buildOnnx(bn(0)), 'bn-spatial0.onnx'));
  expect(mxnet.notes.join('\n')).toMatch(/BatchNormalization "bn": spatial 0 over one value per channel \(as MXNet's exporter wrote it\) is read per channel/);
  const x = randomSamples(1, 18, 3, -1, 1)[0]!;
  expect(Array.from(evaluateOutput(mxnet, x))).toEqual(Array.from(evaluateOutput(loadModel(writeOnnx(dir, buildOnnx(bn(1)), 'bn-spatial1.onnx')), x)));
  // channel 1 of pixel 0: (relu(x) − (−0.5)) · 2 / √0.25 + (−1)
  expect(evaluateOutput(mxnet, x)[1]).toBeCloseTo((Math.max(0, x[9]!) + 0.5) * 4 - 1, 5);
});

describe('refused in one line', () => {
  const lrn = (attrs: Record<string, { f: number } | { i: number }>): ModelSpec => ({ input: [1, 4, 3, 3], output: [1, 4, 3, 3], opset: 13, nodes: [{ op: 'LRN', inputs: ['x'], outputs: ['y'], attrs, name: 'norm' }] });
  test.each([
    ['BatchNormalization-7 spatial 0 with statistics per element', { input: [1, 2, 3, 3], output: [1, 2, 3, 3], opset: 7, inits: Object.fromEntries(['s', 'b', 'm', 'v'].map((k) => [k, { dims: [2, 3, 3], data: weights(18, 3, 0.5, 1) }])), nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'], attrs: { spatial: { i: 0 } }, name: 'bn' }] } as ModelSpec, /layer "bn": BatchNormalization: spatial 0 \(statistics per element, opsets 7–8\) is not supported/],
    ['LRN without size', lrn({ alpha: { f: 1e-4 } }), /layer "norm": LRN: size \(absent\) is not a positive number of channels/],
    ['LRN bias 0 (0^−β on a pixel of zeros)', lrn({ size: { i: 3 }, bias: { f: 0 } }), /layer "norm": LRN: bias 0, alpha 0.0001, beta 0.75: supported are a positive bias/],
    ['Sum of constants only', { input: [1, 4], output: [1, 4], opset: 13, inits: { a: { dims: [4], data: [1, 2, 3, 4] }, b: { dims: [4], data: [1, 2, 3, 4] }, c: { dims: [4], data: [1, 2, 3, 4] } }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Sum', inputs: ['a', 'b', 'c'], outputs: ['s'], name: 'sum' }, { op: 'Add', inputs: ['r', 's'], outputs: ['y'] }] } as ModelSpec, /layer "sum": Sum: every input is a constant/],
    ['Sum of three maps, one of another shape', { input: [1, 4, 3, 3], output: [1, 4, 3, 3], opset: 13, inits: { 'w': { dims: [4, 4, 1, 1], data: weights(16, 1) }, 'v': { dims: [4, 4, 3, 3], data: weights(144, 2) } }, nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['a'] }, { op: 'Conv', inputs: ['x', 'v'], outputs: ['b'] }, { op: 'Relu', inputs: ['x'], outputs: ['c'] }, { op: 'Sum', inputs: ['a', 'b', 'c'], outputs: ['y'], name: 'sum' }] } as ModelSpec, /layer "sum": Sum: inputs have shapes \[1,4,3,3\] and \[1,4,1,1\]; broadcasting two computed tensors is not supported \(only equal shapes\)/],
  ])('%s', (name, spec, message) => {
    const e = failure(() => loadModel(writeOnnx(dir, buildOnnx(spec), `${name.replace(/\W+/g, '-')}.onnx`)));
    expect(e.format()).toMatch(message);
    expect(e.format().split('\n')).toHaveLength(1);
  });
});
