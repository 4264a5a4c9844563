// SPDX-License-Identifier: MIT
/**
 * Element-wise subgraphs of one tensor → one table activation. A connected subgraph of element-wise
 * ops (Mul, Add, Sub, Div, Pow, Max, Min, Tanh, Erf, Sigmoid, Softplus, Relu, Clip, Sqrt, Exp, Log, Neg,
 * Abs, comparisons and Where, Cast to float, …) whose only computed input is one tensor x and whose constants are scalars computes one
 * function of x: Swish with β (x·Sigmoid(βx)), x·Relu6(x + 3)/6, GELU or Mish written with other
 * constants, Softplus as Log(1 + Exp(x)), x·Tanh(Log(1 + Exp(x))), … The int8 machine runs any function
 * of one value as a step table (docs/numerics.md#activation-tables), so the whole subgraph becomes one
 * `expr` table activation (ir/expression.ts) on x.
 *
 * Taken only when node-by-node conversion could not do it: the subgraph holds a product, quotient,
 * max or min of two computed tensors, a constant divided by one, or an op nnchip converts only here
 * (Erf, Exp, Log, Sqrt, Reciprocal, Pow, Celu, Greater, Less, GreaterOrEqual, LessOrEqual, Not, Where); every other chain (a Sigmoid then a scale, a chain of
 * Muls by constants) is converted node by node as before. Every node but the last must be read inside
 * the subgraph only (an intermediate read elsewhere, or a graph output, stays a tensor). Found on the
 * format's nodes after fuse-functions.ts (which names GELU and Mish), grown backwards from the last
 * node of each subgraph, at most MAX_NODES nodes; one that reaches two computed tensors (Log of f(x) +
 * MaxPool(x)) keeps its largest part that is a function of one of its own tensors (the Log of the sum).
 */
import type { TableActivation } from '../ir/activations.js';
import type { ExprBinary, ExprStep, ExprUnary } from '../ir/expression.js';
import type { FuseNode } from './fuse-functions.js';

/** A node with its float attributes (alpha, beta, gamma, min, max). */
export interface ElementwiseNode extends FuseNode {
  readonly attr: (name: string) => number | undefined;
}

const UNARY: Readonly<Record<string, ExprUnary>> = {
  Neg: 'neg', Abs: 'abs', Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Erf: 'erf', Exp: 'exp', Log: 'log', Sqrt: 'sqrt', Reciprocal: 'reciprocal',
  Softplus: 'softplus', Softsign: 'softsign', Clip: 'clip', HardSigmoid: 'hardsigmoid', HardSwish: 'hardswish', LeakyRelu: 'leakyrelu', Elu: 'elu',
  Selu: 'selu', Celu: 'celu', ThresholdedRelu: 'thresholdedrelu', Not: 'not',
};
const BINARY: Readonly<Record<string, ExprBinary>> = {
  Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow', Max: 'max', Min: 'min', Greater: 'greater', Less: 'less', GreaterOrEqual: 'greaterequal', LessOrEqual: 'lessequal',
};
/** Comparisons and Where: a condition on x and the choice it makes (torch.where(x > 0, x, 0.1 * x), x * (x > 0).float()). */
const CHOICE = ['Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'Where'];
/** Ops converted only inside such a subgraph. */
export const ONLY_FUSED: readonly string[] = ['Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Pow', 'Celu', ...CHOICE];
/** Cast to FLOAT or DOUBLE (ONNX's `to` 1, 11): exact on a float32 value or a comparison's 0/1, a step of nothing. */
const EXACT_CASTS = [1, 11];
/** Most nodes one subgraph takes. */
const MAX_NODES = 64;

/** The fused subgraphs: last node's index → its input x and function; the other nodes. */
export interface ElementwiseFusions {
  /** x, its function, and the constants the function reads (a caller checks their shapes: a splat must not broadcast x up) */
  readonly roots: ReadonlyMap<number, { readonly x: string; readonly fn: TableActivation; readonly consts: readonly string[] }>;
  readonly removed: ReadonlySet<number>;
}

/**
 * `scalar`: a one-element float constant's value (else undefined); `constant`: whether a name is any
 * constant; `outputs`: the graph outputs.
 */
export function findElementwise(nodes: readonly ElementwiseNode[], scalarOf: (name: string) => number | undefined, constant: (name: string) => boolean, outputs: readonly string[]): ElementwiseFusions {
  // a NaN constant is none: the expression would be NaN (a table of the stand-in code) everywhere; ±Infinity is taken (Clip's open bounds)
  const scalar = (name: string): number | undefined => {
    const v = scalarOf(name);
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const producer = new Map<string, number>();
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    producer.set(n.output, i);
    for (const t of n.inputs) {
      if (t === '') continue;
      const list = readers.get(t);
      if (list === undefined) readers.set(t, [i]);
      else list.push(i);
    }
  });
  const graphOut = new Set(outputs);
  const computed = (t: string): boolean => t !== '' && !constant(t);
  /** The node as a step (its computed inputs and parameters), or null when it is no element-wise op of scalars. */
  const params = (n: ElementwiseNode): number[] | null | undefined => {
    const u = UNARY[n.op];
    if (u === undefined) return undefined;
    if (n.inputs.length < 1 || !computed(n.inputs[0]!)) return null;
    const a = (name: string, fallback: number): number => n.attr(name) ?? fallback;
    switch (u) {
      case 'clip': {
        const bound = (i: number, attr: string, fallback: number): number | undefined => {
          const t = n.inputs[i];
          return t === undefined || t === '' ? a(attr, fallback) : scalar(t);
        };
        const [lo, hi] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
        return lo === undefined || hi === undefined || !(lo <= hi) ? null : [lo, hi];
      }
      case 'hardsigmoid':
        return [a('alpha', 0.2), a('beta', 0.5)];
      case 'leakyrelu':
        return [a('alpha', 0.01)];
      case 'elu':
      case 'celu':
      case 'thresholdedrelu':
        return [a('alpha', 1)];
      case 'selu':
        return [a('alpha', 1.67326319217681884765625), a('gamma', 1.05070102214813232421875)];
      default:
        return n.inputs.length === 1 ? [] : null;
    }
  };
  const operandOk = (t: string): boolean => computed(t) || scalar(t) !== undefined;
  const eligible = (i: number): boolean => {
    const n = nodes[i]!;
    if (n.op === 'Cast') return n.inputs.length === 1 && computed(n.inputs[0]!) && EXACT_CASTS.includes(n.attr('to') ?? NaN);
    if (n.op === 'Where') return n.inputs.length === 3 && n.inputs.every(operandOk) && n.inputs.some(computed);
    if (params(n) !== undefined) return params(n) !== null;
    if (BINARY[n.op] === undefined || n.inputs.length !== 2) return false;
    const [a, b] = n.inputs as [string, string];
    // each operand a scalar constant or computed; not both constants (that is folding)
    return (computed(a) || scalar(a) !== undefined) && (computed(b) || scalar(b) !== undefined) && (computed(a) || computed(b));
  };
  const needy = (i: number): boolean => {
    const n = nodes[i]!;
    if (ONLY_FUSED.includes(n.op)) return true;
    if (BINARY[n.op] === undefined) return false;
    const [a, b] = n.inputs as [string, string];
    return (computed(a) && computed(b)) || (n.op === 'Div' && !computed(a));
  };

  const taken = new Set<number>();
  const roots = new Map<number, { x: string; fn: TableActivation; consts: string[] }>();
  /** The element-wise region grown backwards from node r (not past tensor `stop`), in order, and its computed inputs. */
  const grow = (r: number, stop?: string): { members: number[]; leaves: Set<string> } => {
    const region = new Set([r]);
    const queue = [r];
    while (queue.length > 0 && region.size < MAX_NODES) {
      for (const t of nodes[queue.pop()!]!.inputs) {
        const p = producer.get(t);
        if (t === stop || p === undefined || region.has(p) || taken.has(p) || graphOut.has(t) || !computed(t) || !eligible(p)) continue;
        if (!(readers.get(t) ?? []).every((q) => region.has(q)) || region.size >= MAX_NODES) continue;
        region.add(p);
        queue.push(p);
      }
    }
    const members = [...region].sort((a, b) => a - b);
    return { members, leaves: new Set(members.flatMap((i) => nodes[i]!.inputs.filter((t) => computed(t) && !region.has(producer.get(t) ?? -1)))) };
  };
  for (let r = nodes.length - 1; r >= 0; r--) {
    if (taken.has(r) || !eligible(r)) continue;
    let { members, leaves } = grow(r);
    // a region reaching two computed tensors (f(x) + MaxPool(x), then Log of it) still holds a function of one of its own
    // tensors: the largest such part, grown again stopping at each member's output from the earliest
    for (const m of leaves.size > 1 ? members.slice(0, -1) : []) {
      const part = grow(r, nodes[m]!.output);
      if (part.leaves.size === 1) {
        ({ members, leaves } = part);
        break;
      }
    }
    if (leaves.size !== 1 || !members.some(needy)) continue;
    const x = [...leaves][0]!;
    const consts: string[] = [];
    const steps = stepsOf(members.map((i) => nodes[i]!), x, scalar, computed, params, consts);
    if (steps === null) continue;
    for (const i of members) taken.add(i);
    roots.set(r, { x, fn: named(steps) ?? { fn: 'expr', expr: steps }, consts });
  }
  return { roots, removed: new Set([...taken].filter((i) => !roots.has(i))) };
}

/** The subgraph's nodes (in order, the last one the result) as steps on x; null when a node reads one not yet computed. */
function stepsOf(members: readonly ElementwiseNode[], x: string, scalar: (name: string) => number | undefined, computed: (t: string) => boolean, params: (n: ElementwiseNode) => number[] | null | undefined, consts: string[]): ExprStep[] | null {
  const steps: ExprStep[] = [{ op: 'x' }];
  const at = new Map<string, number>([[x, 0]]);
  const operand = (t: string): number | undefined => {
    if (computed(t)) return at.get(t);
    consts.push(t);
    steps.push({ op: 'const', value: scalar(t)! });
    return steps.length - 1;
  };
  for (const n of members) {
    const u = UNARY[n.op];
    if (n.op === 'Cast') {
      const a = at.get(n.inputs[0]!);
      if (a === undefined) return null;
      at.set(n.output, a);
      continue;
    }
    if (n.op === 'Where') {
      const [c, a, b] = [operand(n.inputs[0]!), operand(n.inputs[1]!), operand(n.inputs[2]!)];
      if (c === undefined || a === undefined || b === undefined) return null;
      steps.push({ op: 'where', args: [c, a, b] });
    } else if (u !== undefined) {
      const a = at.get(n.inputs[0]!);
      if (a === undefined) return null;
      const p = params(n)!;
      steps.push(p.length === 0 ? { op: u, args: [a] } : { op: u, args: [a], p });
    } else {
      const [a, b] = [operand(n.inputs[0]!), operand(n.inputs[1]!)];
      if (a === undefined || b === undefined) return null;
      steps.push({ op: BINARY[n.op]!, args: [a, b] });
    }
    at.set(n.output, steps.length - 1);
  }
  return steps;
}

/** x·sigmoid(x) and x·hardsigmoid(x; 1/6, 1/2) keep their names (silu, hardswish), as the Mul converter gives them. */
function named(steps: readonly ExprStep[]): TableActivation | undefined {
  if (steps.length !== 3) return undefined;
  const [g, m] = [steps[1]!, steps[2]!];
  if (m.op !== 'mul' || !('args' in g) || g.args[0] !== 0 || !((m.args[0] === 0 && m.args[1] === 1) || (m.args[0] === 1 && m.args[1] === 0))) return undefined;
  if (g.op === 'sigmoid') return { fn: 'silu' };
  const p = 'p' in g ? g.p : undefined;
  if (g.op === 'hardsigmoid' && Math.abs(p![0]! - 1 / 6) < 1e-6 && Math.abs(p![1]! - 0.5) < 1e-6) return { fn: 'hardswish' };
  return undefined;
}
