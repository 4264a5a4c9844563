// SPDX-License-Identifier: MIT
/**
 * Functions of one tensor that exporters write as several ONNX nodes, found before the walk and
 * replaced by the one op they compute (a table activation):
 *   GELU       k · x · (1 + Erf(x / √2)), 2k = 1 (torch.onnx's nn.GELU() below opset 20)
 *   GELU tanh  k · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³))), 2k = 1 (nn.GELU(approximate='tanh'))
 *   Mish       x · Tanh(Softplus(x)) (nn.Mish below opset 18)
 * The walker converts node by node, and x · x or x · (1 + Erf(…)) is a product of two computed
 * tensors, which the IR has no op for; so the whole expression is matched here, on the ONNX nodes.
 * Products are read as a constant times factors through Mul, Div by a constant and Pow 2 or 3, in
 * any order and nesting (0.5 · (x · g), (x · 0.5) · g, x · x · x); every node taken but the last must
 * be read by the expression only.
 */
import type { onnx as OnnxProto } from 'onnx-proto';
import { onnx } from './onnx-tensors.js';

type NodeProto = OnnxProto.INodeProto;

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** Rewrite the node list; `scalar` gives a one-element float constant's value (else undefined); `outputs` the graph outputs. */
export function fuseFunctions(nodes: readonly NodeProto[], scalar: (name: string) => number | undefined, outputs: readonly string[]): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  const uses = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of outputs) uses.set(o, (uses.get(o) ?? 0) + 2);
  const standard = (n: NodeProto | undefined, op: string): n is NodeProto => n !== undefined && n.opType === op && (!n.domain || n.domain === 'ai.onnx');
  /** The node computing `name` when the expression is its only reader. */
  const inner = (name: string, op: string): NodeProto | undefined => {
    const p = uses.get(name) === 1 ? producer.get(name) : undefined;
    return standard(p, op) ? p : undefined;
  };
  const ins = (n: NodeProto): string[] => n.input ?? [];

  /** `name` as k · Π terms. */
  const product = (name: string, taken: NodeProto[], root = false): { k: number; terms: string[] } => {
    const c = scalar(name);
    if (c !== undefined) return { k: c, terms: [] };
    const at = (op: string): NodeProto | undefined => (root ? (standard(producer.get(name), op) ? producer.get(name) : undefined) : inner(name, op));
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
    return { k: 1, terms: [name] };
  };
  /** 1 + t (either order): t. */
  const plusOne = (name: string, taken: NodeProto[]): string | undefined => {
    const add = inner(name, 'Add');
    if (add === undefined || ins(add).length !== 2) return undefined;
    const [a, b] = ins(add) as [string, string];
    const other = close(scalar(a) ?? NaN, 1) ? b : close(scalar(b) ?? NaN, 1) ? a : undefined;
    if (other !== undefined) taken.push(add);
    return other;
  };
  /** The unary op `op` of `name`'s one reader: its input. */
  const unary = (name: string | undefined, op: string, taken: NodeProto[]): string | undefined => {
    const n = name === undefined ? undefined : inner(name, op);
    if (n === undefined || ins(n).length !== 1) return undefined;
    taken.push(n);
    return ins(n)[0];
  };
  /** Whether `name` is k · x with k ≈ `want`. */
  const scaled = (name: string | undefined, x: string, want: number, taken: NodeProto[]): boolean => {
    if (name === undefined) return false;
    const p = product(name, taken);
    return p.terms.length === 1 && p.terms[0] === x && close(p.k, want);
  };
  /** The function of x that gate g makes in x · g (with the product's constant k), or null. */
  const gated = (x: string, g: string, k: number, taken: NodeProto[]): { op: string; approximate?: string } | null => {
    const tanh = unary(g, 'Tanh', taken);
    if (tanh !== undefined && close(k, 1) && unary(tanh, 'Softplus', taken) === x) return { op: 'Mish' };
    if (!close(2 * k, 1)) return null;
    const sum = plusOne(g, taken);
    const erf = unary(sum, 'Erf', taken);
    if (scaled(erf, x, Math.SQRT1_2, taken)) return { op: 'Gelu' };
    // √(2/π) · (x + 0.044715 · x³)
    const inside = unary(sum, 'Tanh', taken);
    if (inside === undefined) return null;
    const outer = product(inside, taken);
    const add = outer.terms.length === 1 && close(outer.k, Math.sqrt(2 / Math.PI)) ? inner(outer.terms[0]!, 'Add') : undefined;
    if (add === undefined || ins(add).length !== 2) return null;
    taken.push(add);
    const cube = ins(add)[0] === x ? ins(add)[1]! : ins(add)[1] === x ? ins(add)[0]! : undefined;
    const c = cube === undefined ? undefined : product(cube, taken);
    return c !== undefined && close(c.k, 0.044715) && c.terms.length === 3 && c.terms.every((t) => t === x) ? { op: 'Gelu', approximate: 'tanh' } : null;
  };

  const removed = new Set<NodeProto>();
  const replaced = new Map<NodeProto, NodeProto>();
  for (const n of nodes) {
    if (!standard(n, 'Mul') || removed.has(n) || (n.output ?? []).length !== 1) continue;
    const taken: NodeProto[] = [];
    const { k, terms } = product(n.output![0]!, taken, true);
    if (terms.length !== 2) continue;
    for (const [x, g] of [terms, [...terms].reverse()] as [string, string][]) {
      const mine = [...taken];
      const f = x !== g && scalar(x) === undefined ? gated(x, g, k, mine) : null;
      if (f === null) continue;
      for (const t of mine) removed.add(t);
      const attribute = f.approximate === undefined ? [] : [{ name: 'approximate', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(f.approximate) }];
      replaced.set(n, { name: n.name ?? '', opType: f.op, domain: '', input: [x], output: [...n.output!], attribute });
      break;
    }
  }
  return nodes.flatMap((n) => (replaced.has(n) ? [replaced.get(n)!] : removed.has(n) ? [] : [n]));
}
