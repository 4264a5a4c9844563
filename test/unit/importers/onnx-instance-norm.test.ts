// SPDX-License-Identifier: MIT
/**
 * ONNX InstanceNormalization beyond torch's exports (test/agreement/pytorch-zoo.test.ts has those):
 * a 1-D map, a GroupNorm view written by hand with per-group scale and B, a constant epsilon, the
 * flat view x.view(N, C, −1), and 1×1 and W = 1 maps (variance 0; one broadcast copy);
 * float = onnxruntime. What is refused gets one line: GroupNorm's view read by any other op,
 * epsilon ≤ 0, a scale of the wrong length.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { expectClose } from '../../helpers/close.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-inorm-'));

/** The IR's [H, W, C] output read back channel-major, as ONNX lays it out. */
function chw(v: Float64Array, pixels: number): Float64Array {
  return Float64Array.from(v, (_, j) => v[(j % pixels) * (v.length / pixels) + Math.floor(j / pixels)]!);
}

async function agrees(spec: ModelSpec, file: string): Promise<void> {
  const bytes = buildOnnx(spec);
  const path = writeOnnx(dir, bytes, file);
  const graph = loadModel(path);
  const dims = spec.input as number[];
  const samples = randomSamples(6, dims.reduce((a, b) => a * b, 1), 3, -1, 2);
  const want = await ortRun(bytes, dims, samples);
  const out = checkGraph(graph).get(graph.outputs[0]!)!;
  samples.forEach((x, i) => expectClose(chw(evaluateOutput(graph, x), out[0]! * out[1]!), want[i]!));
}

describe('ONNX InstanceNormalization', () => {
  test('a 1-D map [N, C, L] with scale, B and epsilon: float = onnxruntime', async () => {
    await agrees({ input: [1, 4, 9], output: [1, 4, 9], inits: { s: { dims: [4], data: weights(4, 1, 0.5, 1.5) }, b: { dims: [4], data: weights(4, 2) } }, nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], attrs: { epsilon: { f: 0.01 } } }] }, 'oned.onnx');
  });

  test('GroupNorm written by hand: Reshape [0, 3, −1], per-group scale and B, Reshape back by a constant shape: float = onnxruntime', async () => {
    await agrees({
      input: [1, 6, 4, 5], output: [1, 6, 4, 5], opset: 13,
      inits: { to: { dims: [3], data: [0, 3, -1], int64: true }, back: { dims: [4], data: [1, 6, 4, 5], int64: true }, s: { dims: [3], data: [0.5, 1, 2] }, b: { dims: [3], data: [0.1, -0.2, 0.3] } },
      nodes: [{ op: 'Reshape', inputs: ['x', 'to'] }, { op: 'InstanceNormalization', inputs: ['t0', 's', 'b'] }, { op: 'Reshape', inputs: ['t1', 'back'] }],
    }, 'group.onnx');
  });

  test('on the flat view x.view(N, C, −1) of a 2-D map, then viewed back: float = onnxruntime', async () => {
    await agrees({
      input: [1, 3, 4, 5], output: [1, 3, 4, 5], opset: 13,
      inits: { to: { dims: [3], data: [0, 3, -1], int64: true }, back: { dims: [4], data: [1, 3, 4, 5], int64: true }, s: { dims: [3], data: [0.5, 1, 2] }, b: { dims: [3], data: [0.1, -0.2, 0.3] } },
      nodes: [{ op: 'Reshape', inputs: ['x', 'to'] }, { op: 'InstanceNormalization', inputs: ['t0', 's', 'b'] }, { op: 'Reshape', inputs: ['t1', 'back'] }],
    }, 'flat.onnx');
  });

  test('a 1×1 map and a W = 1 map (variance 0; one broadcast copy): float = onnxruntime', async () => {
    for (const [h, w] of [[1, 1], [5, 1]] as const) {
      await agrees({ input: [1, 2, h, w], output: [1, 2, h, w], inits: { s: { dims: [2], data: [1.5, 0.5] }, b: { dims: [2], data: [0.25, -1] } }, nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'] }] }, `map${h}x${w}.onnx`);
    }
  });

  test.each<[string, ModelSpec, RegExp]>([
    ['GroupNorm\'s view read by a Relu', { input: [1, 6, 4, 5], output: [1, 3, 40], inits: { to: { dims: [3], data: [0, 3, -1], int64: true } }, nodes: [{ op: 'Reshape', inputs: ['x', 'to'] }, { op: 'Relu', inputs: ['t0'], name: 'relu' }] }, /NN110: .*layer "relu": Relu: input "t0" is a map \[1,6,4,5\] viewed as \[1,3,40\] \(channel groups, as GroupNorm writes it\); only InstanceNormalization and the Reshape back read it/],
    ['epsilon 0', { input: [1, 2, 3, 3], output: [1, 2, 3, 3], inits: { s: { dims: [2], data: [1, 1] }, b: { dims: [2], data: [0, 0] } }, nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], attrs: { epsilon: { f: 0 } }, name: 'in' }] }, /NN110: .*layer "in": InstanceNormalization: epsilon 0 is not positive/],
    ['a scale of 3 values for 2 channels', { input: [1, 2, 3, 3], output: [1, 2, 3, 3], inits: { s: { dims: [3], data: [1, 1, 1] }, b: { dims: [2], data: [0, 0] } }, nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], name: 'in' }] }, /NN110: .*layer "in": InstanceNormalization: scale has shape \[3\]; expected 2 values, one per channel/],
  ])('%s: one line', (_, spec, line) => {
    const path = writeOnnx(dir, buildOnnx(spec), 'bad.onnx');
    expect(failure(() => loadModel(path)).format()).toMatch(line);
  });
});
