// SPDX-License-Identifier: MIT
/**
 * ONNX LayerNormalization (opset 17) over each pixel's or token's channels (ir/normalize.ts pixelNormNodes:
 * a centring 1×1 conv, a square table, the rsqrt of the channel mean in a 1×1 conv's threshold, the product of
 * two maps): ConvNeXt's Transpose → LayerNormalization → Transpose of a conv's map, a transformer's per-token
 * norm of rows [N, T, F], a vector [N, K], and ConvNeXt's channels_first LayerNorm as torch writes it out (the
 * Sub of a one-channel mean, Div by a one-channel √(v + ε): quotient in importers/onnx-ops-elementwise.ts). Float IR = onnxruntime; reference = sim = WASM on every
 * input class; int8 within 5% of the float runtime's spread. Other axes are refused in one line. Pixels whose
 * channels are all equal (r = 1/√ε there) do not set r's scale (passes/norm-clamp.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { pixelNormNodes } from '../../src/ir/normalize.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { expectInt8NearFloat, expectOnnxAgreement } from '../helpers/agreement.js';
import { failure } from '../helpers/errors.js';
import { buildOnnx, weights, writeOnnx, type ModelSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-lnorm-'));
const C = 6;
const ln = (x: string, out: string, extra: Partial<{ axis: number; noB: boolean }> = {}) => ({
  op: 'LayerNormalization', inputs: [x, 'ln.s', ...(extra.noB ? [] : ['ln.b'])], outputs: [out], attrs: { epsilon: { f: 1e-5 }, ...(extra.axis === undefined ? {} : { axis: { i: extra.axis } }) }, name: 'ln',
});
const LN_INITS = { 'ln.s': { dims: [C], data: weights(C, 21, 0.5, 1.5) }, 'ln.b': { dims: [C], data: weights(C, 22, -0.3, 0.3) } };

const MODELS: [string, ModelSpec][] = [
  ['ConvNeXt: Conv, Transpose to NHWC, LayerNormalization, Transpose back, Conv', {
    input: [1, 3, 5, 4], output: [1, 4], outputName: 'y', opset: 17,
    inits: { ...LN_INITS, 'c.w': { dims: [C, 3, 3, 3], data: weights(C * 27, 1, -0.5, 0.5) }, 'c.b': { dims: [C], data: weights(C, 2, -0.5, 0.5) }, 'd.w': { dims: [2, C, 1, 1], data: weights(2 * C, 3) }, 'fc.w': { dims: [4, 40], data: weights(160, 4, -0.3, 0.3) } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.w', 'c.b'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Transpose', inputs: ['c'], outputs: ['t'], attrs: { perm: { ints: [0, 2, 3, 1] } } },
      ln('t', 'n'),
      { op: 'Transpose', inputs: ['n'], outputs: ['b'], attrs: { perm: { ints: [0, 3, 1, 2] } } },
      { op: 'Conv', inputs: ['b', 'd.w'], outputs: ['d'] },
      { op: 'Flatten', inputs: ['d'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  }],
  ['tokens: MatMul per row, LayerNormalization without B, ReduceMean over the tokens, Gemm', {
    input: [1, 5, 4], output: [1, 3], outputName: 'y', opset: 17,
    inits: { ...LN_INITS, 'm.w': { dims: [4, C], data: weights(4 * C, 5) }, 'fc.w': { dims: [3, C], data: weights(3 * C, 6) } },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'm.w'], outputs: ['m'] },
      ln('m', 'n', { noB: true }),
      { op: 'ReduceMean', inputs: ['n'], outputs: ['r'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } },
      { op: 'Gemm', inputs: ['r', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  }],
  ['a vector: Gemm, LayerNormalization (axis 1), Gemm', {
    input: [1, 5], output: [1, 3], outputName: 'y', opset: 17,
    inits: { ...LN_INITS, 'a.w': { dims: [C, 5], data: weights(5 * C, 7) }, 'fc.w': { dims: [3, C], data: weights(3 * C, 8) } },
    nodes: [{ op: 'Gemm', inputs: ['x', 'a.w'], outputs: ['a'], attrs: { transB: { i: 1 } } }, ln('a', 'n', { axis: 1 }), { op: 'Gemm', inputs: ['n', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } }],
  }],
  // ConvNeXt's own LayerNorm for channels_first maps as torch exports it at any opset: u = x.mean(1, keepdim=True),
  // s = (x − u).pow(2).mean(1, keepdim=True), (x − u) / torch.sqrt(s + ε), then w[:, None, None] · x + b[:, None, None]
  ['ConvNeXt channels_first: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add (opset 13)', {
    input: [1, 3, 5, 4], output: [1, 4], outputName: 'y', opset: 13,
    inits: {
      'c.w': { dims: [C, 3, 3, 3], data: weights(C * 27, 1, -0.5, 0.5) }, 'c.b': { dims: [C], data: weights(C, 2, -0.5, 0.5) }, two: { dims: [], data: [2] }, eps: { dims: [], data: [1e-6] },
      'ln.w': { dims: [C, 1, 1], data: weights(C, 21, 0.5, 1.5) }, 'ln.b': { dims: [C, 1, 1], data: weights(C, 22, -0.3, 0.3) }, 'fc.w': { dims: [4, C * 20], data: weights(C * 80, 4, -0.3, 0.3) },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.w', 'c.b'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'ReduceMean', inputs: ['c'], outputs: ['u'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } },
      { op: 'Sub', inputs: ['c', 'u'], outputs: ['d'] },
      { op: 'Pow', inputs: ['d', 'two'], outputs: ['d2'] },
      { op: 'ReduceMean', inputs: ['d2'], outputs: ['v'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } },
      { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
      { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
      { op: 'Div', inputs: ['d', 's'], outputs: ['n'] },
      { op: 'Mul', inputs: ['ln.w', 'n'], outputs: ['g'] },
      { op: 'Add', inputs: ['g', 'ln.b'], outputs: ['a'] },
      { op: 'Flatten', inputs: ['a'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  }],
];

describe.each(MODELS)('ONNX LayerNormalization, %s', (name, spec) => {
  test('float IR = onnxruntime; reference = sim = WASM on 4x4 and 8x8; int8 near the float runtime', async () => {
    const graph = await expectOnnxAgreement(spec, join(dir, `${name.replace(/\W+/g, '-')}.onnx`), 0.05);
    expect(graph.nodes.some((n) => n.op === 'mul')).toBe(true);
  });
});

test('over a channel-first map\'s last axis (W, not the channels): refused in one line', () => {
  const spec: ModelSpec = { input: [1, C, 3, 4], output: [1, C, 3, 4], opset: 17, inits: { 'ln.s': { dims: [4], data: weights(4, 1) } }, nodes: [{ op: 'LayerNormalization', inputs: ['x', 'ln.s'], outputs: ['y'], name: 'ln' }] };
  const e = failure(() => loadModel(writeOnnx(dir, buildOnnx(spec), 'w-axis.onnx')));
  expect(e.format()).toMatch(/^error NN110: .*layer "ln": LayerNormalization: over axis -1 of a \[1,6,3,4\] tensor is not supported \(only over the last axis where it holds the channels/);
  expect(e.format().split('\n')).toHaveLength(1);
});

test('a third of the pixels zero (σ = 0 there, r = 1/√ε): r is calibrated over the other pixels, int8 within 5% of the spread (was 39%)', () => {
  const [h, w, c] = [5, 5, 6];
  const conv: Node = { name: 'a', op: 'conv2d', inputs: ['x'], output: 'a', kernel: { shape: [1, 1, c, c], data: randomSamples(1, c * c, 3, -1, 1)[0]! }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' };
  const graph: Graph = { name: 'g', inputs: [{ name: 'x', shape: [h, w, c] }], nodes: [conv, ...pixelNormNodes('ln', 'a', 'y', c, { eps: 1e-5 })], outputs: ['y'], notes: [] };
  const samples = randomSamples(20, h * w * c, 5, -1, 1).map((s) => s.map((v, i) => (Math.floor(i / c) % 3 === 0 ? 0 : v)));
  const { program } = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples }, verify: true });
  expectInt8NearFloat(program, samples, samples.map((x) => Array.from(evaluateOutput(graph, x))), 0.05, 20);
});
