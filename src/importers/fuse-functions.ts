// SPDX-License-Identifier: MIT
/**
 * Functions of one tensor that exporters write as several nodes, found before the walk and
 * replaced by the one activation they compute (a table activation):
 *   GELU       k · x · (1 + Erf(x / √2)), 2k = 1 (torch.onnx's nn.GELU() below opset 20; TF's gelu)
 *   GELU tanh  k · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³))), 2k = 1 (approximate='tanh'; TF's approximate)
 *   Mish       x · Tanh(Softplus(x)) (nn.Mish below opset 18; Keras mish)
 * The importers convert node by node, and x · x or x · (1 + Erf(…)) is a product of two computed
 * tensors, which the IR has no op for; so the whole expression is matched here, on the format's own
 * nodes seen through FuseNode (ONNX: onnx.ts; TF graph: tfjs-graph.ts). Products are read as a
 * constant times factors through Mul, Div by a constant, Pow 2 or 3 and Square, in any order and
 * nesting (0.5 · (x · g), (x · 0.5) · g, x · x · x); every node taken but the last must be read by
 * the expression only.
 */
import type { TableFunction } from '../ir/activations.js';

/** A node as the matcher sees it: op (ONNX names: Mul, Div, Add, Pow, Square, Erf, Tanh, Softplus; '' for one never taken), inputs, its one output. */
export interface FuseNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
}

/** The matches: root node index → the function and its input; the other nodes of each match. */
export interface Fusions {
  readonly roots: ReadonlyMap<number, { readonly fn: Extract<TableFunction, 'gelu' | 'gelu_tanh' | 'mish'>; readonly x: string }>;
  readonly removed: ReadonlySet<number>;
}

/** Most nodes one expression takes (GELU tanh: 11); past it the matcher stops descending. */
const MAX_TAKEN = 16;

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** Find the expressions; `scalar` gives a one-element constant's value (else undefined); `outputs` the graph outputs. */
export function findFunctions(nodes: readonly FuseNode[], scalar: (name: string) => number | undefined, outputs: readonly string[]): Fusions {
  const producer = new Map<string, FuseNode>();
  const uses = new Map<string, number>();
  for (const n of nodes) {
    producer.set(n.output, n);
    for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of outputs) uses.set(o, (uses.get(o) ?? 0) + 2);
  const standard = (n: FuseNode | undefined, op: string): n is FuseNode => n !== undefined && n.op === op;
  /** The node computing `name` when the expression is its only reader. */
  const inner = (name: string, op: string): FuseNode | undefined => {
    const p = uses.get(name) === 1 ? producer.get(name) : undefined;
    return standard(p, op) ? p : undefined;
  };
  const ins = (n: FuseNode): readonly string[] => n.inputs;

  /** `name` as k · Π terms (at most MAX_TAKEN nodes deep: a long chain of products is no GELU, and is not walked from each of its nodes). */
  const product = (name: string, taken: FuseNode[], root = false): { k: number; terms: string[] } => {
    const c = scalar(name);
    if (c !== undefined) return { k: c, terms: [] };
    if (taken.length >= MAX_TAKEN) return { k: 1, terms: [name] };
    const at = (op: string): FuseNode | undefined => (root ? (standard(producer.get(name), op) ? producer.get(name) : undefined) : inner(name, op));
    const mul = at('Mul');
    if (mul !== undefined && ins(mul).length === 2) {
      taken.push(mul);
      const [a, b] = [product(ins(mul)[0]!, taken), product(ins(mul)[1]!, taken)];
      return { k: a.k * b.k, terms: [...a.terms, ...b.terms] };
    }
    const div = at('Div');
    const d = div === undefined ? undefined : scalar(ins(div)[1] ?? '');
    if (div !== undefined && d !== undefined && d !== 0) {
      taken.push(div);
      const a = product(ins(div)[0]!, taken);
      return { k: a.k / d, terms: a.terms };
    }
    const pow = at('Pow');
    const e = pow === undefined ? undefined : scalar(ins(pow)[1] ?? '');
    if (pow !== undefined && (e === 2 || e === 3) && scalar(ins(pow)[0]!) === undefined) {
      taken.push(pow);
      return { k: 1, terms: Array<string>(e).fill(ins(pow)[0]!) };
    }
    const square = at('Square');
    if (square !== undefined && ins(square).length === 1) {
      taken.push(square);
      return { k: 1, terms: [ins(square)[0]!, ins(square)[0]!] };
    }
    return { k: 1, terms: [name] };
  };
  /** 1 + t (either order): t. */
  const plusOne = (name: string, taken: FuseNode[]): string | undefined => {
    const add = inner(name, 'Add');
    if (add === undefined || ins(add).length !== 2) return undefined;
    const [a, b] = ins(add) as [string, string];
    const other = close(scalar(a) ?? NaN, 1) ? b : close(scalar(b) ?? NaN, 1) ? a : undefined;
    if (other !== undefined) taken.push(add);
    return other;
  };
  /** The unary op `op` of `name`'s one reader: its input. */
  const unary = (name: string | undefined, op: string, taken: FuseNode[]): string | undefined => {
    const n = name === undefined ? undefined : inner(name, op);
    if (n === undefined || ins(n).length !== 1) return undefined;
    taken.push(n);
    return ins(n)[0];
  };
  /** Whether `name` is k · x with k ≈ `want`. */
  const scaled = (name: string | undefined, x: string, want: number, taken: FuseNode[]): boolean => {
    if (name === undefined) return false;
    const p = product(name, taken);
    return p.terms.length === 1 && p.terms[0] === x && close(p.k, want);
  };
  /** The function of x that gate g makes in x · g (with the product's constant k), or null. */
  const gated = (x: string, g: string, k: number, taken: FuseNode[]): 'gelu' | 'gelu_tanh' | 'mish' | null => {
    const tanh = unary(g, 'Tanh', taken);
    if (tanh !== undefined && close(k, 1) && unary(tanh, 'Softplus', taken) === x) return 'mish';
    if (!close(2 * k, 1)) return null;
    const sum = plusOne(g, taken);
    const erf = unary(sum, 'Erf', taken);
    if (scaled(erf, x, Math.SQRT1_2, taken)) return 'gelu';
    // √(2/π) · (x + 0.044715 · x³)
    const inside = unary(sum, 'Tanh', taken);
    if (inside === undefined) return null;
    const outer = product(inside, taken);
    const add = outer.terms.length === 1 && close(outer.k, Math.sqrt(2 / Math.PI)) ? inner(outer.terms[0]!, 'Add') : undefined;
    if (add === undefined || ins(add).length !== 2) return null;
    taken.push(add);
    const cube = ins(add)[0] === x ? ins(add)[1]! : ins(add)[1] === x ? ins(add)[0]! : undefined;
    const c = cube === undefined ? undefined : product(cube, taken);
    return c !== undefined && close(c.k, 0.044715) && c.terms.length === 3 && c.terms.every((t) => t === x) ? 'gelu_tanh' : null;
  };

  const index = new Map(nodes.map((n, i) => [n, i]));
  const removed = new Set<number>();
  const roots = new Map<number, { fn: 'gelu' | 'gelu_tanh' | 'mish'; x: string }>();
  nodes.forEach((n, i) => {
    if (!standard(n, 'Mul') || removed.has(i)) return;
    const taken: FuseNode[] = [];
    const { k, terms } = product(n.output, taken, true);
    if (terms.length !== 2) return;
    for (const [x, g] of [terms, [...terms].reverse()] as [string, string][]) {
      const mine = [...taken];
      const fn = x !== g && scalar(x) === undefined ? gated(x, g, k, mine) : null;
      if (fn === null) continue;
      for (const t of mine) if (t !== n) removed.add(index.get(t)!);
      roots.set(i, { fn, x });
      break;
    }
  });
  return { roots, removed };
}
