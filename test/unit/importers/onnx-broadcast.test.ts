// SPDX-License-Identifier: MIT
/**
 * A map and a per-channel vector of its channels computed in the network, [N, C, H, W] with [N, C, 1, 1], as torch
 * writes them: x − x.mean((2, 3), keepdim=True), GCNet's x + transform(context), the vector first (amax − x,
 * mean + x), and x ÷ √(mean of squares + ε) per channel (an instance norm written out). Float = onnxruntime,
 * reference = sim = WASM, int8 within a few percent of the runtime (test/helpers/agreement.ts). Broadcasts of other
 * shapes stay refused in one line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { expectOnnxAgreement } from '../../helpers/agreement.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-bcast-'));
const C = 5;
/** y = t0: a 3×3 conv of the [1, 3, 6, 7] input to C channels. */
const conv: { inits: NonNullable<ModelSpec['inits']>; node: NodeSpec } = {
  inits: { k: { dims: [C, 3, 3, 3], data: weights(C * 27, 3) }, kb: { dims: [C], data: weights(C, 4) } },
  node: { op: 'Conv', inputs: ['x', 'k', 'kb'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
};
const pooled = (op: string, x: string): NodeSpec => ({ op, inputs: [x], attrs: { axes: { ints: [2, 3] }, keepdims: { i: 1 } } });
const spec = (nodes: NodeSpec[], inits: ModelSpec['inits'] = {}): ModelSpec => ({ input: [1, 3, 6, 7], output: [1, C, 6, 7], opset: 11, inits: { ...conv.inits, ...inits }, nodes: [conv.node, ...nodes] });

describe('ONNX: a map and a per-channel vector computed from it', () => {
  test.each<[string, ModelSpec]>([
    ['x − x.mean((2, 3), keepdim=True)', spec([pooled('ReduceMean', 't0'), { op: 'Sub', inputs: ['t0', 't1'] }])],
    [
      'GCNet: x + conv(relu(conv(mean of x)))',
      spec([pooled('ReduceMean', 't0'), { op: 'Conv', inputs: ['t1', 'c1'] }, { op: 'Relu', inputs: ['t2'] }, { op: 'Conv', inputs: ['t3', 'c2'] }, { op: 'Add', inputs: ['t0', 't4'] }], { c1: { dims: [3, C, 1, 1], data: weights(3 * C, 5) }, c2: { dims: [C, 3, 1, 1], data: weights(3 * C, 6) } }),
    ],
    ['the vector first: (amax − x) + (mean + x)', spec([pooled('ReduceMax', 't0'), { op: 'Sub', inputs: ['t1', 't0'] }, pooled('ReduceMean', 't0'), { op: 'Add', inputs: ['t3', 't0'] }, { op: 'Add', inputs: ['t2', 't4'] }])],
    [
      'x ÷ √(mean of x² + ε) per channel',
      spec([{ op: 'Mul', inputs: ['t0', 't0'] }, pooled('ReduceMean', 't1'), { op: 'Add', inputs: ['t2', 'eps'] }, { op: 'Sqrt', inputs: ['t3'] }, { op: 'Div', inputs: ['t0', 't4'] }], { eps: { dims: [], data: [1e-3] } }),
    ],
  ])('%s: float = onnxruntime; ref = sim = WASM; int8 within 4% of the range', async (name, s) => {
    await expectOnnxAgreement(s, join(dir, `${name.replace(/\W+/g, '-')}.onnx`), 0.04);
  });

  test('a map and a column of it ([N, C, H, 1]): refused in one line naming the shapes', () => {
    const bad = spec([{ op: 'ReduceMean', inputs: ['t0'], attrs: { axes: { ints: [3] }, keepdims: { i: 1 } } }, { op: 'Sub', inputs: ['t0', 't1'], name: 'sub' }]);
    const path = writeOnnx(dir, buildOnnx(bad), 'column.onnx');
    expect(failure(() => loadModel(path)).format()).toMatch(/^error NN110: column\.onnx: layer "sub": Sub: inputs have shapes \[1,5,6,7\] and \[1,5,6,1\]; broadcasting two computed tensors is not supported/);
  });
});
