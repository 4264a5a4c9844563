// SPDX-License-Identifier: MIT
/**
 * A map and a per-channel vector of its channels computed in the network, [N, C, H, W] with [N, C, 1, 1], as torch
 * writes them: x − x.mean((2, 3), keepdim=True), GCNet's x + transform(context), the vector first (amax − x,
 * mean + x), and x ÷ √(mean of squares + ε) per channel (an instance norm written out); a row [N, C, 1, W] and a
 * column [N, C, H, 1] of it (CoordAttention's gates, its row transposed to a column and back). Float = onnxruntime,
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
    ['a row and a column of it (means along H and W): x · row, column + x, x − column', spec([
      { op: 'ReduceMean', inputs: ['t0'], attrs: { axes: { ints: [2] }, keepdims: { i: 1 } } }, { op: 'Sigmoid', inputs: ['t1'] }, { op: 'Mul', inputs: ['t0', 't2'] },
      { op: 'ReduceMax', inputs: ['t0'], attrs: { axes: { ints: [3] }, keepdims: { i: 1 } } }, { op: 'Add', inputs: ['t4', 't3'] }, { op: 'Sub', inputs: ['t5', 't4'] },
    ])],
    [
      'CoordAttention\'s row as a column (Transpose [0, 1, 3, 2]), a 1×1 conv, back, as a gate',
      spec([
        { op: 'ReduceMean', inputs: ['t0'], attrs: { axes: { ints: [2] }, keepdims: { i: 1 } } }, { op: 'Transpose', inputs: ['t1'], attrs: { perm: { ints: [0, 1, 3, 2] } } },
        { op: 'Conv', inputs: ['t2', 'c3'] }, { op: 'Transpose', inputs: ['t3'], attrs: { perm: { ints: [0, 1, 3, 2] } } }, { op: 'Sigmoid', inputs: ['t4'] }, { op: 'Mul', inputs: ['t5', 't0'] },
      ], { c3: { dims: [C, C, 1, 1], data: weights(C * C, 7) } }),
    ],
  ])('%s: float = onnxruntime; ref = sim = WASM; int8 within 4% of the range', async (name, s) => {
    await expectOnnxAgreement(s, join(dir, `${name.replace(/\W+/g, '-')}.onnx`), 0.04);
  });

  test('a map and a one-channel row of it ([N, 1, 1, W]): refused in one line naming the shapes', () => {
    const bad = spec([{ op: 'ReduceMean', inputs: ['t0'], attrs: { axes: { ints: [2] }, keepdims: { i: 1 } } }, { op: 'ReduceMean', inputs: ['t1'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Sub', inputs: ['t0', 't2'], name: 'sub' }]);
    const path = writeOnnx(dir, buildOnnx(bad), 'row.onnx');
    expect(failure(() => loadModel(path)).format()).toMatch(/^error NN110: row\.onnx: layer "sub": Sub: inputs have shapes \[1,5,6,7\] and \[1,1,1,7\]; broadcasting two computed tensors is not supported/);
  });
});
