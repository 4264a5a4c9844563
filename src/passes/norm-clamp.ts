// SPDX-License-Identifier: MIT
/**
 * Layer normalization per pixel (ir/normalize.ts pixelNormNodes) multiplies the centred map d by r = rsqrt(v + ε),
 * one value per pixel. Where a pixel's channels are all equal (σ = 0: a zero region of the input, a ReLU that
 * kills every channel) r is 1/√ε (316 at ε = 1e-5) and multiplies d = 0; counted in r's range it set r's int8
 * scale and every range after it (the product's sums and squares), leaving the other pixels' r a few codes: 39%
 * of the output's spread off on a 5×5×6 block with a third of its pixels zero (the same for torch's decomposition
 * below opset 17, where r is √(v + ε) and its reciprocal in one expr table). As instance norm's gate
 * (quantize.ts gateRange), r's range counts only the pixels where d reaches half a step of its scale: r's table
 * becomes min(rsqrt(v + ε), r_max) with r_max that maximum, which changes no code where d is not 0 (the int8
 * table saturated at r_max's code anyway) and keeps the product's ranges those of the pixels that matter.
 */
import { visitSamples } from '../ir/evaluate.js';
import type { ExprStep } from '../ir/expression.js';
import type { TableActivation } from '../ir/activations.js';
import { appendTo, type Graph, type Node, type NodeOf } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';
import { calibrationSamples, paramsForRange, type Calibration } from './quantize.js';

/** A pixel norm's gate: the node computing r ([H, W, 1]: a conv with the rsqrt table, or torch's √(v + ε) then 1/· as one expr table) and the centred map d it multiplies. */
interface PixelGate {
  readonly r: Node;
  readonly d: string;
}

/** The table of r's node: rsqrt, or an expr (torch's decomposition, importers/onnx-ops-elementwise.ts quotient). */
function tableOf(n: Node | undefined): TableActivation | undefined {
  const act = n?.op === 'conv2d' ? n.activation : n?.op === 'activation' ? n.fn : undefined;
  return typeof act === 'object' && 'fn' in act && (act.fn === 'rsqrt' || act.fn === 'expr') ? act : undefined;
}

/** min(f(v), top) as an expr: rsqrt is 1 / √(relu(v) + ε) (ir/activations.ts). */
function capped(f: TableActivation, top: number): TableActivation {
  const steps: ExprStep[] = f.fn === 'expr' ? [...f.expr!] : [{ op: 'x' }, { op: 'relu', args: [0] }, { op: 'const', value: f.alpha ?? 1e-5 }, { op: 'add', args: [1, 2] }, { op: 'sqrt', args: [3] }, { op: 'reciprocal', args: [4] }];
  return { fn: 'expr', expr: [...steps, { op: 'const', value: top }, { op: 'min', args: [steps.length - 1, steps.length] }] };
}
const isSpread = (n: Node | undefined): n is NodeOf<'conv2d'> => n?.op === 'conv2d' && n.kernel.shape[0] === 1 && n.kernel.shape[1] === 1 && n.kernel.shape[2] === 1 && n.kernel.data.every((v) => v === 1) && n.bias === null;

function pixelGates(g: Graph): PixelGate[] {
  const producer = new Map(g.nodes.map((n) => [n.output, n]));
  return g.nodes.flatMap((n) => {
    if (n.op !== 'mul') return [];
    const [d, s] = n.inputs as [string, string];
    const spread = producer.get(s);
    const r = isSpread(spread) ? producer.get(spread.inputs[0]!) : undefined;
    return r !== undefined && tableOf(r) !== undefined ? [{ r, d }] : [];
  });
}

/** The graph with each pixel norm's r clamped at its largest value over the pixels where d is not 0 in int8. */
export function clampPixelGates(g: Graph, cal: Calibration): Graph {
  const gates = pixelGates(g);
  if (gates.length === 0) return g;
  // per sample: each pixel's max |d| over its channels, and r; d's whole range
  const dMax = new Map<string, Float64Array[]>();
  const rs = new Map<string, Float64Array[]>();
  const dRange = new Map<string, [number, number]>();
  const ds = new Map(gates.map((x) => [x.d, x]));
  const shapes = checkGraph(g);
  const channels = new Map(gates.map((x) => [x.d, shapes.get(x.d)!.at(-1)!]));
  const rNames = new Set(gates.map((x) => x.r.output));
  visitSamples(g, calibrationSamples(g, cal), (name, v) => {
    if (rNames.has(name)) appendTo(rs, name, v.slice());
    if (!ds.has(name)) return;
    const c = channels.get(name)!;
    const m = new Float64Array(v.length / c);
    let [lo, hi] = dRange.get(name) ?? [Infinity, -Infinity];
    for (let i = 0; i < v.length; i++) {
      m[Math.floor(i / c)] = Math.max(m[Math.floor(i / c)]!, Math.abs(v[i]!));
      [lo, hi] = [Math.min(lo, v[i]!), Math.max(hi, v[i]!)];
    }
    appendTo(dMax, name, m);
    dRange.set(name, [lo, hi]);
  });
  const clamps = new Map<Node, number>();
  for (const { r, d } of gates) {
    const half = paramsForRange(dRange.get(d) ?? [0, 0]).scale / 2;
    let [top, all] = [-Infinity, -Infinity];
    rs.get(r.output)?.forEach((v, s) => v.forEach((x, p) => {
      all = Math.max(all, x);
      if (dMax.get(d)![s]![p]! >= half) top = Math.max(top, x);
    }));
    if (Number.isFinite(top) && top < all) clamps.set(r, top);
  }
  if (clamps.size === 0) return g;
  return {
    ...g,
    nodes: g.nodes.map((n) => {
      const top = clamps.get(n);
      if (top === undefined) return n;
      const fn = capped(tableOf(n)!, top);
      return (n.op === 'conv2d' ? { ...n, activation: fn } : { ...n, fn }) as Node;
    }),
  };
}
