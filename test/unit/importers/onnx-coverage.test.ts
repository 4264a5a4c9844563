/**
 * ONNX forms near the ones session 10's op-coverage audit added (channel Slice/Split, the channel
 * shuffle, Max/Min/Sub of two tensors, session 13's Gather of a map position, session 27's channel reductions without
 * keepdims, session 28's channel picks) that stay refused: one NN110 line each,
 * naming the node and why.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { buildOnnx, tensor, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';

const conv = { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv', attrs: { kernel_shape: { ints: [1, 1] } } };
const inits = { w: { dims: [8, 3, 1, 1], data: weights(24, 1) } };

function refusal(spec: ModelSpec): string {
  const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-cover-')), buildOnnx(spec));
  try {
    loadModel(path);
  } catch (e) {
    return (e as NnchipError).format();
  }
  return 'accepted';
}

describe('ONNX forms refused in one line', () => {
  test('a channel-shuffle view read by anything but the shuffle', () => {
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 2, 4, 4, 4], inits: { ...inits, shape: { dims: [5], data: [1, 2, 4, 4, 4], int64: true }, two: { dims: [], data: [2] } }, nodes: [
      conv,
      { op: 'Reshape', inputs: ['c', 'shape'], outputs: ['r'], name: 'split' },
      { op: 'Mul', inputs: ['r', 'two'], outputs: ['y'], name: 'scale' },
    ] })).toBe('error NN110: model.onnx: layer "scale": Mul: input "r" has shape [1,2,4,4,4], channels split in groups; it is supported only in a channel shuffle (Reshape → Transpose [0, 2, 1, 3, 4] → Reshape back) — replace the layer with a supported one, or open an issue');
  });

  test('a map\'s channels reduced without keepdims ([1, H, W]) read by anything but a reshape or an element-wise op of it, of another [1, H, W] or of single values (a Sigmoid of it, m + m, an Unsqueeze back to [1, 1, H, W] lower)', () => {
    const reduced = (reader: ModelSpec['nodes'][number]) => refusal({ input: [1, 3, 4, 4], output: [1, 4, 4], inits: { ...inits, grid: { dims: [1, 4, 4], data: weights(16, 3) } }, nodes: [
      conv,
      { op: 'ReduceMax', inputs: ['c'], outputs: ['m'], name: 'max', attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } },
      reader,
    ] });
    expect(reduced({ op: 'Add', inputs: ['m', 'grid'], outputs: ['y'], name: 'twice' })).toBe('error NN110: model.onnx: layer "twice": Add: input "m" is [1,4,4], a recurrent op\'s output (the batch not first) or a map\'s channels reduced or gathered without their axis; only reshapes (an Unsqueeze back to [1, 1, H, W]), per-element activations, Add/Sub/Mul/Div/Max/Min of such tensors of its shape and single values, a Transpose to [1, T, F], Gather of one step or another recurrent op read it — replace the layer with a supported one, or open an issue');
    expect(reduced({ op: 'Sigmoid', inputs: ['m'], outputs: ['y'], name: 'gate' })).toBe('accepted');
    expect(reduced({ op: 'Add', inputs: ['m', 'm'], outputs: ['y'], name: 'twice' })).toBe('accepted');
  });

  test('a Slice of a spatial axis backwards (a flip; forwards, with any step, it is a crop)', () => {
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 8, 3, 4], inits: { ...inits, s: { dims: [1], data: [3], int64: true }, e: { dims: [1], data: [0], int64: true }, a: { dims: [1], data: [2], int64: true }, st: { dims: [1], data: [-1], int64: true } }, nodes: [
      conv,
      { op: 'Slice', inputs: ['c', 's', 'e', 'a', 'st'], outputs: ['y'], name: 'rows' },
    ] })).toBe('error NN110: model.onnx: layer "rows": Slice: slicing axis 2 of a [1,8,4,4] tensor with step -1 is not supported (only the channel axis 1, any step, or a map\'s spatial axes with steps ≥ 1) — replace the layer with a supported one, or open an issue');
  });

  test('Gather of two positions, or past the end (one constant position of a spatial axis is a crop; channels are picked: onnx-channel-pick.test.ts)', () => {
    const gather = (index: { dims: number[]; data: number[] }, axis: number, output: number[]) =>
      refusal({ input: [1, 3, 4, 4], output, inits: { ...inits, i: { ...index, int64: true } }, nodes: [conv, { op: 'Gather', inputs: ['c', 'i'], outputs: ['y'], name: 'pick', attrs: { axis: { i: axis } } }] });
    expect(gather({ dims: [], data: [3] }, 1, [1, 4, 4])).toBe('accepted');
    expect(gather({ dims: [], data: [8] }, 1, [1, 4, 4])).toBe('error NN107: model.onnx: layer "pick": Gather: index 8 is outside the 8 channels of a [1,8,4,4] tensor — the model file is malformed; re-export the model');
    expect(gather({ dims: [2], data: [0, 2] }, 2, [1, 8, 2, 4])).toBe('error NN110: model.onnx: layer "pick": Gather: 2 indices along axis 2 of a [1,8,4,4] tensor is not supported (only one constant index along a map\'s spatial axis or a sequence\'s steps: y[:, :, -1], x[:, 0]) — replace the layer with a supported one, or open an issue');
    expect(gather({ dims: [], data: [4] }, 3, [1, 8, 4])).toBe('error NN107: model.onnx: layer "pick": Gather: index 4 is outside axis 3 of a [1,8,4,4] tensor — the model file is malformed; re-export the model');
    expect(gather({ dims: [], data: [-4] }, 3, [1, 8, 4])).toBe('accepted');
  });

  test('BatchNormalization exported for training (torch.onnx.export(..., training=TrainingMode.TRAINING)): the hint is the export, not the layer', () => {
    const bn = { s: { dims: [8], data: weights(8, 3) }, b: { dims: [8], data: weights(8, 4) }, m: { dims: [8], data: weights(8, 5) }, v: { dims: [8], data: Array(8).fill(1) } };
    const line = 'error NN110: model.onnx: layer "bn": BatchNormalization: in training mode (it computes batch statistics: training_mode 1 or its running mean and variance as outputs); nnchip runs a model exported for inference — re-export after model.eval(), with torch.onnx.export(..., training=TrainingMode.EVAL)';
    // the running statistics as outputs (what torch writes below opset 14), and training_mode 1 (opset 14)
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 8, 4, 4], inits: { ...inits, ...bn }, nodes: [conv, { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['y', 'rm', 'rv'], name: 'bn' }] })).toBe(line);
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 8, 4, 4], opset: 14, inits: { ...inits, ...bn }, nodes: [conv, { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['y'], name: 'bn', attrs: { training_mode: { i: 1 } } }] })).toBe(line);
  });

  test('Max by a per-channel constant, Sub of two tensors that broadcast', () => {
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 8, 4, 4], inits: { ...inits, m: { dims: [1, 8, 1, 1], data: weights(8, 2) } }, nodes: [
      conv,
      { op: 'Max', inputs: ['c', 'm'], outputs: ['y'], name: 'floor' },
    ] })).toBe('error NN110: model.onnx: layer "floor": Max: the constant "m" is not a finite scalar (only a clamp by one value) — replace the layer with a supported one, or open an issue');
    // x − a 2×2 average pool of it: [1, 8, 4, 4] − [1, 8, 2, 2] (a per-channel [1, 8, 1, 1], a row or a column lowers: onnx-broadcast.test.ts)
    expect(refusal({ input: [1, 3, 4, 4], output: [1, 8, 4, 4], inits, nodes: [
      conv,
      { op: 'AveragePool', inputs: ['c'], outputs: ['m'], name: 'pool', attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
      { op: 'Sub', inputs: ['c', 'm'], outputs: ['y'], name: 'centre' },
    ] })).toBe('error NN110: model.onnx: layer "centre": Sub: inputs have shapes [1,8,4,4] and [1,8,2,2]; broadcasting two computed tensors is not supported (only two equal shapes) — replace the layer with a supported one, or open an issue');
  });
});
