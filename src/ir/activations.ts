// SPDX-License-Identifier: MIT
/**
 * Activation functions the threshold unit runs as step tables (any function of one value): their
 * float definitions, which float evaluation and the table builder (passes/table.ts) both use, and
 * the points where they may turn (the table builder searches monotone pieces between them).
 */

import { evalExpr, evalExprOver, exprName, turningPointsOf, type ExprStep } from './expression.js';

export const TABLE_FUNCTIONS = ['sigmoid', 'tanh', 'hardsigmoid', 'hardswish', 'leakyrelu', 'prelu', 'elu', 'selu', 'gelu', 'gelu_tanh', 'softplus', 'softsign', 'silu', 'mish', 'thresholdedrelu', 'square', 'rsqrt'] as const;
/** The named functions, and `expr`: a function written as element-wise steps (ir/expression.ts; importers only, no format names it). */
export type TableFunction = (typeof TABLE_FUNCTIONS)[number] | 'expr';

/** A function the threshold unit implements as a step table; `slopes`: PReLU's per-channel negative slopes. */
export interface TableActivation {
  readonly fn: TableFunction;
  /** expr: its steps */
  readonly expr?: readonly ExprStep[];
  /** leakyrelu/elu/selu/hardsigmoid alpha, thresholdedrelu theta, rsqrt epsilon */
  readonly alpha?: number;
  /** hardsigmoid beta (offset) */
  readonly beta?: number;
  readonly slopes?: readonly number[];
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf to ~1e-14: its Taylor series below 3, the continued fraction of erfc above. */
export function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let k = a;
    for (let n = 60; n >= 1; n--) k = a + n / 2 / k;
    r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * k);
  }
  return x < 0 ? -r : r;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** applyTable at every element of x (element i on channel i mod C: channels are innermost); an expression a step at a time (evalExprOver). */
export function applyTableOver(a: TableActivation, x: Float64Array): Float64Array {
  if (a.fn === 'expr') return evalExprOver(a.expr!, x, erf);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = applyTable(a, x[i]!, i);
  return y;
}

/** The function's value at x on output channel c. */
export function applyTable(a: TableActivation, x: number, c: number): number {
  const alpha = a.alpha;
  switch (a.fn) {
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'hardsigmoid':
      return Math.max(0, Math.min(1, (alpha ?? 0.2) * x + (a.beta ?? 0.5)));
    case 'hardswish':
      return (x * Math.max(0, Math.min(6, x + 3))) / 6;
    case 'leakyrelu':
      return x >= 0 ? x : (alpha ?? 0.01) * x;
    case 'prelu':
      return x >= 0 ? x : a.slopes![c % a.slopes!.length]! * x;
    case 'elu':
      return x > 0 ? x : (alpha ?? 1) * Math.expm1(x);
    case 'selu':
      return SELU_GAMMA * (x > 0 ? x : (alpha ?? SELU_ALPHA) * Math.expm1(x));
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    case 'softplus':
      return softplus(x);
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'silu':
      return x * sigmoid(x);
    case 'mish':
      return x * Math.tanh(softplus(x));
    case 'thresholdedrelu':
      return x > (alpha ?? 1) ? x : 0;
    case 'square':
      return x * x;
    // a normalization's 1/√(variance + ε) (ir/normalize.ts); a variance below 0 (none is) reads as 0
    case 'rsqrt':
      return 1 / Math.sqrt(Math.max(0, x) + (alpha ?? 1e-5));
    case 'expr':
      return evalExpr(a.expr!, x, erf);
  }
}

/**
 * Inputs between which the function is monotone (always 0, plus each minimum or jump): GELU's,
 * SiLU's and Mish's minima, hard-swish's at −1.5, a thresholded ReLU's jump, hard-sigmoid's corners.
 */
export function turningPoints(a: TableActivation): number[] {
  const alpha = a.alpha;
  switch (a.fn) {
    case 'gelu':
      return [0, -0.7517916243];
    case 'gelu_tanh':
      return [0, -0.7522922];
    case 'silu':
      return [0, -1.2784645428];
    case 'mish':
      return [0, -1.1924312178];
    case 'hardswish':
      return [0, -3, -1.5, 3];
    case 'hardsigmoid': {
      const s = alpha ?? 0.2;
      const b = a.beta ?? 0.5;
      return s === 0 ? [0] : [0, -b / s, (1 - b) / s];
    }
    case 'thresholdedrelu':
      return [0, alpha ?? 1];
    case 'expr':
      return turningPointsOf(a.expr!, erf);
    default:
      return [0];
  }
}

/** Its name in labels and messages: sigmoid, leakyrelu(0.1), prelu. */
export function tableName(a: TableActivation): string {
  if (a.fn === 'expr') return exprName(a.expr!);
  return a.alpha !== undefined && a.fn !== 'prelu' ? `${a.fn}(${a.alpha})` : a.fn;
}
