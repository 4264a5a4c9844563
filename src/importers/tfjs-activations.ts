// SPDX-License-Identifier: MIT
/**
 * TF.js Layers (and Keras) activations: the names an `activation` config takes, and the advanced
 * activation layers (LeakyReLU, PReLU, ELU, ThresholdedReLU) as the threshold unit's step tables;
 * and the TF ops of graph models that are activations (Sigmoid, Tanh, LeakyRelu, Elu, Selu, …).
 */
import { shownValue, type NnchipError } from '../diagnostics/error.js';
import type { Activation, Tensor } from '../ir/graph.js';

/** Activation names (tfjs camelCase and Keras snake_case spellings) → IR activations. */
export const TFJS_ACTIVATIONS: Readonly<Record<string, Activation | 'softmax'>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  softmax: 'softmax',
  sigmoid: { fn: 'sigmoid' },
  tanh: { fn: 'tanh' },
  hardSigmoid: { fn: 'hardsigmoid', alpha: 0.2, beta: 0.5 },
  hard_sigmoid: { fn: 'hardsigmoid', alpha: 0.2, beta: 0.5 },
  hard_swish: { fn: 'hardswish' },
  hard_silu: { fn: 'hardswish' },
  elu: { fn: 'elu' },
  selu: { fn: 'selu' },
  gelu: { fn: 'gelu' },
  gelu_new: { fn: 'gelu_tanh' },
  softplus: { fn: 'softplus' },
  softsign: { fn: 'softsign' },
  swish: { fn: 'silu' },
  silu: { fn: 'silu' },
  mish: { fn: 'mish' },
  leaky_relu: { fn: 'leakyrelu', alpha: 0.2 },
  hard_tanh: { clip: [-1, 1] },
};

type Get = (key: string) => unknown;
/** A numeric config value, or the fallback when absent; anything else ("NaN", null-like strings, Infinity) is NN107, not the default. */
function num(v: unknown, fallback: number, key: string, fail: (detail: string) => NnchipError): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`${key} is ${shownValue(v)}; expected a finite number`);
  return v;
}

/** LeakyReLU (alpha, Keras 3: negative_slope; default 0.3), ELU (alpha 1), ThresholdedReLU (theta 1). */
export function advancedActivation(className: 'LeakyReLU' | 'ELU' | 'ThresholdedReLU', get: Get, fail: (detail: string) => NnchipError): Activation {
  switch (className) {
    case 'LeakyReLU':
      return { fn: 'leakyrelu', alpha: num(get('alpha') ?? get('negative_slope'), 0.3, 'alpha', fail) };
    case 'ELU':
      return { fn: 'elu', alpha: num(get('alpha'), 1, 'alpha', fail) };
    case 'ThresholdedReLU':
      return { fn: 'thresholdedrelu', alpha: num(get('theta'), 1, 'theta', fail) };
  }
}

/** PReLU's slopes, one per channel (its alpha weight must not vary over the other axes), or a reason it cannot be. */
export function preluSlopes(alpha: Tensor): number[] | string {
  const c = alpha.shape.at(-1) ?? 1;
  const slopes = Array.from(alpha.data.subarray(0, c));
  for (let i = 0; i < alpha.data.length; i++) if (alpha.data[i] !== slopes[i % c]) return `alpha of shape ${shownValue(alpha.shape)} varies over more than the channel axis (use shared_axes for the spatial axes)`;
  return slopes;
}

/** A TF graph op that is an activation (alone or in a fused op's `fused_ops`): its IR activation. Elu has α 1, Selu TF's constants. */
export function tfGraphActivation(op: string, leakyAlpha: () => number, preluSlopesOf: () => number[]): Activation {
  switch (op) {
    case 'Relu':
      return 'relu';
    case 'Relu6':
      return 'relu6';
    case 'Sigmoid':
      return { fn: 'sigmoid' };
    case 'Tanh':
      return { fn: 'tanh' };
    case 'LeakyRelu':
      return { fn: 'leakyrelu', alpha: leakyAlpha() };
    case 'Elu':
      return { fn: 'elu', alpha: 1 };
    case 'Selu':
      return { fn: 'selu' };
    case 'Softplus':
      return { fn: 'softplus' };
    default: // Prelu: the callers pass no other op
      return { fn: 'prelu', slopes: preluSlopesOf() };
  }
}
