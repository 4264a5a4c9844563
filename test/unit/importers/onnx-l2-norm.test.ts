// SPDX-License-Identifier: MIT
/**
 * L2 normalization and reductions over a vector's features, as exporters write them (torch's are in
 * test/agreement/pytorch-zoo.test.ts, l2norm): ReduceL2 → Clip → Expand → Div (F.normalize) of a vector and of a
 * map's channels, ReduceSumSquare, ReduceL2 over a map's pixels, and a vector [N, K] with one value of it
 * ([N, 1]: mean, max, sum with keepdims) in Sub, Mul and Add, either order; float = onnxruntime, reference = sim =
 * WASM, and the int8 program within a few percent of the runtime (test/helpers/agreement.ts expectOnnxAgreement).
 * The norm's √, its clamp and the reciprocal become one table; a Clip of constants folds (a weight's norm). Refused in one line: an Expand read by anything but
 * Add, Sub, Mul or Div beside a tensor of its shape, or as the output.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { expectOnnxAgreement } from '../../helpers/agreement.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-l2-'));

/** A Gemm of 16 inputs to `k` features (seeded weights), the vector y = t0 the nodes after it read. */
const dense = (k: number): { inits: NonNullable<ModelSpec['inits']>; node: NodeSpec } => ({
  inits: { w: { dims: [k, 16], data: weights(16 * k, 7) }, b: { dims: [k], data: weights(k, 8) } },
  node: { op: 'Gemm', inputs: ['x', 'w', 'b'], attrs: { transB: { i: 1 } } },
});

/** F.normalize(y, dim=1) as torch.onnx writes it: ReduceL2 (keepdims), Clip(min ε), Expand to Shape(y), Div. */
function normalize(y: string, at: number, axes: number[], opset = 13): NodeSpec[] {
  const t = (i: number): string => `t${at + i}`;
  return [
    opset >= 18 ? { op: 'ReduceL2', inputs: [y, 'axes'], attrs: { keepdims: { i: 1 } } } : { op: 'ReduceL2', inputs: [y], attrs: { axes: { ints: axes }, keepdims: { i: 1 } } },
    { op: 'Clip', inputs: [t(0), 'eps'] },
    { op: 'Shape', inputs: [y] },
    { op: 'Expand', inputs: [t(1), t(2)] },
    { op: 'Div', inputs: [y, t(3)], name: 'div' },
  ];
}

describe('ONNX L2 normalization', () => {
  test('F.normalize of a vector (ReduceL2, Clip, Expand, Div): float = onnxruntime; the √, the clamp and 1/x are one table; ref = sim = WASM; int8 within 3% of the range', async () => {
    const d = dense(12);
    const spec: ModelSpec = { input: [1, 16], output: [1, 12], inits: { ...d.inits, eps: { dims: [], data: [1e-12] } }, nodes: [d.node, ...normalize('t0', 1, [1])] };
    const graph = await expectOnnxAgreement(spec, join(dir, 'normalize.onnx'), 0.03);
    const tables = graph.nodes.filter((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn === 'expr');
    expect(tables.map((n) => (n.op === 'activation' && typeof n.fn === 'object' && 'expr' in n.fn ? n.fn.expr!.map((s) => s.op) : []))).toEqual([['x', 'sqrt', 'clip', 'reciprocal']]);
  });

  test('F.normalize of a vector far from 0 (its norm a large sum of squares, its reciprocal a few thousandths): the table needs no requantization, so no NN304; float = onnxruntime; ref = sim = WASM; int8 within a tenth of the range', async () => {
    const k = 12;
    const spec: ModelSpec = {
      input: [1, 16], output: [1, k],
      inits: { w: { dims: [k, 16], data: weights(16 * k, 7) }, b: { dims: [k], data: new Float32Array(k).fill(100) }, eps: { dims: [], data: [1e-12] } },
      nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], attrs: { transB: { i: 1 } } }, ...normalize('t0', 1, [1])],
    };
    await expectOnnxAgreement(spec, join(dir, 'normalize-far.onnx'), 0.1);
  });

  test('F.normalize at opset 18 (ReduceL2 takes its axes as an input): float = onnxruntime; ref = sim = WASM; int8 within 3% of the range', async () => {
    const d = dense(6);
    await expectOnnxAgreement({ input: [1, 16], output: [1, 6], opset: 18, inits: { ...d.inits, eps: { dims: [], data: [1e-12] }, axes: { dims: [1], data: [1], int64: true } }, nodes: [d.node, ...normalize('t0', 1, [1], 18)] }, join(dir, 'normalize18.onnx'), 0.03);
  });

  test('F.normalize over a map\'s channels, per pixel: float = onnxruntime; ref = sim = WASM; int8 within 3% of the range', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 5, 4], output: [1, 6, 5, 4],
      inits: { k: { dims: [6, 3, 3, 3], data: weights(162, 4) }, kb: { dims: [6], data: weights(6, 5, 1, 2) }, eps: { dims: [], data: [1e-12] } },
      nodes: [{ op: 'Conv', inputs: ['x', 'k', 'kb'], attrs: { pads: { ints: [1, 1, 1, 1] } } }, ...normalize('t0', 1, [1])],
    };
    await expectOnnxAgreement(spec, join(dir, 'normalize-map.onnx'), 0.03);
  });

  test('ReduceSumSquare over a map\'s channels added to it, ReduceL2 over its pixels (a [N, C, 1, 1] norm per channel): float = onnxruntime; ref = sim = WASM; int8 within 3% of the range', async () => {
    await expectOnnxAgreement({
      input: [1, 3, 4, 5], output: [1, 3, 4, 5],
      nodes: [{ op: 'ReduceSumSquare', inputs: ['x'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Add', inputs: ['x', 't0'] }],
    }, join(dir, 'sumsquare.onnx'), 0.03);
    await expectOnnxAgreement({ input: [1, 3, 4, 5], output: [1, 3, 1, 1], nodes: [{ op: 'ReduceL2', inputs: ['x'], attrs: { axes: { ints: [2, 3] }, keepdims: { i: 1 } } }] }, join(dir, 'l2-pixels.onnx'), 0.03);
  });

  test('a vector and one value of it ([N, 1]: mean, max, sum with keepdims) in Sub, Mul and Add, either order: float = onnxruntime; ref = sim = WASM; int8 within 4% of the range', async () => {
    const d = dense(8);
    const keep = (op: string, y: string): NodeSpec => ({ op, inputs: [y], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } });
    await expectOnnxAgreement({
      input: [1, 16], output: [1, 8], opset: 11, inits: d.inits,
      nodes: [d.node, keep('ReduceMean', 't0'), { op: 'Sub', inputs: ['t0', 't1'] }, keep('ReduceMax', 't0'), { op: 'Mul', inputs: ['t3', 't2'] }, keep('ReduceSum', 't0'), { op: 'Sub', inputs: ['t5', 't0'] }, { op: 'Add', inputs: ['t4', 't6'] }],
    }, join(dir, 'vector-value.onnx'), 0.04);
  });

  test.each([13, 10])('a weight\'s F.normalize as torch leaves it (its norm folded; Clip, Expand and Div on constants) folds, opset %i: float = onnxruntime; ref = sim = WASM', async (opset) => {
    const w = weights(8 * 16, 11);
    const norms = Array.from({ length: 8 }, (_, r) => Math.hypot(...w.slice(16 * r, 16 * r + 16)));
    const clip: NodeSpec = opset >= 11 ? { op: 'Clip', inputs: ['n', 'eps', ''] } : { op: 'Clip', inputs: ['n'], attrs: { min: { f: 1e-12 } } };
    await expectOnnxAgreement({
      input: [1, 16], output: [1, 8], opset, inits: { w: { dims: [8, 16], data: w }, n: { dims: [8, 1], data: norms }, eps: { dims: [], data: [1e-12] }, b: { dims: [8], data: weights(8, 12) } },
      nodes: [clip, { op: 'Shape', inputs: ['w'] }, { op: 'Expand', inputs: ['t0', 't1'] }, { op: 'Div', inputs: ['w', 't2'] }, { op: 'Gemm', inputs: ['x', 't3', 'b'], attrs: { transB: { i: 1 } } }],
    }, join(dir, `cosine-${opset}.onnx`), 0.03);
  });

  test.each<[string, ModelSpec, RegExp]>([
    [
      'an Expand of a norm read by a Gemm',
      { input: [1, 16], output: [1, 3], inits: { ...dense(8).inits, w2: { dims: [3, 8], data: weights(24, 9) }, to: { dims: [2], data: [1, 8], int64: true } }, nodes: [dense(8).node, { op: 'ReduceL2', inputs: ['t0'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Expand', inputs: ['t1', 'to'] }, { op: 'Gemm', inputs: ['t2', 'w2'], attrs: { transB: { i: 1 } }, name: 'fc' }] },
      /^error NN110: bad\.onnx: layer "fc": Gemm: input "t2" is an Expand of a computed tensor to \[1,8\]; it is supported only as an operand of Add, Sub, Mul or Div whose other operand has that shape/,
    ],
    [
      'an Expand as the model\'s output',
      { input: [1, 16], output: [1, 8], inits: { ...dense(8).inits, to: { dims: [2], data: [1, 8], int64: true } }, nodes: [dense(8).node, { op: 'ReduceL2', inputs: ['t0'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Expand', inputs: ['t1', 'to'], name: 'expand' }] },
      /^error NN110: bad\.onnx: layer "expand": Expand: to \[1,8\] as the model's output is not supported/,
    ],
    [
      'an Expand to a shape with a size 0',
      { input: [1, 16], output: [1, 8], inits: { ...dense(8).inits, to: { dims: [2], data: [1, 0], int64: true } }, nodes: [dense(8).node, { op: 'ReduceL2', inputs: ['t0'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Expand', inputs: ['t1', 'to'], name: 'expand' }, { op: 'Div', inputs: ['t0', 't2'] }] },
      /^error NN107: bad\.onnx: layer "expand": Expand: shape \[1,0\] does not broadcast a \[1,1\] tensor/,
    ],
    [
      'an Expand of a constant to a shape with a size 0 (was read as 1)',
      { input: [1, 16], output: [1, 8], inits: { ...dense(8).inits, c: { dims: [1, 1], data: [0.5] }, to: { dims: [2], data: [1, 0], int64: true } }, nodes: [dense(8).node, { op: 'Expand', inputs: ['c', 'to'], name: 'expand' }, { op: 'Add', inputs: ['t0', 't1'] }] },
      /^error NN107: bad\.onnx: layer "expand": Expand: shape \[1,0\] does not broadcast a \[1,1\] constant/,
    ],
    [
      'a norm divided by its vector',
      { input: [1, 16], output: [1, 8], inits: dense(8).inits, nodes: [dense(8).node, { op: 'ReduceL2', inputs: ['t0'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Div', inputs: ['t1', 't0'], name: 'div' }] },
      /^error NN110: bad\.onnx: layer "div": Div: inputs have shapes \[1,1\] and \[1,8\]; a quotient of two computed tensors is supported only by a one-channel map of the dividend's pixels .* or a one-value vector of a vector/,
    ],
    [
      'ReduceL2 over a vector without keepdims',
      { input: [1, 16], output: [1], inits: dense(8).inits, nodes: [dense(8).node, { op: 'ReduceL2', inputs: ['t0'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } }, name: 'l2' }] },
      /^error NN110: bad\.onnx: layer "l2": ReduceL2: over axes \[1\] of a \[1,8\] tensor is not supported \(only over the spatial axes \[\] of the map: global pooling; or a sum of squares over the channel axis 1 with keepdims 1\)/,
    ],
  ])('%s: one line', (_, spec, line) => {
    const path = writeOnnx(dir, buildOnnx(spec), 'bad.onnx');
    expect(failure(() => loadModel(path)).format()).toMatch(line);
  });
});
