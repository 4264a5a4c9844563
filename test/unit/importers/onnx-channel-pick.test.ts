// SPDX-License-Identifier: MIT
/**
 * A vector's features or a map's channels picked by constant indices, as exporters write it (torch's are in
 * test/agreement/pytorch-zoo.test.ts, chanpick and featpick): Gather of one channel or a list of them, Slice of the
 * channels with a step other than 1 (x.flip(1) is a Slice of step −1 from −1 to INT64_MIN + 1). All were refused
 * before session 28. Float = onnxruntime, reference = sim = WASM, the int8 program within a few percent of the runtime
 * (test/helpers/agreement.ts expectOnnxAgreement); the pick is a 0/1 kernel, exact. Refused in one line:
 * two-dimensional indices, a step of 0, an empty pick, an index past the channels. And element-wise ops of such
 * [N, H, W] views (a map's channels reduced or gathered without their axis) of one shape, with single values.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { expectOnnxAgreement } from '../../helpers/agreement.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-pick-'));
/** torch's x.flip(1) ends at INT64_MIN + 1 (a double holds it as −2^63, written as INT64_MIN: both saturate the same) */
const INT64_MIN = -(2 ** 63);

/** A Gemm of 16 inputs to 8 features (the vector t0), or a 3×3 conv of 3 channels to 8 (the map t0). */
const gemm = { inits: { w: { dims: [8, 16], data: weights(128, 7) }, b: { dims: [8], data: weights(8, 8) } }, node: { op: 'Gemm', inputs: ['x', 'w', 'b'], attrs: { transB: { i: 1 } } } as NodeSpec };
const conv = { inits: { k: { dims: [8, 3, 3, 3], data: weights(216, 5) } }, node: { op: 'Conv', inputs: ['x', 'k'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } } as NodeSpec };
const ints = (data: number[], dims = [data.length]) => ({ dims, data, int64: true });
const slice = (input: string, starts: number, ends: number, step: number): NodeSpec => ({ op: 'Slice', inputs: [input, `s${starts}`, `e${ends}`, 'axis1', `k${step}`] });
const sliceInits = (starts: number, ends: number, step: number) => ({ [`s${starts}`]: ints([starts]), [`e${ends}`]: ints([ends]), axis1: ints([1]), [`k${step}`]: ints([step]) });

describe('ONNX channel picks', () => {
  test('Gather of one feature of a vector (y[:, 3]: the output [N]): float = onnxruntime; ref = sim = WASM; int8 within 2% of the range', async () => {
    const spec: ModelSpec = { input: [1, 16], output: [1], inits: { ...gemm.inits, i: ints([3], []) }, nodes: [gemm.node, { op: 'Gather', inputs: ['t0', 'i'], attrs: { axis: { i: 1 } } }] };
    const graph = await expectOnnxAgreement(spec, join(dir, 'one-feature.onnx'), 0.02);
    expect(graph.nodes.at(-1)).toMatchObject({ op: 'dense', kernel: { shape: [8, 1] } });
  });

  test('Gather of a list of features with repeats and negative indices ([-1, 0, 0]), a Relu: float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = { input: [1, 16], output: [1, 3], inits: { ...gemm.inits, i: ints([-1, 0, 0]) }, nodes: [gemm.node, { op: 'Gather', inputs: ['t0', 'i'], attrs: { axis: { i: -1 } } }, { op: 'Relu', inputs: ['t1'] }] };
    await expectOnnxAgreement(spec, join(dir, 'features.onnx'), 0.02);
  });

  test('Gather of one channel of a map ([N, H, W]) through a Sigmoid as the output: float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = { input: [1, 3, 5, 6], output: [1, 5, 6], inits: { ...conv.inits, i: ints([6], []) }, nodes: [conv.node, { op: 'Gather', inputs: ['t0', 'i'], attrs: { axis: { i: 1 } } }, { op: 'Sigmoid', inputs: ['t1'] }] };
    await expectOnnxAgreement(spec, join(dir, 'one-channel.onnx'), 0.02);
  });

  test('Gather of one channel of a 1-D map ([N, C, L] → [N, L], a vector) into a Gemm: float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 7], output: [1, 4],
      inits: { k: { dims: [5, 3, 3], data: weights(45, 5) }, i: ints([2], []), w: { dims: [4, 7], data: weights(28, 6) } },
      nodes: [{ op: 'Conv', inputs: ['x', 'k'], attrs: { kernel_shape: { ints: [3] }, pads: { ints: [1, 1] } } }, { op: 'Gather', inputs: ['t0', 'i'], attrs: { axis: { i: 1 } } }, { op: 'Gemm', inputs: ['t1', 'w'], attrs: { transB: { i: 1 } } }],
    };
    await expectOnnxAgreement(spec, join(dir, 'one-line.onnx'), 0.02);
  });

  test('Slice of the channels backwards (x.flip(1) as torch writes it: −1 to INT64_MIN + 1, step −1) of the input, and every other one from the end (6:0:−2): float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 4, 5], output: [1, 3, 4, 5],
      inits: { ...conv.inits, ...sliceInits(-1, INT64_MIN, -1), ...sliceInits(6, 0, -2) },
      nodes: [slice('x', -1, INT64_MIN, -1), { ...conv.node, inputs: ['t0', 'k'] }, slice('t1', 6, 0, -2)],
    };
    const graph = await expectOnnxAgreement(spec, join(dir, 'flip.onnx'), 0.02);
    const picks = graph.nodes.filter((n) => n.op === 'conv2d' && n.kernel.shape[0] === 1).map((n) => (n.op === 'conv2d' ? Array.from(n.kernel.data) : []));
    // flip: output j reads channel 2 − j; 6:0:−2 reads channels 6, 4, 2
    expect(picks[0]).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0]);
    expect(picks[1]!.flatMap((w, i) => (w === 1 ? [[Math.floor(i / 3), i % 3]] : []))).toEqual([[2, 2], [4, 1], [6, 0]]);
  });

  test('CBAM-style spatial attention on reductions without their axis: sigmoid(x.mean(1) + x.amax(1)).unsqueeze(1) * x (an Add of two exact views [N, H, W]): float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 5, 6], output: [1, 8, 5, 6], opset: 13,
      inits: { ...conv.inits, axis1: ints([1]) },
      nodes: [
        { ...conv.node, outputs: ['y'] },
        { op: 'ReduceMean', inputs: ['y'], outputs: ['mean'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } },
        { op: 'ReduceMax', inputs: ['y'], outputs: ['max'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } },
        { op: 'Add', inputs: ['mean', 'max'], outputs: ['sum'] },
        { op: 'Sigmoid', inputs: ['sum'], outputs: ['gate'] },
        { op: 'Unsqueeze', inputs: ['gate', 'axis1'], outputs: ['gate1'] },
        { op: 'Mul', inputs: ['gate1', 'y'], outputs: ['out'] },
      ],
    };
    await expectOnnxAgreement(spec, join(dir, 'spatial.onnx'), 0.03);
  });

  test('(x.amax(1) − x[:, 2]) · 0.5 + 1 (a Sub of a reduction and a gathered channel, then single values), unsqueezed: float = onnxruntime; ref = sim = WASM', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 5, 6], output: [1, 1, 5, 6], opset: 13,
      inits: { ...conv.inits, axis1: ints([1]), two: ints([2], []), half: { dims: [], data: [0.5] }, one: { dims: [1], data: [1] } },
      nodes: [
        { ...conv.node, outputs: ['y'] },
        { op: 'ReduceMax', inputs: ['y'], outputs: ['max'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } },
        { op: 'Gather', inputs: ['y', 'two'], outputs: ['c2'], attrs: { axis: { i: 1 } } },
        { op: 'Sub', inputs: ['max', 'c2'], outputs: ['d'] },
        { op: 'Mul', inputs: ['d', 'half'], outputs: ['h'] },
        { op: 'Add', inputs: ['one', 'h'], outputs: ['a'] },
        { op: 'Unsqueeze', inputs: ['a', 'axis1'], outputs: ['out'] },
      ],
    };
    await expectOnnxAgreement(spec, join(dir, 'sub-of-views.onnx'), 0.02);
  });

  test('refused in one line: indices of shape [2, 2], a step of 0, an empty slice, an index past the channels', () => {
    const refusal = (spec: ModelSpec): string => failure(() => loadModel(writeOnnx(mkdtempSync(join(dir, 'r-')), buildOnnx(spec)))).format();
    const gather = (indices: string, extra: ModelSpec['inits'] = {}) =>
      refusal({ input: [1, 16], output: [1, 2], inits: { ...gemm.inits, ...extra }, nodes: [gemm.node, { op: 'Gather', inputs: ['t0', indices], name: 'pick', attrs: { axis: { i: 1 } } }] });
    expect(gather('i', { i: ints([1, 2, 3, 4], [2, 2]) })).toBe('error NN110: model.onnx: layer "pick": Gather: indices of shape [2,2] are not supported (one index, or a non-empty list) — replace the layer with a supported one, or open an issue');
    expect(gather('i', { i: ints([8]) })).toBe('error NN107: model.onnx: layer "pick": Gather: index 8 is outside the 8 channels of a [1,8] tensor — the model file is malformed; re-export the model');
    const sliced = (starts: number, ends: number, step: number) =>
      refusal({ input: [1, 16], output: [1, 2], inits: { ...gemm.inits, ...sliceInits(starts, ends, step) }, nodes: [gemm.node, { ...slice('t0', starts, ends, step), name: 'cut' }] });
    expect(sliced(0, 4, 0)).toBe('error NN107: model.onnx: layer "cut": Slice: step 0 on axis 1 — the model file is malformed; re-export the model');
    expect(sliced(2, 5, -1)).toBe('error NN110: model.onnx: layer "cut": Slice: the slice of [1,8] is empty — replace the layer with a supported one, or open an issue');
  });
});
