// SPDX-License-Identifier: MIT
/**
 * The TF.js / Keras layers that scale and shift each channel (BatchNormalization, Rescaling,
 * Normalization) as the IR's per-channel batchNorm; tfjs-layer-ops.ts dispatches to them.
 */
import { shownValue } from '../diagnostics/error.js';
import type { Node } from '../ir/graph.js';
import type { Layer } from './tfjs-layer.js';

/** The layer's `axis` must be the channel axis: -1, or as Keras saves it built ([3] of an image, [1] of a vector, [2] of a sequence [L, C], which nnchip holds as the map [1, L, C]). */
function channelAxis(x: Layer, shape: readonly number[], axis: unknown): void {
  const axes = Array.isArray(axis) ? axis : [axis];
  const sequence = shape.length === 3 && shape[0] === 1 && axes[0] === 2;
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== shape.length && !sequence)) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the channel axis, -1)`);
}

/** y = (x − mean)·gamma/√(var + ε) + beta, reduced to per-channel scale and offset. */
export function batchNorm(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  channelAxis(x, shape, x.get('axis') ?? -1);
  const eps = x.get('epsilon') ?? 0.001;
  // "1e-3" was read by Number(); a negative ε (or variance) was "scale element 0 is NaN" from the square root
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw x.fail('NN107', `epsilon is ${shownValue(eps)}; expected a finite number from 0`);
  const mean = x.weight('moving_mean').data;
  if (mean.length !== shape.at(-1)) throw x.fail('NN201', `moving_mean has ${mean.length} values for ${String(shape.at(-1))} channels`);
  const variance = x.weight('moving_variance').data;
  const gamma = (x.get('scale') ?? true) ? x.weight('gamma').data : undefined;
  const beta = (x.get('center') ?? true) ? x.weight('beta').data : undefined;
  const c = mean.length;
  if (variance.length !== c || (gamma !== undefined && gamma.length !== c) || (beta !== undefined && beta.length !== c)) throw x.fail('NN201', 'moving_mean, moving_variance, gamma and beta differ in length');
  const negative = variance.findIndex((v) => !(v + eps > 0));
  if (negative >= 0) throw x.fail('NN107', `moving_variance ${variance[negative]} + epsilon ${eps} of channel ${negative} is not positive (its square root divides)`);
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = (gamma?.[i] ?? 1) / Math.sqrt(variance[i]! + eps);
    scale[i] = s;
    offset[i] = (beta?.[i] ?? 0) - mean[i]! * s;
  }
  return [{ ...x.base(), op: 'batchNorm', scale, offset }];
}

/** Rescaling: y = x·scale + offset (a number, or one per channel), a per-channel scale and offset. */
export function rescaling(x: Layer): Node[] {
  const c = x.ctx.shapeOf(x.one()).at(-1) ?? 1;
  const perChannel = (key: string, fallback: number): Float32Array => {
    const v = x.get(key) ?? fallback;
    const list = typeof v === 'number' ? Array<number>(c).fill(v) : v;
    if (!Array.isArray(list) || list.length !== c || list.some((d) => typeof d !== 'number' || !Number.isFinite(d))) throw x.fail('NN107', `${key} is ${shownValue(v)}; expected a finite number or one per channel (${c})`);
    return Float32Array.from(list as number[]);
  };
  return [{ ...x.base(), op: 'batchNorm', scale: perChannel('scale', 1), offset: perChannel('offset', 0) }];
}

/**
 * Normalization (Keras preprocessing, adapted on data): (x − mean) / max(√variance, 1e-7) per channel, or
 * with `invert` x · max(√variance, 1e-7) + mean; mean and variance from the config (a number or one per
 * channel) or the layer's weights. `axis` null (one mean for every value) or the channel axis.
 */
export function normalization(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  const c = shape.at(-1) ?? 1;
  const axis = x.get('axis');
  if (axis !== null) channelAxis(x, shape, axis ?? -1);
  const stat = (key: 'mean' | 'variance'): Float32Array => {
    const v = x.get(key);
    const list: unknown = v === undefined || v === null ? Array.from(x.weight(key).data) : typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || (list.length !== 1 && list.length !== c) || list.some((d) => typeof d !== 'number' || !Number.isFinite(d))) throw x.fail('NN201', `${key} ${v === undefined || v === null ? 'weight' : shownValue(v)} is not a finite number or one per channel (${c})`);
    return Float32Array.from({ length: c }, (_, i) => list[list.length === 1 ? 0 : i] as number);
  };
  const [mean, variance] = [stat('mean'), stat('variance')];
  const std = variance.map((v) => Math.max(Math.sqrt(v), 1e-7));
  if (x.get('invert') === true) return [{ ...x.base(), op: 'batchNorm', scale: std, offset: mean }];
  return [{ ...x.base(), op: 'batchNorm', scale: std.map((d) => 1 / d), offset: mean.map((m, i) => -m / std[i]!) }];
}
