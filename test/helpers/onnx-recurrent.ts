// SPDX-License-Identifier: MIT
/** One ONNX LSTM / GRU / RNN node on x [T, 1, F] as a model (seeded weights), for the recurrent tests. */
import { buildOnnx, weights, type Attr } from './onnx-models.js';

export interface RecurrentNodeOptions {
  /** directions: 2 with direction bidirectional */
  readonly dirs?: number;
  readonly initialH?: boolean;
  readonly initialC?: boolean;
  /** the model's output: 0 Y [T, D, 1, U], 1 Y_h [D, 1, U], 2 Y_c */
  readonly which?: number;
  readonly seed?: number;
  /** weights uniform in ±0.8·gain (biases ±0.4·gain) */
  readonly gain?: number;
  /** the input's dims (default [T, 1, F]; a string is symbolic) */
  readonly input?: (number | string)[];
}

export function recurrentModel(op: 'LSTM' | 'GRU' | 'RNN', [t, f, u]: readonly [number, number, number], attrs: Record<string, Attr>, opts: RecurrentNodeOptions = {}): Uint8Array {
  const { dirs = 1, which = 1, seed = 1, gain = 1 } = opts;
  const n = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const inits: Record<string, { dims: number[]; data: Float32Array }> = {
    W: { dims: [dirs, n * u, f], data: weights(dirs * n * u * f, seed, -0.8 * gain, 0.8 * gain) },
    R: { dims: [dirs, n * u, u], data: weights(dirs * n * u * u, seed + 1, -0.8 * gain, 0.8 * gain) },
    B: { dims: [dirs, 2 * n * u], data: weights(dirs * 2 * n * u, seed + 2, -0.4 * gain, 0.4 * gain) },
  };
  if (opts.initialH === true) inits['H0'] = { dims: [dirs, 1, u], data: weights(dirs * u, seed + 3, -0.5, 0.5) };
  if (opts.initialC === true) inits['C0'] = { dims: [dirs, 1, u], data: weights(dirs * u, seed + 4, -0.5, 0.5) };
  const outs = op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  return buildOnnx({
    input: opts.input ?? [t, 1, f], output: which === 0 ? [t, dirs, 1, u] : [dirs, 1, u], inits, outputName: outs[which]!,
    nodes: [{ op, inputs: ['x', 'W', 'R', 'B', '', opts.initialH === true ? 'H0' : '', ...(op === 'LSTM' ? [opts.initialC === true ? 'C0' : ''] : [])], outputs: outs, attrs: { hidden_size: { i: u }, ...attrs } }],
  });
}
