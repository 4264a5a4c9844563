// SPDX-License-Identifier: MIT
/**
 * Recurrent layers (Keras LSTM / GRU / SimpleRNN, ONNX LSTM / GRU / RNN) over a fixed number of steps T,
 * unrolled into IR ops that exist — the importers' one decomposition, as ir/normalize.ts is for
 * normalizations. No new op and no new lowering: every backend runs them as it runs those ops, and every
 * step's tensors are tensors of their own, with their own calibrated scales (docs/numerics.md, "Recurrent layers").
 *
 * Step t reads x_t, a crop of the sequence [1, T, F] viewed as the vector [F]; each gate's pre-activation
 * is dense(x_t, W, b) + dense(h, R) (an add; two denses, not one over concat [x_t, h], so x and h keep
 * their own scales); products of two computed vectors are channelMul (its gate, the second input, is
 * the one quantized symmetrically: the cell state c, a tanh, or h); a product by a constant vector is a
 * diagonal dense. A constant state (zero, or ONNX's constant initial_h / initial_c) is folded into the
 * first step's biases, so step 0 has no recurrent ops.
 */
import { fmtInt, internal, NnchipError } from '../diagnostics/error.js';
import type { Activation, Node, Tensor } from './graph.js';
import type { Limits } from './limits.js';

export type CellKind = 'lstm' | 'gru' | 'rnn';

/** One gate: W [F, U], R [U, U] (row-major, x·W and h·R), b [U] added to x·W (null: none). */
export interface Gate {
  readonly w: Tensor;
  readonly r: Tensor;
  readonly b: Float32Array | null;
  /** GRU reset-after (Keras reset_after, ONNX linear_before_reset) candidate gate: the bias inside r ⊙ (h·R + rb) */
  readonly rb?: Float32Array | null;
}

/**
 * A cell. gates: LSTM i, f, c (the candidate), o; GRU z, r, h; RNN h. LSTM: c' = f⊙c + i⊙g(pre_c),
 * h' = o⊙h(c'), the gates f(pre); GRU: z, r = f(pre), h̃ = g(x·W_h + b_h + (r⊙h)·R_h) — or, resetAfter,
 * g(x·W_h + b_h + r⊙(h·R_h + rb_h)) — and h' = z⊙h + (1 − z)⊙h̃; RNN: h' = g(x·W + h·R + b).
 */
export interface Cell {
  readonly kind: CellKind;
  readonly units: number;
  readonly gates: readonly Gate[];
  /** f: the gates' activation (σ) */
  readonly f: Activation;
  /** g: the candidate's (tanh); the RNN's one activation */
  readonly g: Activation;
  /** h: LSTM's on the cell state (tanh) */
  readonly h: Activation;
  readonly resetAfter?: boolean;
  /** constant initial states (absent: zeros) */
  readonly initialH?: Float32Array;
  readonly initialC?: Float32Array;
}

/** Which tensors the unrolled layer gives, by name (at least one). */
export interface Outputs {
  /** every step's h as the sequence [1, T, U]; `inTime`: step t at position t (ONNX reverse), else in processing order (Keras go_backwards) */
  readonly sequence?: { readonly name: string; readonly inTime: boolean };
  /** the last step's h [U] */
  readonly hidden?: string;
  /** LSTM: the last step's c [U] */
  readonly cell?: string;
}

/** Ops one step of each cell lowers to (the crop, the denses and adds of its gates, the products). */
const OPS_PER_STEP: Readonly<Record<CellKind, number>> = { lstm: 22, gru: 18, rnn: 5 };

/**
 * NN109 before anything is built when T steps are too many: each step holds its own copy of the
 * weights (the program's weight memory), and its own ops.
 */
export function checkUnrolled(cell: Cell, steps: number, features: number, limits: Limits, layer: string): void {
  const u = cell.units;
  const weights = steps * cell.gates.length * (features + u) * u;
  const hint = 'the recurrent layer is unrolled over its T steps (each step its own weights and ops): shorten the sequence or use fewer units';
  if (weights > limits.maxParams) throw new NnchipError('NN109', `unrolling ${fmtInt(steps)} steps of ${cell.kind.toUpperCase()}(${u}) on ${fmtInt(features)} features gives ${fmtInt(weights)} weights, over the limit of ${fmtInt(limits.maxParams)} (--max-params)`, { layer, hint });
  const ops = steps * OPS_PER_STEP[cell.kind];
  if (ops > limits.maxInstructions) throw new NnchipError('NN109', `unrolling ${fmtInt(steps)} steps of ${cell.kind.toUpperCase()}(${u}) gives ${fmtInt(ops)} ops, over the limit of ${fmtInt(limits.maxInstructions)} instructions (--max-instructions)`, { layer, hint });
}

/** A vector: computed (a tensor's name) or constant. */
type V = { readonly t: string } | { readonly c: Float32Array };
/** A node without its names (distributed over the union, so each op's fields are checked). */
type Body = Node extends infer N ? (N extends Node ? Omit<N, 'name' | 'output'> : never) : never;

const diagonal = (d: Float32Array): Tensor => {
  const n = d.length;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = d[i]!;
  return { shape: [n, n], data };
};

/** v·K for a constant vector v and K [len(v), U]. */
function times(v: Float32Array, k: Tensor): Float32Array {
  const u = k.shape[1]!;
  const y = new Float32Array(u);
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) for (let j = 0; j < u; j++) y[j]! += v[i]! * k.data[i * u + j]!;
  return y;
}

const isZero = (v: V): boolean => 'c' in v && v.c.every((e) => e === 0);

/**
 * The nodes of the layer reading the sequence `x` [1, T, F] → `out`'s tensors. `reverse`: steps from
 * x_{T−1} down to x_0. The caller checks the weights' shapes and calls checkUnrolled first.
 */
export function unrollNodes(name: string, x: string, [steps, features]: readonly [number, number], cell: Cell, reverse: boolean, out: Outputs): Node[] {
  const u = cell.units;
  const nodes: Node[] = [];
  let prefix = name;
  const emit = (n: Body, what: string): V => {
    const output = `${prefix}/${what}`;
    nodes.push({ ...n, name: output, output } as Node);
    return { t: output };
  };
  const computed = (v: V): string => {
    if ('c' in v) throw internal(`${name}: a recurrent output is constant`);
    return v.t;
  };
  /** Σ terms·K + bias (K null: the vector itself), then act: constant terms folded into the bias. */
  const affine = (terms: readonly (readonly [V, Tensor | null])[], bias: Float32Array | null, act: Activation, what: string): V => {
    let b = bias === null ? null : Float32Array.from(bias);
    const live: [string, Tensor | null][] = [];
    for (const [v, k] of terms) {
      if ('t' in v) live.push([v.t, k]);
      else if (!isZero(v)) {
        const p = k === null ? v.c : times(v.c, k);
        b ??= new Float32Array(u);
        for (let j = 0; j < u; j++) b[j]! += p[j]!;
      }
    }
    const [first, ...rest] = live;
    if (first === undefined || first[1] === null) throw internal(`${name}: a gate whose first computed input is not the step's x`);
    if (rest.length === 0) return emit({ op: 'dense', inputs: [first[0]], kernel: first[1], bias: b === null ? null : { shape: [u], data: b }, activation: act }, what);
    let sum = computed(emit({ op: 'dense', inputs: [first[0]], kernel: first[1], bias: b === null ? null : { shape: [u], data: b }, activation: 'linear' }, `${what}-x`));
    rest.forEach(([t, k], i) => {
      const d = k === null ? t : computed(emit({ op: 'dense', inputs: [t], kernel: k, bias: null, activation: 'linear' }, `${what}-h${i === 0 ? '' : i}`));
      sum = computed(emit({ op: 'add', inputs: [sum, d] }, act === 'linear' && i === rest.length - 1 ? what : `${what}-sum${i === 0 ? '' : i}`));
    });
    return act === 'linear' ? { t: sum } : emit({ op: 'activation', inputs: [sum], fn: act }, what);
  };
  /** a ⊙ g; g is the symmetric one when both are computed. */
  const mul = (a: V, g: V, what: string): V => {
    if ('c' in a && 'c' in g) return { c: a.c.map((e, i) => e * g.c[i]!) };
    if (isZero(a) || isZero(g)) return { c: new Float32Array(u) };
    if ('t' in a && 't' in g) return emit({ op: 'channelMul', inputs: [a.t, g.t] }, what);
    const [t, c] = 't' in a ? [a.t, (g as { c: Float32Array }).c] : [(g as { t: string }).t, (a as { c: Float32Array }).c];
    return emit({ op: 'dense', inputs: [t], kernel: diagonal(c), bias: null, activation: 'linear' }, what);
  };
  const add = (a: V, b: V, what: string): V => {
    if (isZero(a)) return b;
    if (isZero(b)) return a;
    if ('t' in a && 't' in b) return emit({ op: 'add', inputs: [a.t, b.t] }, what);
    if ('c' in a && 'c' in b) return { c: a.c.map((e, i) => e + b.c[i]!) };
    const [t, c] = 't' in a ? [a.t, (b as { c: Float32Array }).c] : [(b as { t: string }).t, (a as { c: Float32Array }).c];
    return emit({ op: 'batchNorm', inputs: [t], scale: new Float32Array(u).fill(1), offset: c }, what);
  };
  let h: V = { c: cell.initialH ?? new Float32Array(u) };
  let c: V = { c: cell.initialC ?? new Float32Array(u) };
  const hs: string[] = [];
  for (let s = 0; s < steps; s++) {
    const t = reverse ? steps - 1 - s : s;
    prefix = `${name}/t${t}`;
    const xt = steps === 1 ? { t: x } : emit({ op: 'crop', inputs: [x], crop: [0, t, 0, steps - 1 - t] }, 'x');
    const xv = emit({ op: 'flatten', inputs: [computed(xt)] }, 'xv');
    const gate = (k: number, act: Activation, what: string): V => affine([[xv, cell.gates[k]!.w], [h, cell.gates[k]!.r]], cell.gates[k]!.b, act, what);
    if (cell.kind === 'lstm') {
      const [i, f, g, o] = [gate(0, cell.f, 'i'), gate(1, cell.f, 'f'), gate(2, cell.g, 'g'), gate(3, cell.f, 'o')];
      c = add(mul(f, c, 'fc'), mul(i, g, 'ig'), 'c');
      const tc = emit({ op: 'activation', inputs: [computed(c)], fn: cell.h }, 'tanh-c');
      h = mul(o, tc, 'h');
    } else if (cell.kind === 'gru') {
      const [z, r] = [gate(0, cell.f, 'z'), gate(1, cell.f, 'r')];
      const gh = cell.gates[2]!;
      let cand: V;
      if (cell.resetAfter === true) {
        // h·R_h + rb (constant while h is), times r
        const rec = 'c' in h ? { c: times(h.c, gh.r).map((e, j) => e + (gh.rb?.[j] ?? 0)) } : affine([[h, gh.r]], gh.rb ?? null, 'linear', 'hr');
        cand = affine([[xv, gh.w], [mul(r, rec, 'rhr'), null]], gh.b, cell.g, 'hh');
      } else {
        cand = affine([[xv, gh.w], [mul(r, h, 'rh'), gh.r]], gh.b, cell.g, 'hh');
      }
      const keep = emit({ op: 'batchNorm', inputs: [computed(z)], scale: new Float32Array(u).fill(-1), offset: new Float32Array(u).fill(1) }, '1-z');
      h = add(mul(z, h, 'zh'), mul(keep, cand, 'zhh'), 'h');
    } else {
      h = gate(0, cell.g, 'h');
    }
    hs.push(computed(h));
  }
  const renames = new Map<string, string>();
  if (out.hidden !== undefined) renames.set(computed(h), out.hidden);
  if (out.cell !== undefined) renames.set(computed(c), out.cell);
  if (out.sequence !== undefined) {
    prefix = name;
    const order = out.sequence.inTime && reverse ? [...hs].reverse() : hs;
    const flat = order.length === 1 ? order[0]! : computed(emit({ op: 'concat', inputs: order }, 'steps'));
    nodes.push({ name: out.sequence.name, op: 'reshape', inputs: [flat], output: out.sequence.name, shape: [1, steps, u] });
  }
  if (renames.size === 0 && out.sequence === undefined) throw internal(`${name}: a recurrent layer with no output`);
  const rename = (s: string): string => renames.get(s) ?? s;
  return nodes.map((n) => (renames.has(n.output) || n.inputs.some((i) => renames.has(i)) ? ({ ...n, ...(renames.has(n.output) ? { name: rename(n.output), output: rename(n.output) } : {}), inputs: n.inputs.map(rename) } as Node) : n));
}
