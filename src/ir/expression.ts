// SPDX-License-Identifier: MIT
/**
 * A function of one value written as element-wise steps (the `expr` table activation): what an
 * exporter writes as a connected subgraph of element-wise ops on one tensor x with scalar constants —
 * torch's decomposed GELU with other constants, Swish with β (x·Sigmoid(βx)), x·Relu6(x + 3)/6,
 * Softplus as Log(1 + Exp(x)), … (src/importers/fuse-elementwise.ts finds them). Any function of one
 * value is a step table once its output is int8 (docs/numerics.md#activation-tables); the table builder
 * needs the points where the function may turn, which for a general expression are found numerically
 * here (turningPointsOf).
 */

import { addInto, clampInto, mulInto } from './elementwise.js';

export const EXPR_UNARY = ['neg', 'abs', 'relu', 'sigmoid', 'tanh', 'erf', 'exp', 'log', 'sqrt', 'reciprocal', 'softplus', 'softsign', 'clip', 'hardsigmoid', 'hardswish', 'leakyrelu', 'elu', 'selu', 'celu', 'thresholdedrelu', 'not'] as const;
/** greater … lessequal: 1 where the comparison holds, else 0 (NaN compares false), as ONNX's bool tensors cast to float. */
export const EXPR_BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'greater', 'less', 'greaterequal', 'lessequal'] as const;
export type ExprUnary = (typeof EXPR_UNARY)[number];
export type ExprBinary = (typeof EXPR_BINARY)[number];

/**
 * One step; `args` index earlier steps. clip p = [lo, hi]; hardsigmoid [alpha, beta]; leakyrelu, elu,
 * celu, thresholdedrelu [alpha]; selu [alpha, gamma].
 */
export type ExprStep =
  | { readonly op: 'x' }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: ExprUnary; readonly args: readonly [number]; readonly p?: readonly number[] }
  | { readonly op: ExprBinary; readonly args: readonly [number, number] }
  /** args[1] where args[0] is not 0, else args[2] (ONNX Where, torch.where) */
  | { readonly op: 'where'; readonly args: readonly [number, number, number] };

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

function unary(op: ExprUnary, v: number, p: readonly number[], erf: (x: number) => number): number {
  switch (op) {
    case 'neg':
      return -v;
    case 'abs':
      return Math.abs(v);
    case 'relu':
      return Math.max(0, v);
    case 'sigmoid':
      return sigmoid(v);
    case 'tanh':
      return Math.tanh(v);
    case 'erf':
      return erf(v);
    case 'exp':
      return Math.exp(v);
    case 'log':
      return Math.log(v);
    case 'sqrt':
      return Math.sqrt(v);
    case 'reciprocal':
      return 1 / v;
    case 'softplus':
      return softplus(v);
    case 'softsign':
      return v / (1 + Math.abs(v));
    case 'clip':
      return Math.min(p[1]!, Math.max(p[0]!, v));
    case 'hardsigmoid':
      return Math.max(0, Math.min(1, p[0]! * v + p[1]!));
    case 'hardswish':
      return (v * Math.max(0, Math.min(6, v + 3))) / 6;
    case 'leakyrelu':
      return v >= 0 ? v : p[0]! * v;
    case 'elu':
      return v > 0 ? v : p[0]! * Math.expm1(v);
    case 'selu':
      return p[1]! * (v > 0 ? v : p[0]! * Math.expm1(v));
    case 'celu':
      return Math.max(0, v) + Math.min(0, p[0]! * Math.expm1(v / p[0]!));
    case 'thresholdedrelu':
      return v > p[0]! ? v : 0;
    case 'not':
      return v === 0 ? 1 : 0;
  }
}

function binary(op: ExprBinary, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return Math.pow(a, b);
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'greater':
      return a > b ? 1 : 0;
    case 'less':
      return a < b ? 1 : 0;
    case 'greaterequal':
      return a >= b ? 1 : 0;
    case 'lessequal':
      return a <= b ? 1 : 0;
  }
}

/** evalExpr's step values, reused from call to call (a calibration evaluates an activation's expression at every element of every sample: an array each was most of its garbage). */
let stepValues = new Float64Array(16);

/** The expression's value at x, in float64 (its last step). */
export function evalExpr(steps: readonly ExprStep[], x: number, erf: (x: number) => number): number {
  if (stepValues.length < steps.length) stepValues = new Float64Array(2 * steps.length);
  const v = stepValues;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.op === 'where') v[i] = v[s.args[0]] !== 0 ? v[s.args[1]]! : v[s.args[2]]!;
    else v[i] = s.op === 'x' ? x : s.op === 'const' ? s.value : s.args.length === 1 ? unary(s.op as ExprUnary, v[s.args[0]]!, (s as { p?: readonly number[] }).p ?? [], erf) : binary(s.op as ExprBinary, v[s.args[0]]!, v[s.args[1]!]!);
  }
  return v[steps.length - 1]!;
}

/**
 * evalExpr at every element of `xs`, a step at a time over the whole array (each step's op
 * chosen once per array, not once per element; a step of constants alone computed once): the same
 * operations on the same operands as evalExpr's, so the same values. A calibration evaluates an
 * activation at every element of every sample: CenterNet's twenty x·Relu6(x + 3)/6 expressions,
 * element by element, were a third of its 134 s.
 */
export function evalExprOver(steps: readonly ExprStep[], xs: Float64Array, erf: (x: number) => number): Float64Array {
  const n = xs.length;
  const values: (Float64Array | number)[] = [];
  steps.forEach((s, k) => {
    // the last step's array is the result; the others are scratch, kept from call to call
    const out = (): Float64Array => (k === steps.length - 1 ? new Float64Array(n) : scratchOf(k, n));
    if (s.op === 'x') values.push(xs);
    else if (s.op === 'const') values.push(s.value);
    else if (s.op === 'where') values.push(whereOver(values[s.args[0]]!, values[s.args[1]]!, values[s.args[2]]!, n, out));
    else if (s.args.length === 1) {
      const a = values[s.args[0]]!;
      const [op, p] = [s.op as ExprUnary, (s as { p?: readonly number[] }).p ?? []];
      values.push(typeof a === 'number' ? unary(op, a, p, erf) : unaryOver(op, a, p, erf, out()));
    } else {
      const [a, b] = [values[s.args[0]]!, values[s.args[1]!]!];
      const op = s.op as ExprBinary;
      values.push(typeof a === 'number' && typeof b === 'number' ? binary(op, a, b) : binaryOver(op, a, b, out()));
    }
  });
  const last = values[steps.length - 1]!;
  return typeof last === 'number' ? new Float64Array(n).fill(last) : last === xs ? xs.slice() : last;
}

/** where(c, a, b) at each element (any of them may be one value): the same choice as evalExpr's. */
function whereOver(c: Float64Array | number, a: Float64Array | number, b: Float64Array | number, n: number, out: () => Float64Array): Float64Array | number {
  if (typeof c === 'number') {
    const chosen = c !== 0 ? a : b;
    if (typeof chosen === 'number') return chosen;
    // copied: the last step's result must be its own array, not another step's scratch
    const y = out();
    y.set(chosen);
    return y;
  }
  const y = out();
  for (let i = 0; i < n; i++) y[i] = c[i] !== 0 ? (typeof a === 'number' ? a : a[i]!) : typeof b === 'number' ? b : b[i]!;
  return y;
}

/** evalExprOver's step arrays, by step (large ones: allocating them per call was most of a calibration's garbage collection). */
const scratch: Float64Array[] = [];

function scratchOf(k: number, n: number): Float64Array {
  if ((scratch[k]?.length ?? -1) < n) scratch[k] = new Float64Array(n);
  return scratch[k]!.subarray(0, n);
}

/** unary at each element of a into y (clip and ReLU, the common ones, as ir/elementwise.ts's loops: unary's values). */
function unaryOver(op: ExprUnary, a: Float64Array, p: readonly number[], erf: (x: number) => number, y: Float64Array): Float64Array {
  if (op === 'clip') return clampInto(y, a, p[0]!, p[1]!);
  if (op === 'relu') return clampInto(y, a, 0, Infinity);
  for (let i = 0; i < y.length; i++) y[i] = unary(op, a[i]!, p, erf);
  return y;
}

/** binary at each element (either side may be one value) into y (add and mul, the common ones, as ir/elementwise.ts's loops). */
function binaryOver(op: ExprBinary, a: Float64Array | number, b: Float64Array | number, y: Float64Array): Float64Array {
  const at = (v: Float64Array | number): Float64Array => (typeof v === 'number' ? scalarArray(v, y.length) : v);
  const [u, v] = [at(a), at(b)];
  if (op === 'add') return addInto(y, u, v);
  if (op === 'mul') return mulInto(y, u, v);
  for (let i = 0; i < y.length; i++) y[i] = binary(op, u[i]!, v[i]!);
  return y;
}

/** One value as an array of n (a binary op of an array and a constant runs the array loop). */
let constants = new Float64Array(0);
function scalarArray(value: number, n: number): Float64Array {
  if (constants.length < n) constants = new Float64Array(n);
  return constants.subarray(0, n).fill(value);
}

/** Sample points: 0 and ±10^e for e from −8 to 8 at 400 points a decade (0.58% apart). */
const PER_DECADE = 400;
const GRID: readonly number[] = (() => {
  const pos = Array.from({ length: 16 * PER_DECADE + 1 }, (_, i) => 10 ** (-8 + i / PER_DECADE));
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
})();

const turnsCache = new WeakMap<readonly ExprStep[], number[]>();

/**
 * Where f may turn: 0, and each local extremum of f on the grid (a change of direction between
 * neighbours, flat stretches taking either side), refined by golden-section search to ~1e-12 of its
 * place. Between two such points f is taken to be monotone; a wiggle narrower than the grid's spacing
 * (0.58% of |x|) or beyond |x| = 10^8 would be missed (no expression of the ops above with scalar
 * constants of ordinary size has one; where f turns NaN, as Log of a negative value, is a turn, found by bisection).
 */
export function turningPointsOf(steps: readonly ExprStep[], erf: (x: number) => number): number[] {
  const cached = turnsCache.get(steps);
  if (cached !== undefined) return cached;
  const f = (x: number): number => evalExpr(steps, x, erf);
  const y = GRID.map(f);
  const turns = new Set<number>([0]);
  // dir: the direction of the last segment that moved; last: its end
  let dir = 0;
  let last = 0;
  for (let i = 1; i < GRID.length; i++) {
    if (Number.isNaN(y[i]!) !== Number.isNaN(y[i - 1]!)) {
      turns.add(GRID[i]!);
      turns.add(GRID[i - 1]!);
      turns.add(edge(f, GRID[i - 1]!, GRID[i]!));
      dir = 0;
      continue;
    }
    const d = Math.sign(y[i]! - y[i - 1]!);
    if (d === 0 || Number.isNaN(d)) continue;
    // turned somewhere between the last moving segment's start and this one's end
    if (dir !== 0 && d !== dir) turns.add(refine(f, GRID[last - 1]!, GRID[i]!, dir > 0));
    dir = d;
    last = i;
  }
  const out = [...turns].sort((a, b) => a - b);
  turnsCache.set(steps, out);
  return out;
}

/** Where f turns NaN or stops being NaN in [a, b] (its ends on either side), by bisection. */
function edge(f: (x: number) => number, a: number, b: number): number {
  const nanAtA = Number.isNaN(f(a));
  let [lo, hi] = [a, b];
  for (let k = 0; k < 200 && hi - lo > 1e-13 * Math.max(1e-300, Math.abs(lo) + Math.abs(hi)); k++) {
    const m = (lo + hi) / 2;
    if (Number.isNaN(f(m)) === nanAtA) lo = m;
    else hi = m;
  }
  return hi;
}

/** The extremum of f in [a, b] (a maximum when `max`), by golden-section search. */
function refine(f: (x: number) => number, a: number, b: number, max: boolean): number {
  const g = (Math.sqrt(5) - 1) / 2;
  const h = (x: number): number => (max ? -f(x) : f(x));
  let [lo, hi] = [a, b];
  for (let k = 0; k < 200 && hi - lo > 1e-13 * Math.max(1e-300, Math.abs(lo) + Math.abs(hi)); k++) {
    const c = hi - g * (hi - lo);
    const d = lo + g * (hi - lo);
    if (h(c) <= h(d)) hi = d;
    else lo = c;
  }
  return (lo + hi) / 2;
}

/** A short readable ASCII form for labels: (x*sigmoid((x*1.5))). */
export function exprName(steps: readonly ExprStep[]): string {
  const names: string[] = [];
  const SYM: Partial<Record<ExprBinary, string>> = { add: '+', sub: '-', mul: '*', div: '/', pow: '^' };
  for (const s of steps) {
    if (s.op === 'x') names.push('x');
    else if (s.op === 'const') names.push(String(Number(s.value.toPrecision(6))));
    else if (s.op === 'where') names.push(`where(${names[s.args[0]]!},${names[s.args[1]]!},${names[s.args[2]]!})`);
    else if (s.args.length === 1) names.push(`${s.op}(${names[s.args[0]]!}${(s as { p?: readonly number[] }).p?.map((v) => `,${Number(v.toPrecision(6))}`).join('') ?? ''})`);
    else {
      const [a, b] = [names[s.args[0]]!, names[s.args[1]!]!];
      const sym = SYM[s.op as ExprBinary];
      names.push(sym === undefined ? `${s.op}(${a},${b})` : `(${a}${sym}${b})`);
    }
  }
  const full = names.at(-1) ?? 'x';
  return full.length > 60 ? `${full.slice(0, 57)}...` : full;
}
