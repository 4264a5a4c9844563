// SPDX-License-Identifier: MIT
/**
 * Keras 3's operations (modules keras.src.ops.numpy / .nn) that a functional model records as layers: on a
 * tensor and a constant (`x / 255.0`), and on one tensor (`ops.relu6(x)`, `-x`), as graph IR nodes.
 */
import { shownValue } from '../diagnostics/error.js';
import type { Activation, Node } from '../ir/graph.js';
import type { Constant, Layer } from './tfjs-layer.js';
import { negated } from './tfjs-merge-layers.js';
import { channelMaxNodes, channelMeanNode } from '../ir/channel-reduce.js';

/** Keras 3 operations of one tensor: activations and negation. */
export const KERAS_UNARY_OPS: Readonly<Record<string, Activation | 'negative'>> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: { fn: 'sigmoid' },
  Tanh: { fn: 'tanh' },
  Negative: 'negative',
};

export function unaryOp(x: Layer, fn: Activation | 'negative'): Node[] {
  const input = x.one();
  if (fn !== 'negative') return [{ ...x.base(), inputs: [input], op: 'activation', fn }];
  return [negated(x, input, x.l.name)];
}

/** ops.mean / ops.max over the spatial axes ([1, 2] of an image, [1] of a sequence): the axes check before a global pool. */
export function spatialAxes(x: Layer): void {
  const axis = x.get('axis');
  const shape = x.ctx.shapeOf(x.one());
  const axes = JSON.stringify(Array.isArray(axis) ? [...axis].sort() : [axis]);
  const sequence = x.ctx.sequenceInput && shape.length === 3 && shape[0] === 1 && axes === '[1]';
  if (shape.length !== 3 || (axes !== '[1,2]' && !sequence)) throw x.fail('NN110', `the Keras operation ${x.l.className} over axis ${shownValue(axis)} is not supported (only over the spatial axes of a map or sequence, or over the channels of a map with keepdims)`);
}

/**
 * ops.mean / ops.max over the channels of an image with keepdims (CBAM's channel pool, `ops.max(x, axis=-1,
 * keepdims=True)`): a 1×1 conv of 1/C, or pairwise maxima (ir/channel-reduce.ts); null for other axes.
 */
export function channelReduction(x: Layer): Node[] | null {
  const axis = x.get('axis');
  const one = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  const shape = x.ctx.shapeOf(x.one());
  const image = shape.length === 3 && !(x.ctx.sequenceInput && shape[0] === 1);
  if (!image || (one !== -1 && one !== 3) || x.get('keepdims') !== true) return null;
  const c = shape[2]!;
  return x.l.className === 'Mean' ? [channelMeanNode(x.l.name, x.one(), c)] : channelMaxNodes(x.l.name, x.one(), c);
}

/**
 * A Keras 3 operation of a tensor and a constant (module keras.src.ops.numpy; `x + 3.0`, `x * (1 / 6)`,
 * `x / 255.0`, `1.0 - x`, preprocess_input's per-channel mean and std): a per-channel scale and offset.
 * A constant divided by a tensor is refused, as is any other argument (GetItem's indices, …).
 */
export function withConstant(x: Layer, constants: readonly Constant[]): Node[] {
  const op = x.l.className;
  const other = constants.find((k): k is string => typeof k === 'string');
  if (other !== undefined) throw x.fail('NN110', `the Keras operation ${op} with the argument ${other} is not supported`);
  const at = constants.findIndex((k) => k !== null);
  const c = x.ctx.shapeOf(x.inputs[0] ?? '').at(-1) ?? 1;
  const k = constants[at] as readonly number[];
  if (constants.length !== 2 || x.inputs.length !== 1 || (k.length !== 1 && k.length !== c) || k.some((v) => !Number.isFinite(v))) throw x.fail('NN110', `${op} of ${x.inputs.length} tensor(s) and ${constants.length - x.inputs.length} constant(s) is not supported (only one tensor and one finite number, or one per channel)`);
  const first = at === 0; // the constant is the first operand
  const kc = Float32Array.from({ length: c }, (_, i) => k[k.length === 1 ? 0 : i]!);
  const affine = (scale: (v: number) => number, offset: (v: number) => number): Node[] => [{ ...x.base(), op: 'batchNorm', scale: kc.map(scale), offset: kc.map(offset) }];
  switch (op) {
    case 'Add':
      return affine(() => 1, (v) => v);
    case 'Subtract':
      return first ? affine(() => -1, (v) => v) : affine(() => 1, (v) => -v);
    case 'Multiply':
      return affine((v) => v, () => 0);
    case 'Divide':
    case 'TrueDivide':
      if (first || kc.some((v) => v === 0)) throw x.fail('NN110', `${op} ${first ? 'of a constant by a tensor (a reciprocal)' : 'by 0'} is not supported`);
      return affine((v) => 1 / v, () => 0);
    case 'Maximum':
    case 'Minimum':
      // max(x, k), min(x, k): the threshold unit's clamp
      if (k.length !== 1) break;
      return [{ ...x.base(), op: 'activation', fn: op === 'Maximum' ? (k[0] === 0 ? 'relu' : { clip: [k[0]!, Infinity] }) : { clip: [-Infinity, k[0]!] } }];
  }
  throw x.fail('NN110', `the Keras operation ${op} with ${k.length === 1 ? 'a number' : 'one value per channel'} is not supported (supported: Add, Subtract, Multiply, Divide, TrueDivide; Maximum, Minimum of a number)`);
}
