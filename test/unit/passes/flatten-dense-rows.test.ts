// SPDX-License-Identifier: MIT
/**
 * A dense layer after ONNX's channel-major Flatten of a map (VGG's and AlexNet's classifiers) takes each pixel's
 * kernel rows by row copies (passes/gemm.ts chwRows): a closure per weight spent 19 s of VGG-16's 27 s before its
 * NN406 on 8x8. The rows are the same ones (an hwc-ordered copy of the kernel gives the same program).
 */
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { makeConfig } from '../../../src/isa/config.js';
import { checkFitsEarly, compile } from '../../../src/passes/pipeline.js';

function classifier(h: number, c: number, n: number, kernel: Float32Array, order: 'chw' | 'hwc'): Graph {
  return {
    name: 'fc',
    inputs: [{ name: 'input', shape: [h, h, c], layout: 'chw' }],
    nodes: [
      { name: 'flat', op: 'flatten', inputs: ['input'], output: 'flat', order },
      { name: 'fc', op: 'dense', inputs: ['flat'], output: 'fc', kernel: { shape: [h * h * c, n], data: kernel }, bias: null, activation: 'linear' },
    ],
    outputs: ['fc'],
    notes: [],
  };
}

describe('dense after a channel-major flatten', () => {
  test('7×7×256 → 1,024 (12.8 M weights, an eighth of VGG-16 fc6): its shapes checked without a closure per weight (5 s before)', () => {
    const [h, c, n] = [7, 256, 1024];
    const kernel = new Float32Array(h * h * c * n).fill(0.001);
    expect(() => checkFitsEarly(classifier(h, c, n, kernel, 'chw'), makeConfig({ rows: 32, cols: 32 }))).not.toThrow();
  });

  test('the rows are the kernel rows the channel-major order names: the same program as the kernel reordered for a pixel-major flatten', () => {
    const [h, c, n] = [3, 5, 4];
    const chw = Float32Array.from({ length: h * h * c * n }, (_, i) => Math.sin(i * 1.7));
    // row (ci, p) of the channel-major kernel is row (p, ci) of the pixel-major one
    const hwc = new Float32Array(chw.length);
    for (let ci = 0; ci < c; ci++) for (let p = 0; p < h * h; p++) hwc.set(chw.subarray((ci * h * h + p) * n, (ci * h * h + p + 1) * n), (p * c + ci) * n);
    const calibration = { inputRange: [0, 1] as [number, number] };
    const a = compile(classifier(h, c, n, chw, 'chw'), { config: makeConfig(), calibration }).program;
    const b = compile(classifier(h, c, n, hwc, 'hwc'), { config: makeConfig(), calibration }).program;
    expect(a.instructions).toEqual(b.instructions);
    expect(Buffer.from(a.constants)).toEqual(Buffer.from(b.constants));
  });
});
