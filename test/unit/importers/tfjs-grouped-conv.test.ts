/**
 * Keras' grouped convolution (Conv2D `groups`, kernel [KH, KW, Cin/g, Cout]), as tensorflowjs_converter
 * writes it (tfjs-layers itself has no `groups`): each group of output channels reads its own block
 * of input channels — checked against tf.conv2d run per group — and a kernel that does not fit its
 * groups is refused (groups was ignored: a kernel of all Cin rows with groups 3 lowered as an ordinary conv).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { randomSamples } from '../../helpers/random-graph.js';

/** 5×5×4 → Conv2D(6, 3×3, groups, padding same) → Flatten. */
function write(groups: number, kernelShape: number[], kernel: Float32Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-groups-'));
  const topology = {
    class_name: 'Sequential',
    config: { name: 'g', layers: [{ class_name: 'Conv2D', config: { name: 'conv', filters: 6, kernel_size: [3, 3], strides: [1, 1], padding: 'same', groups, activation: 'linear', use_bias: false, batch_input_shape: [null, 5, 5, 4] } }, { class_name: 'Flatten', config: { name: 'flat' } }] },
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'conv/kernel', shape: kernelShape, dtype: 'float32' }] }] }));
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(kernel.buffer));
  return join(dir, 'model.json');
}

describe('TF.js Layers grouped convolution', () => {
  test('groups 2: each half of the filters reads its half of the channels (= tf.conv2d per group)', () => {
    const kernel = randomSamples(1, 3 * 3 * 2 * 6, 4, -1, 1)[0]!;
    const graph = loadModel(write(2, [3, 3, 2, 6], kernel));
    const k = tf.tensor4d(kernel, [3, 3, 2, 6]);
    for (const x of randomSamples(4, 5 * 5 * 4, 9, -1, 1)) {
      const img = tf.tensor4d(x, [1, 5, 5, 4]);
      const halves = [0, 1].map((g) => tf.conv2d(img.slice([0, 0, 0, 2 * g], [1, 5, 5, 2]), k.slice([0, 0, 0, 3 * g], [3, 3, 2, 3]), 1, 'same'));
      expectClose(evaluateOutput(graph, x), tf.concat(halves, 3).dataSync());
    }
  });

  test.each([
    ['a kernel of every input channel', 3, [3, 3, 4, 6]],
    ['channels not a multiple of groups', 3, [3, 3, 1, 6]],
  ])('groups that do not fit (%s) are refused', (_, groups, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    let error: unknown;
    try {
      loadModel(write(groups, shape, new Float32Array(n).fill(0.5)));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).format()).toMatch(/NN201: .*layer "conv": groups 3 with a kernel of shape \[3,3,\d,6\] does not fit 4 input channels/);
  });
});
