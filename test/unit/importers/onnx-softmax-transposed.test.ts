// SPDX-License-Identifier: MIT
/**
 * torch's softmax(dim=1) of a map below opset 13, Transpose [0, 3, 2, 1] → Softmax over the last axis → the same
 * Transpose back (importers/onnx-ops-layout.ts softmaxSandwich), on a map of H ≠ W: the float graph = onnxruntime, as a
 * final op and inside the network. Anything else around such a Transpose still moves data and is refused in one line:
 * no Transpose back, a softmax over another axis, the transposed map read by a second node.
 */
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { importOnnx } from '../../../src/importers/onnx.js';
import { loadModel } from '../../../src/importers/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { buildOnnx, ortRun, weights, writeOnnx, type NodeSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const [C, H, W] = [3, 4, 6];
const conv = (o: number, from: string, out: string, seed: number): NodeSpec => ({ op: 'Conv', inputs: [from, `k${seed}`, `b${seed}`], outputs: [out], attrs: { kernel_shape: { ints: [1, 1] } } });
const inits = (o: number, i: number, seed: number) => ({ [`k${seed}`]: { dims: [o, i, 1, 1], data: weights(o * i, seed) }, [`b${seed}`]: { dims: [o], data: weights(o, seed + 1) } });
const swap = (from: string, out: string): NodeSpec => ({ op: 'Transpose', inputs: [from], outputs: [out], attrs: { perm: { ints: [0, 3, 2, 1] } } });
const softmax = (from: string, out: string, axis = 3, op = 'Softmax'): NodeSpec => ({ op, inputs: [from], outputs: [out], name: 'sm', attrs: { axis: { i: axis } } });

function model(nodes: NodeSpec[], out: number, opset = 11): Uint8Array {
  return buildOnnx({ input: [1, C, H, W], output: [1, out, H, W], opset, nodes, inits: { ...inits(5, C, 1), ...inits(2, 5, 3) } });
}

const refusal = (bytes: Uint8Array): string => {
  try {
    importOnnx(bytes, 'model.onnx', DEFAULT_LIMITS);
  } catch (e) {
    if (e instanceof NnchipError) return e.format();
    throw e;
  }
  return 'imported';
};

describe('Transpose [0, 3, 2, 1] around a softmax of a map', () => {
  test.each([
    ['inside the network, opset 11', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's'), swap('s', 'u'), conv(2, 'u', 'y', 3)], 2), 2],
    ['inside the network, LogSoftmax, opset 9', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's', 3, 'LogSoftmax'), swap('s', 'u'), conv(2, 'u', 'y', 3)], 2, 9), 2],
    ['axis −1 at opset 12', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's', -1), swap('s', 'u'), conv(2, 'u', 'y', 3)], 2, 12), 2],
  ] as const)('%s: the per-pixel softmax, = onnxruntime', async (_, bytes, out) => {
    const graph = importOnnx(bytes, 'model.onnx', DEFAULT_LIMITS);
    const samples = randomSamples(3, C * H * W, 7, -2, 2);
    const want = await ortRun(bytes, [1, C, H, W], samples);
    samples.forEach((x, i) => {
      const y = evaluateOutput(graph, x);
      // nnchip's map is [H, W, C]; onnxruntime's [C, H, W]
      expectClose(Float64Array.from(y, (_, j) => y[(j % (H * W)) * out + Math.floor(j / (H * W))]!), want[i]!);
    });
  });

  test('as the final op: read the same way (the compiler then drops it, or computes it)', async () => {
    const bytes = model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's'), swap('s', 'y')], 5);
    const graph = importOnnx(bytes, 'model.onnx', DEFAULT_LIMITS);
    const [x] = randomSamples(1, C * H * W, 9, -2, 2);
    const [want] = await ortRun(bytes, [1, C, H, W], [x!]);
    const y = evaluateOutput(graph, x!);
    expectClose(Float64Array.from(y, (_, j) => y[(j % (H * W)) * 5 + Math.floor(j / (H * W))]!), want!);
  });

  test.each([
    ['no Transpose back', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's'), { op: 'Relu', inputs: ['s'], outputs: ['y'] }], 5)],
    ['a softmax over another axis', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's', 2), swap('s', 'y')], 5)],
    ['the transposed map read twice', model([conv(5, 'x', 'a', 1), swap('a', 't'), softmax('t', 's'), swap('s', 'u'), { op: 'Add', inputs: ['u', 't'], outputs: ['y'] }], 5)],
  ])('%s: refused at the Transpose in one line', (_, bytes) => {
    expect(refusal(bytes)).toMatch(/^error NN110: model\.onnx: layer "transpose_1": Transpose: perm \[0,3,2,1\] of a \[1,5,4,6\] tensor is not supported/);
  });
});

test('--final-softmax compute: the range hints name tensors of the graph, a softmax named with control characters too', () => {
  for (const name of ['sm', 'sm\x1b[2Jx\n']) {
    const bytes = buildOnnx({ input: [1, 6], output: [1, 4], opset: 13, nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['h'], attrs: { transB: { i: 1 } } }, { ...softmax('h', 'y', -1), name }], inits: { w: { dims: [4, 6], data: weights(24, 5) }, b: { dims: [4], data: weights(4, 6) } } });
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-softmax-names-')), bytes), DEFAULT_LIMITS, { finalSoftmax: 'compute' });
    const tensors = new Set(graph.nodes.map((n) => n.output));
    expect([...(graph.rangeHints?.keys() ?? [])].filter((t) => !tensors.has(t))).toEqual([]);
    expect(graph.rangeHints?.size).toBeGreaterThanOrEqual(4);
  }
});
