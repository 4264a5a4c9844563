// SPDX-License-Identifier: MIT
/**
 * Functions of one tensor written out in TF ops → one table activation each, as for ONNX: GELU and Mish by
 * name (fuse-functions.ts), then any connected element-wise subgraph of one computed tensor with scalar
 * constants (fuse-elementwise.ts: x / √(x² + 1), Exp, Log, a preprocessing x · 2 − 1 into Tanh, …). The TF ops
 * are read under their ONNX names; Square and Rsqrt as Pow by 2 and by −½, Relu6 as Clip(0, 6).
 */
import type { Tensor } from '../ir/graph.js';
import { findElementwise } from './fuse-elementwise.js';
import { findFunctions } from './fuse-functions.js';
import { typeAttr, type TfNode } from './tfjs-graph-op.js';

type Ref = { node: string; control: boolean };

/** TF's names of the ops the GELU and Mish matcher reads (fuse-functions.ts), as ONNX names them. */
export const FUSE_OPS: Readonly<Record<string, string>> = { Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Add: 'Add', AddV2: 'Add', Pow: 'Pow', Square: 'Square', Erf: 'Erf', Tanh: 'Tanh', Softplus: 'Softplus' };

/** TF's element-wise ops as ONNX names them (fuse-elementwise.ts); Square and Rsqrt become Pow by a constant. */
const ELEMENTWISE_OPS: Readonly<Record<string, string>> = {
  Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Add: 'Add', AddV2: 'Add', BiasAdd: 'Add', Sub: 'Sub', Pow: 'Pow', Maximum: 'Max', Minimum: 'Min',
  Neg: 'Neg', Abs: 'Abs', Relu: 'Relu', Relu6: 'Clip', Sigmoid: 'Sigmoid', Tanh: 'Tanh', Erf: 'Erf', Exp: 'Exp', Log: 'Log', Sqrt: 'Sqrt',
  Reciprocal: 'Reciprocal', Inv: 'Reciprocal', Softplus: 'Softplus', Softsign: 'Softsign', Elu: 'Elu', Selu: 'Selu', LeakyRelu: 'LeakyRelu',
  Square: 'Pow', Rsqrt: 'Pow', Greater: 'Greater', Less: 'Less', GreaterEqual: 'GreaterOrEqual', LessEqual: 'LessOrEqual', LogicalNot: 'Not', SelectV2: 'Where',
  Cast: 'Cast',
};
/** The exponent Square and Rsqrt are Pow by. */
const POWER: Readonly<Record<string, number>> = { Square: 2, Rsqrt: -0.5 };
/** Ops converted only inside such a function (each alone is one, of one node). */
export const TF_ONLY_FUSED: readonly string[] = ['Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Inv', 'Pow', 'Square', 'Rsqrt', 'Greater', 'Less', 'GreaterEqual', 'LessEqual', 'LogicalNot', 'SelectV2'];

/** Whether an op unsupported on its own may be part of a function of one tensor (so the unsupported-ops check waits for the match). */
export function mayFuse(op: string): boolean {
  return Object.hasOwn(FUSE_OPS, op) || TF_ONLY_FUSED.includes(op);
}

/** A float attribute of a TF node ({ f } in tfjs-converter's JSON, a number or a numeric string), else undefined. */
function floatAttr(n: TfNode, key: string): number | undefined {
  const v = (n.attr[key] as { f?: unknown } | undefined)?.f;
  const f = typeof v === 'string' ? Number(v) : v;
  return typeof f === 'number' && Number.isFinite(f) ? f : undefined;
}

/** The nodes with GELU, Mish and other functions of one tensor each replaced by its last node, marked as that table activation of x. */
export function fuseTfFunctions(nodes: readonly TfNode[], weights: ReadonlyMap<string, Tensor>, outputs: readonly string[], refsOf: (n: TfNode) => Ref[]): TfNode[] {
  const consts = new Set(nodes.filter((n) => n.op === 'Const').map((n) => n.name));
  const scalar = (name: string): number | undefined => {
    const t = weights.get(name);
    return t !== undefined && t.data.length === 1 && consts.has(name) ? t.data[0] : undefined;
  };
  const plain = (n: TfNode, ops: Readonly<Record<string, string>>): string => (Object.hasOwn(ops, n.op) && !refsOf(n).some((r) => r.control) ? ops[n.op]! : '');
  const named = findFunctions(nodes.map((n) => ({ op: plain(n, FUSE_OPS), inputs: refsOf(n).map((r) => r.node), output: n.name })), scalar, outputs);
  const step1 = nodes.flatMap((n, i) => {
    const f = named.roots.get(i);
    if (f !== undefined) return [{ ...n, inputs: [f.x], attr: {}, table: { fn: f.fn } }];
    return named.removed.has(i) ? [] : [n];
  });
  // Square and Rsqrt read a made-up scalar constant (their exponent)
  const exponent = (n: TfNode): string => `${n.name}\u0000power`;
  const powers = new Map(step1.filter((n) => Object.hasOwn(POWER, n.op)).map((n) => [exponent(n), POWER[n.op]!]));
  const view = step1.map((n) => {
    const op = n.table === undefined ? plain(n, ELEMENTWISE_OPS) : '';
    const inputs = refsOf(n).map((r) => r.node);
    const attr = (key: string): number | undefined => {
      if (n.op === 'Relu6') return key === 'min' ? 0 : key === 'max' ? 6 : undefined;
      // a Cast to float32 (of a comparison's bool) is exact: ONNX's `to` FLOAT
      if (n.op === 'Cast') return key === 'to' && typeAttr(n, 'DstT') === 'DT_FLOAT' ? 1 : undefined;
      // TF's LeakyRelu alpha defaults to 0.2 (ONNX's to 0.01)
      return floatAttr(n, key) ?? (n.op === 'LeakyRelu' && key === 'alpha' ? 0.2 : undefined);
    };
    return { op, inputs: Object.hasOwn(POWER, n.op) ? [...inputs, exponent(n)] : inputs, output: n.name, attr };
  });
  const fused = findElementwise(view, (name) => powers.get(name) ?? scalar(name), (name) => powers.has(name) || consts.has(name), outputs);
  return step1.flatMap((n, i) => {
    const f = fused.roots.get(i);
    if (f !== undefined) return [{ ...n, inputs: [f.x], attr: {}, table: f.fn }];
    return fused.removed.has(i) ? [] : [n];
  });
}
