// SPDX-License-Identifier: MIT
/**
 * Int8-quantized ONNX models (ONNX Runtime's quantize_static). nnchip computes in float at import
 * and quantizes the program itself (calibration, docs/numerics.md), so a quantized model is read as
 * the float model it encodes:
 * - QDQ format. DequantizeLinear of a constant (an INT8/UINT8 weight, an INT32 bias; per tensor or
 *   per axis) folds at import into the float weight (x − zp)·scale, exactly as ONNX defines it;
 *   QuantizeLinear of a float constant folds into its integers first (round half to even, saturate).
 *   A QuantizeLinear → DequantizeLinear pair on an activation is fake quantization: nnchip calibrates
 *   and quantizes its own tensors, so the pair is read as the clamp to its range, [(qmin − zp)·s,
 *   (qmax − zp)·s], where that clamp fuses into the threshold of the conv/dense computing the tensor
 *   (quantization-aware training learns ranges that saturate), and as an identity elsewhere (a clamp
 *   of its own would cost a layer); its rounding is left to nnchip's own. Per axis: an identity.
 * - QOperator format. QLinearConv and QLinearMatMul are rewritten to their QDQ form, DequantizeLinear
 *   of each input → Conv / MatMul → QuantizeLinear (the bias: DequantizeLinear of the INT32 B at scale
 *   x_scale·w_scale), whose pairs then fold as above. Other quantized operators (MatMulInteger,
 *   ConvInteger, QLinearAdd, …) are refused by name with a hint to re-quantize in the QDQ format.
 * Malformed parameters (a scale ≤ 0 or not finite, a zero point outside its type or of another length,
 * an axis outside the tensor) are NN107.
 */
import type OnnxProto from 'onnx-proto';
import { fmtInt, NnchipError, type ErrorSite, shownValue } from '../diagnostics/error.js';
import { product } from '../ir/graph.js';
import type { FoldContext } from './onnx-fold.js';
import type { Built, Op, OnnxNode } from './onnx-op.js';
import { floatTensor, onnxSchema, QUANT_RANGES, quantizedTensor, toInt, type TensorProto, type TensorSource } from './onnx-tensors.js';

type GraphProto = NonNullable<OnnxProto.onnx.IModelProto['graph']>;
type NodeProto = NonNullable<GraphProto['node']>[number];

/** Quantized operators rewritten to Q/DQ before conversion. */
export const EXPANDED_QUANT_OPS: readonly string[] = ['QLinearConv', 'QLinearMatMul'];
/** Q/DQ of constants: folded like shape arithmetic. */
export const QUANT_FOLDED_OPS: readonly string[] = ['QuantizeLinear', 'DequantizeLinear'];
/** Quantized operators nnchip does not take: named with a hint to use the QDQ format. */
export const QOPERATOR_OPS: readonly string[] = ['MatMulInteger', 'ConvInteger', 'DynamicQuantizeLinear', 'QLinearAdd', 'QLinearMul', 'QLinearConcat', 'QLinearAveragePool', 'QLinearGlobalAveragePool', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax', 'QGemm', 'DynamicQuantizeMatMul'];
export const QDQ_HINT = "quantized operators other than QLinearConv and QLinearMatMul are not supported; quantize in the QDQ format instead (onnxruntime's quantize_static(..., quant_format=QuantFormat.QDQ)) or give nnchip the float model";

export interface QuantParams {
  /** one value (per tensor) or one per slice of the axis */
  readonly scale: Float32Array;
  readonly zp: readonly number[];
  readonly type: 'int8' | 'uint8' | 'int32';
}

/** Scale and zero point, checked: a finite positive scale of rank ≤ 1, a zero point of its length. */
export function quantParams(scale: { dims: number[]; data: Float32Array }, zp: { dims: number[]; data: number[]; type: QuantParams['type'] } | undefined, site: ErrorSite, op: string): QuantParams {
  const broken = (detail: string): NnchipError => new NnchipError('NN107', `${op}: ${detail}`, site);
  if (scale.dims.length > 1 || scale.data.length === 0) throw broken(`y_scale/x_scale has shape ${shownValue(scale.dims)}; expected a scalar or a 1-D tensor`);
  const bad = scale.data.find((s) => !(Number.isFinite(s) && s > 0));
  if (bad !== undefined) throw broken(`scale ${bad} is not a finite positive number`);
  if (zp !== undefined && (zp.data.length !== scale.data.length || zp.dims.length !== scale.dims.length)) throw broken(`the zero point has shape ${shownValue(zp.dims)} but the scale ${shownValue(scale.dims)}`);
  return { scale: scale.data, zp: zp?.data ?? Array<number>(scale.data.length).fill(0), type: zp?.type ?? 'uint8' };
}

/** The axis a per-axis scale runs along (normalized), or -1 for one scale; NN107 when it does not fit `dims`. */
export function quantAxis(p: QuantParams, axis: number, dims: readonly number[], site: ErrorSite, op: string): number {
  if (p.scale.length === 1) return -1;
  const a = axis < 0 ? axis + dims.length : axis;
  if (!(a >= 0 && a < dims.length)) throw new NnchipError('NN107', `${op}: axis ${axis} is outside a rank-${dims.length} tensor`, site);
  if (dims[a] !== p.scale.length) throw new NnchipError('NN107', `${op}: ${p.scale.length} scales along axis ${axis} of a tensor of shape ${shownValue(dims)} (${dims[a]} slices)`, site);
  return a;
}

/** Index of the scale of each element of a row-major tensor of `dims`. */
const slotOf = (dims: readonly number[], axis: number): ((i: number) => number) => {
  if (axis < 0) return () => 0;
  const inner = product(dims.slice(axis + 1));
  return (i) => Math.floor(i / inner) % dims[axis]!;
};

/** Round half to even, as ONNX's QuantizeLinear. */
const roundEven = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** What folding Q/DQ of constants needs from the walker. */
export interface QuantFoldContext extends FoldContext {
  /** an INT8/UINT8/INT32 constant, or undefined when the name is no constant */
  quantConst(name: string, site: ErrorSite): { dims: number[]; data: number[]; type: QuantParams['type'] } | undefined;
}

/** QuantizeLinear of a float constant, DequantizeLinear of an integer one → the constant; null for an activation. */
export function foldQuantized(n: OnnxNode, ctx: QuantFoldContext): TensorProto | null {
  const site = { layer: n.name };
  const [x, s, z] = [n.inputs[0] ?? '', n.inputs[1] ?? '', n.inputs[2] ?? ''];
  const dims = ctx.constShape(x);
  if (dims === undefined) return null;
  if (s === '') throw new NnchipError('NN107', `${n.opType} is missing input 1 (the scale)`, site);
  const scale = ctx.floatConst(s, site);
  if (scale === undefined) throw new NnchipError('NN110', `${n.opType}: the scale "${s}" is not a float constant`, site);
  const p = quantParams(scale, z === '' ? undefined : ctx.quantConst(z, site), site, n.opType);
  const DT = onnxSchema().TensorProto.DataType;
  const slot = slotOf(dims, quantAxis(p, n.attrs.int('axis', 1), dims, site, n.opType));
  if (n.opType === 'QuantizeLinear') {
    if (p.type === 'int32') throw new NnchipError('NN107', 'QuantizeLinear: an INT32 zero point (the output is INT8 or UINT8)', site);
    const v = ctx.floatConst(x, site);
    if (v === undefined) throw new NnchipError('NN107', `QuantizeLinear: "${x}" is not a float tensor`, site);
    const [lo, hi] = QUANT_RANGES[p.type];
    const q = Array.from(v.data, (f, i) => Math.min(hi, Math.max(lo, roundEven(f / p.scale[slot(i)]!) + p.zp[slot(i)]!)));
    return { dataType: p.type === 'int8' ? DT.INT8 : DT.UINT8, dims: [...dims], int32Data: q };
  }
  // a pair on a float constant (the pre-pass joined a QuantizeLinear of a computed constant to it): fake quantization
  const float = ctx.floatConst(x, site);
  if (float !== undefined) return { dataType: DT.FLOAT, dims: [...dims], floatData: Array.from(float.data) };
  const q = ctx.quantConst(x, site)!;
  if (z !== '' && q.type !== p.type) throw new NnchipError('NN107', `DequantizeLinear: x is ${q.type.toUpperCase()} but its zero point ${p.type.toUpperCase()}`, site);
  if (q.type === 'int32' && p.zp.some((v) => v !== 0)) throw new NnchipError('NN107', 'DequantizeLinear: an INT32 x needs a zero point of 0', site);
  const floats = q.data.map((v, i) => Math.fround((v - p.zp[slot(i)]!) * p.scale[slot(i)]!));
  if (floats.length > ctx.maxFloats) throw new NnchipError('NN109', `the model has over ${fmtInt(ctx.maxFloats)} weights (--max-params)`, site);
  return { dataType: DT.FLOAT, dims: [...dims], floatData: floats };
}

/** The constant under which the pre-pass leaves a per-tensor pair's range [lo, hi] for its DequantizeLinear (NUL: no ONNX name). */
const clampOf = (output: string): string => `${output}\u0000range`;

/**
 * Whether a clamp of x fuses into the threshold of the conv/dense computing it (through ReLU and clamps,
 * each read once): a clamp elsewhere (of the model input, after a pool, an Add, a table activation)
 * would be a layer of its own, and a pair there is an identity instead.
 */
function fusesClamp(ctx: Op['ctx'], x: string): boolean {
  for (let t = x; ; ) {
    const p = ctx.soleProducer(t);
    if (p === undefined) return false;
    if (p.op === 'dense' || p.op === 'conv2d' || p.op === 'convTranspose') return p.activation === 'linear' || p.activation === 'relu' || p.activation === 'relu6' || typeof p.activation === 'object' && 'clip' in p.activation;
    if (p.op !== 'activation' || !(p.fn === 'relu' || p.fn === 'relu6' || (typeof p.fn === 'object' && 'clip' in p.fn))) return false;
    t = p.inputs[0]!;
  }
}

/**
 * A paired DequantizeLinear of an activation (the pre-pass made it read the float tensor): per tensor, the
 * clamp to the pair's range where it fuses into the producer, else an identity; per axis an identity, its axis checked.
 */
function dequantizeActivation(o: Op): Built[] {
  const x = o.activation(0);
  if (o.ctx.isConst(clampOf(o.out))) {
    const [lo, hi] = o.ctx.floats(clampOf(o.out), o.site, 'range').data;
    if (fusesClamp(o.ctx, x)) return [{ ...o.base([x]), op: 'activation', fn: { clip: [lo!, hi!] } }];
    // said, not silent: ONNX Runtime clamps to the pair's range, nnchip only to its own calibrated one
    const [a, b] = [+lo!.toPrecision(7), +hi!.toPrecision(7)];
    const what = o.ctx.isModelInput(x) ? `inputs outside it give other results than ONNX Runtime: --input-range ${a},${b} quantizes the input to it` : 'values outside it give other results than ONNX Runtime (only a clamp fused into the conv or dense computing a tensor is applied)';
    o.ctx.notes.push(`the QuantizeLinear/DequantizeLinear pair on "${x}" (range [${a}, ${b}]) is not applied: ${what}`);
    return [{ ...o.base([x]), op: 'identity' }];
  }
  const p = quantParams(o.ctx.floats(o.input(1), o.site, 'x_scale'), undefined, o.site, 'DequantizeLinear');
  quantAxis(p, o.n.attrs.int('axis', 1), o.ctx.onnxShape(x), o.site, 'DequantizeLinear');
  return [{ ...o.base([x]), op: 'identity' }];
}

export const QUANT_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  DequantizeLinear: dequantizeActivation,
  QuantizeLinear: (o) => {
    throw o.fail('its integer output is the model output or is read by something other than a DequantizeLinear of the same scale and zero point; nnchip takes QuantizeLinear only in QuantizeLinear → DequantizeLinear pairs on float tensors (fake quantization)');
  },
};

/**
 * Before conversion: QLinearConv / QLinearMatMul → DequantizeLinear → Conv / MatMul → QuantizeLinear;
 * then every QuantizeLinear of an activation whose readers are all DequantizeLinear with the same
 * parameters is removed, its readers reading its float input (the DequantizeLinear converter: identity).
 */
export function rewriteQuantized(nodes: readonly NodeProto[], consts: Map<string, TensorProto>, outputs: readonly string[], src: TensorSource): NodeProto[] {
  const expanded = nodes.flatMap((n, k) => (!n.domain && EXPANDED_QUANT_OPS.includes(n.opType ?? '') ? expand(n, k) : [n]));
  const constant = new Map<string, TensorProto>(consts);
  for (const n of expanded) {
    const v = n.opType === 'Constant' ? (n.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    if (v) constant.set(n.output?.[0] ?? '', v);
    // torch.onnx.export stores equal initializers once (zero points above all) and copies them with an Identity
    const copied = n.opType === 'Identity' ? constant.get(n.input?.[0] ?? '') : undefined;
    if (copied !== undefined) constant.set(n.output?.[0] ?? '', copied);
  }
  const isConst = (t: string): boolean => constant.has(t) || expanded.some((n) => n.opType === 'Constant' && n.output?.[0] === t);
  const readers = new Map<string, NodeProto[]>();
  // pushed, not copied (as ir/graph's usesOf): a tensor read by many nodes made the copies quadratic
  for (const n of expanded) {
    for (const i of n.input ?? []) {
      const list = readers.get(i);
      if (list === undefined) readers.set(i, [n]);
      else list.push(n);
    }
  }
  const dropped = new Set<NodeProto>();
  const rewired = new Map<NodeProto, string>();
  for (const q of expanded) {
    if (q.opType !== 'QuantizeLinear' || q.domain) continue;
    const [x, out] = [q.input?.[0] ?? '', q.output?.[0] ?? ''];
    const dqs = readers.get(out) ?? [];
    if (isConst(x) || outputs.includes(out) || dqs.length === 0 || !dqs.every((d) => d.opType === 'DequantizeLinear' && !d.domain && d.input?.[0] === out)) continue;
    const site = { layer: q.name ?? '' };
    const params = (n: NodeProto): { key: string; p: QuantParams } | undefined => {
      const [s, z] = [n.input?.[1] ?? '', n.input?.[2] ?? ''];
      const [sp, zp] = [constant.get(s), z === '' ? undefined : constant.get(z)];
      if (sp === undefined || (z !== '' && zp === undefined)) return undefined;
      const p = quantParams(floatTensor(sp, src, site, `tensor "${s}"`), zp === undefined ? undefined : quantizedTensor(zp, src, site, `tensor "${z}"`), { layer: n.name ?? '' }, n.opType ?? '');
      const axis = (n.attribute ?? []).find((a) => a.name === 'axis');
      return { key: JSON.stringify([Array.from(p.scale), p.zp, p.type, p.scale.length === 1 ? 0 : axis === undefined ? 1 : toInt(axis.i ?? 0, site, 'axis')]), p };
    };
    const own = params(q);
    if (own === undefined || !dqs.every((d) => params(d)?.key === own.key)) continue;
    dropped.add(q);
    for (const d of dqs) rewired.set(d, x);
    if (own.p.scale.length !== 1) continue;
    // per tensor: the pair saturates at its range's ends, which quantization-aware training learns to use (read by the converter)
    const range = QUANT_RANGES[own.p.type].map((v) => Math.fround((v - own.p.zp[0]!) * own.p.scale[0]!));
    for (const d of dqs) consts.set(clampOf(d.output?.[0] ?? ''), { dataType: onnxSchema().TensorProto.DataType.FLOAT, dims: [2], floatData: range });
  }
  return expanded.filter((n) => !dropped.has(n)).map((n) => (rewired.has(n) ? { ...n, input: [rewired.get(n)!, ...(n.input ?? []).slice(1)] } : n));
}

/** One QLinearConv / QLinearMatMul in its QDQ form. */
function expand(n: NodeProto, k: number): NodeProto[] {
  const name = n.name || `${n.opType ?? ''}_${k}`;
  const i = n.input ?? [];
  const out = n.output?.[0] ?? '';
  const int = (key: string, v: number): NodeProto['attribute'] => [{ name: key, type: onnxSchema().AttributeProto.AttributeType.INT, i: v }];
  const node = (suffix: string, opType: string, input: string[], output: string, attribute: NodeProto['attribute'] = []): NodeProto => ({ name: `${name}${suffix}`, opType, domain: '', input, output: [output], attribute });
  const conv = n.opType === 'QLinearConv';
  // inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp (, B); MatMul's a and b alike
  const [x, xs, xz, w, ws, wz, ys, yz, b] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((j) => i[j] ?? '') as [string, string, string, string, string, string, string, string, string];
  const nodes = [node('/dequantize_x', 'DequantizeLinear', [x, xs, xz], `${out}/x`), node('/dequantize_w', 'DequantizeLinear', [w, ws, wz], `${out}/w`, int('axis', conv ? 0 : -1))];
  const args = [`${out}/x`, `${out}/w`];
  if (conv && b !== '') {
    nodes.push(node('/bias_scale', 'Mul', [xs, ws], `${out}/b_scale`), node('/dequantize_b', 'DequantizeLinear', [b, `${out}/b_scale`], `${out}/b`, int('axis', 0)));
    args.push(`${out}/b`);
  }
  nodes.push({ ...node('', conv ? 'Conv' : 'MatMul', args, `${out}/y`), attribute: n.attribute ?? [] }, node('/quantize', 'QuantizeLinear', [`${out}/y`, ys, yz], out));
  return nodes;
}
