// SPDX-License-Identifier: MIT
/**
 * One ONNX node → graph IR nodes. ONNX maps are NCHW; the IR's are [H, W, C], so conv weights
 * are transposed OIHW → [KH, KW, Cin, Cout] and flattening a map is marked channel-major ('chw').
 * 1-D ops on [N, C, L] work on an image of height 1. Element-wise and layout ops live beside.
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { Pads } from '../ir/graph.js';
import { dilated } from '../ir/ops.js';
import { ACTIVATION_OPS } from './onnx-ops-activations.js';
import { REDUCE_OPS } from './onnx-ops-reduce.js';
import { RESIZE_OPS } from './onnx-ops-resize.js';
import { ELEMENTWISE_OPS } from './onnx-ops-elementwise.js';
import { LAYOUT_OPS } from './onnx-ops-layout.js';
import { NORM_OPS } from './onnx-ops-norm.js';
import { RECURRENT_OPS } from './onnx-ops-recurrent.js';
import { Op, readsOneExactView, type Built, type OnnxContext, type OnnxNode } from './onnx-op.js';
import { EXPANDED_QUANT_OPS, QUANT_OPS } from './onnx-quant.js';

export type { OnnxContext, OnnxNode } from './onnx-op.js';
export { readsSteps, transposedToSteps } from './onnx-ops-recurrent.js';

function gemm(o: Op): Built[] {
  const [x, b, c] = [o.activation(0), o.input(1), o.optional(2)];
  const a = o.n.attrs;
  const transA = a.int('transA', 0) !== 0;
  const v = o.ctx.view(x);
  if (v.rank !== 2) throw o.fail(`input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; Gemm needs a matrix`);
  if (transA !== (v.transposed ?? false)) throw o.fail(`transA ${Number(transA)} with A of shape ${shownValue(o.ctx.onnxShape(x))}: nnchip needs one sample, A as [1, K] (transA 0) or [K, 1] (transA 1)`);
  const [alpha, beta, transB] = [a.float('alpha', 1), a.float('beta', 1), a.int('transB', 0)];
  const kernel = o.ctx.weight(b, `gemm:${transB}:${alpha}`, o.site, (dims, data) => {
    if (dims.length !== 2) throw o.fail(`B has shape ${shownValue(dims)}; expected a matrix`);
    const [k, n] = transB ? [dims[1]!, dims[0]!] : [dims[0]!, dims[1]!];
    const out = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[i * n + j] = alpha * data[transB ? j * k + i : i * n + j]!;
    return { shape: [k, n], data: out };
  });
  const units = kernel.shape[1]!;
  const bias = c === undefined || beta === 0 ? null : o.ctx.weight(c, `bias:${units}:${beta}`, o.site, () => ({ shape: [units], data: o.perChannel(c, units, 'C', { scale: beta, rank: 2 }) }));
  return [{ ...o.base([x]), op: 'dense', kernel, bias, activation: 'linear', view: { rank: 2, last: false } }];
}

/** [1, K] × W → dense; [1, T, F] × W (channels last) → the same dense on each of the T rows (a 1×1 conv). */
function matmul(o: Op): Built[] {
  const [x, b] = [o.activation(0), o.input(1)];
  const v = o.ctx.view(x);
  const kernel = o.ctx.weight(b, 'matmul', o.site, (dims, data) => {
    if (dims.length !== 2) throw o.fail(`B has shape ${shownValue(dims)}; expected a constant matrix`);
    return { shape: dims, data };
  });
  if (v.rank === 2 && !v.transposed) return [{ ...o.base([x]), op: 'dense', kernel, bias: null, activation: 'linear' }];
  // a global pool's channels moved last ([N, 1, C]): still one vector
  if (v.rank >= 3 && v.last && !o.ctx.isMap(x)) return [{ ...o.base([x]), op: 'dense', kernel, bias: null, activation: 'linear' }];
  if (v.rank >= 3 && v.last) {
    const conv = { shape: [1, 1, ...kernel.shape], data: kernel.data };
    return [{ ...o.base([x]), op: 'conv2d', kernel: conv, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' }];
  }
  throw o.fail(`input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; supported: [N, K] or channels-last [N, T, F] / [N, H, W, C] × a constant matrix`);
}

function conv(o: Op): Built[] {
  const x = o.map(0);
  const w = o.input(1);
  const channels = o.ctx.onnxShape(x)[1]!;
  const group = o.n.attrs.int('group', 1);
  const depthwise = group !== 1;
  const oneD = o.dims(x) === 1;
  const kernel = o.ctx.weight(w, `conv:${group}`, o.site, (dims0, data) => {
    if (dims0.length !== (oneD ? 3 : 4)) throw o.fail(`W has shape ${shownValue(dims0)}; expected ${oneD ? '[O, I, K] for a 1-D' : '[O, I, KH, KW] for a 2-D'} convolution`);
    const dims = oneD ? [dims0[0]!, dims0[1]!, 1, dims0[2]!] : dims0;
    const [co, ci, kh, kw] = dims as [number, number, number, number];
    if (!(group >= 1) || channels % group !== 0 || co % group !== 0 || ci * group !== channels) throw o.fail(`group ${group} with W ${shownValue(dims0)} does not fit ${channels} input channels`);
    const dw = depthwise && co === channels && ci === 1;
    // OIHW → [KH, KW, Cin, Cout]; depthwise [C, 1, KH, KW] → [KH, KW, C, 1]; other groups → a full
    // kernel that is zero outside each group's block (exact; the array computes the zeros too)
    const cin = dw ? ci : channels;
    const out = new Float32Array(kh * kw * cin * co);
    for (let a = 0; a < co; a++) for (let b = 0; b < ci; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const src = ((a * ci + b) * kh + i) * kw + j;
      const inC = Math.floor(a / (co / group)) * ci + b;
      out[dw ? (i * kw + j) * co + a : ((i * kw + j) * cin + inC) * co + a] = data[src]!;
    }
    return { shape: dw ? [kh, kw, co, 1] : [kh, kw, cin, co], data: out };
  });
  const [kh, kw, , co] = kernel.shape as [number, number, number, number];
  const isDepthwise = depthwise && co === 1;
  const declared = o.n.attrs.ints('kernel_shape');
  if (declared !== undefined && JSON.stringify(declared) !== JSON.stringify(oneD ? [kw] : [kh, kw])) throw new NnchipError('NN201', `kernel_shape ${shownValue(declared)} disagrees with W`, { layer: o.n.name });
  const strides = o.spatial(x, 'strides', 1);
  const dilations = o.spatial(x, 'dilations', 1);
  const outC = isDepthwise ? channels : co;
  const b = o.optional(2);
  const bias = b === undefined ? null : o.ctx.weight(b, `bias:${outC}:1`, o.site, () => ({ shape: [outC], data: o.perChannel(b, outC, 'B', { exact: true }) }));
  const dil = dilations[0] === 1 && dilations[1] === 1 ? {} : { dilations };
  return [{ ...o.base([x]), op: 'conv2d', kernel, bias, strides, pads: o.pads(x, [kh, kw], strides, dilations), depthwise: isDepthwise, activation: 'linear', ...dil }];
}

/**
 * ConvTranspose, 2-D and 1-D: W [Cin, Cout/group, KH, KW] → the IR kernel [KH, KW, Cin, Cout] (other
 * groups: zero outside each group's block, as Conv); pads crop the full output, output_padding
 * extends its end; output_shape, or auto_pad SAME_UPPER/SAME_LOWER (input × stride), sets both.
 */
function convTranspose(o: Op): Built[] {
  const x = o.map(0);
  const channels = o.ctx.onnxShape(x)[1]!;
  const group = o.n.attrs.int('group', 1);
  const oneD = o.dims(x) === 1;
  const a = o.n.attrs;
  const dilations = o.spatial(x, 'dilations', 1);
  if (dilations.some((d) => d !== 1)) throw o.fail(`dilations ${shownValue(a.ints('dilations'))} are not supported (only 1)`);
  const kernel = o.ctx.weight(o.input(1), `convT:${group}`, o.site, (dims0, data) => {
    if (dims0.length !== (oneD ? 3 : 4)) throw o.fail(`W has shape ${shownValue(dims0)}; expected ${oneD ? '[C, M, K] for a 1-D' : '[C, M, KH, KW] for a 2-D'} transposed convolution`);
    const [ci, cg, kh, kw] = (oneD ? [dims0[0]!, dims0[1]!, 1, dims0[2]!] : dims0) as [number, number, number, number];
    if (!(group >= 1) || ci !== channels || channels % group !== 0) throw o.fail(`group ${group} with W ${shownValue(dims0)} does not fit ${channels} input channels`);
    const co = cg * group;
    const out = new Float32Array(kh * kw * ci * co);
    for (let c = 0; c < ci; c++) for (let m = 0; m < cg; m++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const to = Math.floor(c / (ci / group)) * cg + m;
      out[((i * kw + j) * ci + c) * co + to] = data[((c * cg + m) * kh + i) * kw + j]!;
    }
    return { shape: [kh, kw, ci, co], data: out };
  });
  const [kh, kw, , co] = kernel.shape as [number, number, number, number];
  const declared = a.ints('kernel_shape');
  if (declared !== undefined && JSON.stringify(declared) !== JSON.stringify(oneD ? [kw] : [kh, kw])) throw new NnchipError('NN201', `kernel_shape ${shownValue(declared)} disagrees with W`, { layer: o.n.name });
  const strides = o.spatial(x, 'strides', 1);
  const outputPadding = o.spatial(x, 'output_padding', 0);
  const auto = a.string('auto_pad', 'NOTSET');
  const s = o.ctx.onnxShape(x);
  const hw = oneD ? [1, s[2]!] : [s[2]!, s[3]!];
  // output_shape, or input × stride for SAME: the padding that gives it (as ONNX Runtime: an odd one
  // more at the start, at the end for SAME_UPPER); an output past the full one: output padding
  const target = a.has('output_shape') ? o.spatial(x, 'output_shape', 1) : auto === 'SAME_UPPER' || auto === 'SAME_LOWER' ? [0, 1].map((i) => hw[i]! * strides[i]!) : undefined;
  let pads: Pads = o.pads(x, [kh, kw], strides);
  if (target !== undefined) {
    const total = [0, 1].map((i) => strides[i]! * (hw[i]! - 1) + outputPadding[i]! + [kh, kw][i]! - target[i]!);
    const head = total.map((t) => (t <= 0 ? 0 : auto === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
    pads = [head[0]!, head[1]!, Math.max(0, total[0]!) - head[0]!, Math.max(0, total[1]!) - head[1]!];
    total.forEach((t, i) => (outputPadding[i] = outputPadding[i]! + Math.max(0, -t)));
  }
  const b = o.optional(2);
  const bias = b === undefined ? null : o.ctx.weight(b, `bias:${co}:1`, o.site, () => ({ shape: [co], data: o.perChannel(b, co, 'B', { exact: true }) }));
  return [{ ...o.base([x]), op: 'convTranspose', kernel, bias, strides, pads, outputPadding, activation: 'linear' }];
}

/** Extra end padding so that ceil_mode's last window fits (it must start inside the map or its begin padding). */
function ceilPads(o: Op, x: string, size: readonly number[], strides: readonly number[], dil: readonly number[], pads: Pads): Pads {
  const s = o.ctx.onnxShape(x);
  const hw = s.length === 3 ? [1, s[2]!] : [s[2]!, s[3]!];
  const extra = [0, 1].map((a) => {
    const [n, k, st, p0, p1] = [hw[a]!, dilated(size[a]!, dil[a]), strides[a]!, pads[a]!, pads[a + 2]!];
    let out = Math.ceil((n + p0 + p1 - k) / st) + 1;
    if ((out - 1) * st >= n + p0) out--;
    return Math.max(0, (out - 1) * st + k - (n + p0 + p1));
  });
  return [pads[0], pads[1], pads[2] + extra[0]!, pads[3] + extra[1]!];
}

function pool(o: Op, kind: 'max' | 'avg'): Built[] {
  const x = o.map(0);
  o.onlyFirstOutput();
  const a = o.n.attrs;
  if (a.int('storage_order', 0) !== 0) throw o.fail('storage_order 1 is not supported');
  const size = o.spatial(x, 'kernel_shape', 0, 1);
  const strides = o.spatial(x, 'strides', 1);
  const dilations = o.spatial(x, 'dilations', 1);
  if (kind === 'avg' && dilations.some((d) => d !== 1)) throw o.fail(`dilations ${shownValue(a.ints('dilations'))} are not supported for average pooling`);
  const declared = o.pads(x, size, strides, dilations);
  const pads = a.int('ceil_mode', 0) !== 0 ? ceilPads(o, x, size, strides, dilations, declared) : declared;
  const counted = kind === 'avg' && a.int('count_include_pad', 0) !== 0 && declared.some((p) => p > 0) ? { countPads: declared } : {};
  const dil = dilations[0] === 1 && dilations[1] === 1 ? {} : { dilations };
  return [{ ...o.base([x]), op: 'pool2d', kind, size, strides, pads, ...dil, ...counted }];
}

/** GlobalMaxPool: one max-pooling window over the whole map (a [N, C, 1, 1] map, as ONNX keeps it). */
function globalMaxPool(o: Op): Built[] {
  const x = o.map(0);
  const s = o.ctx.onnxShape(o.input(0));
  const size: [number, number] = s.length === 3 ? [1, s[2]!] : [s[2]!, s[3]!];
  return [{ ...o.base([x]), op: 'pool2d', kind: 'max', size, strides: [1, 1], pads: [0, 0, 0, 0], view: { rank: s.length, last: false } }];
}

const CORE_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  Gemm: gemm,
  MatMul: matmul,
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: (o) => pool(o, 'max'),
  AveragePool: (o) => pool(o, 'avg'),
  GlobalAveragePool: (o) => [{ ...o.base([o.map(0)]), op: 'globalAvgPool', view: { rank: o.ctx.view(o.input(0)).rank, last: false } }],
  GlobalMaxPool: globalMaxPool,
};

const CONVERTERS: Readonly<Record<string, (o: Op) => Built[]>> = { ...CORE_OPS, ...ELEMENTWISE_OPS, ...REDUCE_OPS, ...ACTIVATION_OPS, ...LAYOUT_OPS, ...RESIZE_OPS, ...NORM_OPS, ...RECURRENT_OPS, ...QUANT_OPS };

export const SUPPORTED_ONNX_OPS: readonly string[] = [...Object.keys(CONVERTERS), 'Constant', ...EXPANDED_QUANT_OPS].sort();

export function isSupportedOnnxOp(opType: string): boolean {
  return Object.hasOwn(CONVERTERS, opType) || opType === 'Constant' || EXPANDED_QUANT_OPS.includes(opType);
}

/** IR nodes for one ONNX node (Constant is handled by the walker). */
export function onnxNodeToNodes(n: OnnxNode, ctx: OnnxContext): Built[] {
  const convert = CONVERTERS[n.opType];
  if (convert === undefined) throw new NnchipError('NN110', `op ${n.opType} is not supported (supported: ${SUPPORTED_ONNX_OPS.join(', ')})`, { layer: n.name });
  if (!readsOneExactView(n, ctx)) return convert(new Op(n, ctx));
  // on the plain tensors, then the result in the operands' exact view
  const exact = n.inputs.find((u) => u !== '' && !ctx.isConst(u))!;
  const out = n.outputs[0] ?? '';
  const inner = convert(new Op({ ...n, inputs: n.inputs.map((u) => (u === '' || ctx.isConst(u) ? u : ctx.plainView(u))), outputs: [`${out}/plain`] }, ctx));
  return [...inner, { name: `${n.name}/view`, op: 'identity', inputs: [`${out}/plain`], output: out, view: ctx.view(exact) }];
}
