// SPDX-License-Identifier: MIT
/**
 * Shape arithmetic folded to constants. A model saved with a dynamic batch computes a Keras Reshape's target (and a
 * Conv2DTranspose's output size) from its input at run time: Shape → StridedSlice (the batch, or H and W) → Mul →
 * Pack → Reshape, as MediaPipe's face and pose detectors and EfficientPose hold it. nnchip's tensors have fixed
 * shapes and a batch of 1, so each of these is a constant: the Reshape and Conv2DBackpropInput then read it as any.
 */
import type { Tensor } from '../ir/graph.js';
import { checkedElements } from './limits.js';
import { tfShapeOf, typeAttr, type Op, type Value } from './tfjs-graph-op.js';
import { shownValue } from '../diagnostics/error.js';

const constant = (shape: number[], data: Float32Array): Value => ({ kind: 'const', tensor: { shape, data } });

/** Shape: the TF shape of its input (batch 1), a constant. */
export function shapeOf(x: Op): Value {
  const v = x.input(0);
  const shape = v.kind === 'const' ? v.tensor.shape : tfShapeOf(v);
  return constant([shape.length], Float32Array.from(shape));
}

/** Pack (tf.stack) of constants of one shape along `axis`: TF's shape vectors are packed from scalars so. */
export function pack(x: Op): Value {
  const parts = x.n.inputs.map((_, i) => x.input(i));
  const consts = parts.flatMap((p) => (p.kind === 'const' ? [p.tensor] : []));
  if (consts.length !== parts.length) throw x.fail('NN110', 'Pack of computed tensors is not supported (only of constants: a shape computed with Shape)');
  if (consts.length === 0) throw x.fail('NN107', 'Pack has no inputs');
  const shape = consts[0]!.shape;
  if (consts.some((t) => t.shape.join() !== shape.join())) throw x.fail('NN203', `Pack of constants of different shapes (${consts.map((t) => JSON.stringify(t.shape)).join(', ')})`);
  const raw = x.int('axis', 0);
  const axis = raw < 0 ? raw + shape.length + 1 : raw;
  if (axis < 0 || axis > shape.length) throw x.fail('NN107', `Pack axis ${raw} is outside the ${shape.length + 1} axes of its result`);
  const out = [...shape.slice(0, axis), consts.length, ...shape.slice(axis)];
  checkedElements(out, x.ctx.limits, x.site, 'the Pack result');
  const inner = shape.slice(axis).reduce((a, b) => a * b, 1);
  const data = new Float32Array(out.reduce((a, b) => a * b, 1));
  consts.forEach((t, i) => {
    for (let o = 0; o * inner < t.data.length; o++) data.set(t.data.subarray(o * inner, (o + 1) * inner), (o * consts.length + i) * inner);
  });
  return constant(out, data);
}

/** StridedSlice of a constant vector (a shape: its batch, H or W), positive strides, begin / end / shrink masks. */
export function sliceConstant(x: Op, t: Tensor): Value {
  const [begin, end, strides] = [1, 2, 3].map((i) => Array.from(x.constant(i, ['begin', 'end', 'strides'][i - 1]!).data));
  const mask = (key: string): number => x.int(key, 0);
  const n = t.data.length;
  if (t.shape.length !== 1 || begin!.length !== 1 || end!.length !== 1 || strides!.length !== 1 || !(strides![0]! >= 1) || mask('ellipsis_mask') || mask('new_axis_mask')) {
    throw x.fail('NN110', `StridedSlice of a constant of shape ${shownValue(t.shape)} is supported only on a vector (a shape), with a positive stride`);
  }
  const clamp = (v: number): number => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  const lo = mask('begin_mask') & 1 ? 0 : clamp(begin![0]!);
  if (mask('shrink_axis_mask') & 1) {
    if (lo >= n) throw x.fail('NN203', `StridedSlice index ${begin![0]} is outside the ${n} values of its constant`);
    return constant([], Float32Array.of(t.data[lo]!));
  }
  const hi = mask('end_mask') & 1 ? n : clamp(end![0]!);
  const picked = Array.from({ length: Math.max(0, Math.ceil((hi - lo) / strides![0]!)) }, (_, k) => t.data[lo + k * strides![0]!]!);
  return constant([picked.length], Float32Array.from(picked));
}

/** GatherV2 of a constant vector (a shape's values) along axis 0 by constant indices. */
export function gatherConstant(x: Op, t: Tensor): Value {
  const indices = x.constant(1, 'indices');
  const axis = Array.from(x.constant(2, 'axis').data);
  if (t.shape.length !== 1 || axis.length !== 1 || (axis[0] !== 0 && axis[0] !== -1) || indices.shape.length > 1) {
    throw x.fail('NN110', `GatherV2 of a constant of shape ${shownValue(t.shape)} is supported only on a vector (a shape) by a list of indices`);
  }
  const at = Array.from(indices.data, (i) => t.data[i]);
  const outside = at.findIndex((v) => v === undefined);
  if (outside >= 0) throw x.fail('NN203', `GatherV2 index ${indices.data[outside]} is outside the ${t.data.length} values of its constant`);
  return constant([...indices.shape], Float32Array.from(at as number[]));
}

/** TF's integer and bool types: a Cast to one truncates toward 0 (bool: 1 where the value is not 0). */
const INT_TYPES = new Set(['DT_INT8', 'DT_UINT8', 'DT_INT16', 'DT_UINT16', 'DT_INT32', 'DT_UINT32', 'DT_INT64', 'DT_UINT64', 'DT_BOOL']);

/** Cast of a constant (shape arithmetic: an int32 size to float): the values converted to DstT (float32 or an integer type). */
export function castConstant(x: Op, t: Tensor): Value {
  const dst = typeAttr(x.n, 'DstT') || 'DT_FLOAT';
  if (dst === 'DT_BOOL') return constant([...t.shape], Float32Array.from(t.data, (v) => (v !== 0 ? 1 : 0)));
  if (INT_TYPES.has(dst)) return constant([...t.shape], Float32Array.from(t.data, (v) => Math.trunc(v)));
  if (dst === 'DT_FLOAT' || dst === 'DT_DOUBLE') return constant([...t.shape], Float32Array.from(t.data));
  throw x.fail('NN110', `Cast of a constant to ${dst} is not supported (only to float32, float64 or an integer type)`);
}

/** a ∘ b of two constants (Mul, AddV2, Sub of shape values): of one shape, or one of them a single number. */
export function foldConstants(x: Op, a: Tensor, b: Tensor): Value {
  const f = { Mul: (p: number, q: number) => p * q, Add: (p: number, q: number) => p + q, AddV2: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, RealDiv: (p: number, q: number) => p / q }[x.n.op as 'Mul'];
  if (f === undefined || (a.data.length !== 1 && b.data.length !== 1 && a.shape.join() !== b.shape.join())) throw x.fail('NN110', `${x.n.op} of two constants of shapes ${shownValue(a.shape)} and ${shownValue(b.shape)} is not supported (only of one shape, or by a single number)`);
  const shape = a.data.length >= b.data.length ? a.shape : b.shape;
  const at = (t: Tensor, i: number): number => t.data[t.data.length === 1 ? 0 : i]!;
  return constant([...shape], Float32Array.from({ length: Math.max(a.data.length, b.data.length) }, (_, i) => f(at(a, i), at(b, i))));
}
