// SPDX-License-Identifier: MIT
/**
 * An ONNX model of three outputs, as detectors and multi-task nets are: a Conv → Relu trunk whose map `r`
 * ([1, 3, 5, 5], channel-major) is an output and is read on by two heads, `boxes` (Gemm, [1, 4]) and `scores`
 * (Gemm → Sigmoid, [1, 3]). Outputs of different row widths (3, 4 and 3 bytes) and scales in one program.
 */
import { buildOnnx, weights, writeOnnx } from './onnx-models.js';

export const HEADS_INPUT_DIMS = [1, 2, 5, 5];
export const HEADS_OUTPUTS = ['boxes', 'scores', 'r'] as const;

const w = (dims: number[], seed: number, lo = -0.5, hi = 0.5) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });

/** The model written to `dir`/model.onnx; returns its path. `withMap` false: the two heads alone are outputs. */
export function writeHeadsModel(dir: string, withMap = true): string {
  return writeOnnx(dir, buildOnnx({
    input: HEADS_INPUT_DIMS,
    output: [1, 4],
    outputName: 'boxes',
    moreOutputs: [{ name: 'scores', dims: [1, 3] }, ...(withMap ? [{ name: 'r', dims: [1, 3, 5, 5] }] : [])],
    nodes: [
      { op: 'Conv', name: 'trunk_conv', inputs: ['x', 'K', 'B'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', name: 'trunk_relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', name: 'trunk_flat', inputs: ['r'], outputs: ['f'] },
      { op: 'Gemm', name: 'box_gemm', inputs: ['f', 'W1', 'b1'], outputs: ['boxes'] },
      { op: 'Gemm', name: 'score_gemm', inputs: ['f', 'W2', 'b2'], outputs: ['score_logits'] },
      { op: 'Sigmoid', name: 'score_sigmoid', inputs: ['score_logits'], outputs: ['scores'] },
    ],
    inits: { K: w([3, 2, 3, 3], 1), B: w([3], 2), W1: w([75, 4], 3, -0.3, 0.3), b1: w([4], 4), W2: w([75, 3], 5, -0.3, 0.3), b2: w([3], 6) },
  }));
}
