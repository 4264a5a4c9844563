// SPDX-License-Identifier: MIT
/**
 * ONNX InstanceNormalization → ir/normalize.ts: over each channel of an NCHW / NCL map, or over each
 * group of a GroupNorm view (torch: Reshape [N, G, −1] → InstanceNormalization → Reshape back → Mul → Add);
 * LayerNormalization over each pixel's (token's) channels; LRN across each pixel's neighbouring channels.
 */
import { lrnNodes, normalizeNodes, pixelNormNodes } from '../ir/normalize.js';
import { Op, type Built } from './onnx-op.js';
import { shownValue } from '../diagnostics/error.js';

function instanceNormalization(o: Op): Built[] {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const eps = o.n.attrs.float('epsilon', 1e-5);
  if (!(eps > 0)) throw o.fail(`epsilon ${eps} is not positive`);
  // the map (C channels, H × W pixels) and the rows being normalized: groups of channels, or each channel
  const of = v.grouped?.of ?? o.ctx.onnxShape(x);
  const map = v.grouped !== undefined || v.flat !== undefined ? x : o.map(0);
  if (v.last || of.length < 3 || of.length > 4) throw o.fail(`input "${x}" has shape ${shownValue(o.ctx.onnxShape(x))}; expected a map [N, C, H, W] or [N, C, L], or GroupNorm's view of one`);
  const [c, h, w] = [of[1]!, of.length === 4 ? of[2]! : 1, of.at(-1)!];
  const [hw, groups] = [v.flat ?? [h, w], v.grouped?.groups ?? c];
  const [scale, offset] = [1, 2].map((i) => o.perChannel(o.input(i), groups, i === 1 ? 'scale' : 'B', { exact: true }));
  // one γ, β per group: each channel of the group takes its group's
  const size = c / groups;
  const perChannel = (t: Float32Array): Float32Array => Float32Array.from({ length: c }, (_, k) => t[Math.floor(k / size)]!);
  return normalizeNodes(o.n.name, map, o.out, [hw[0], hw[1], c], { eps, groups, scale: perChannel(scale!), offset: perChannel(offset!) });
}

/**
 * LayerNormalization (opset 17) over the last axis where that axis is the IR's channel axis: a channels-last map
 * (after a Transpose to NHWC: ConvNeXt's permute → LayerNorm → permute), the rows [N, T, F] (per token), or a
 * vector [N, K] (read as a one-pixel map): ir/normalize.ts pixelNormNodes.
 */
function layerNormalization(o: Op): Built[] {
  const x = o.activation(0);
  o.onlyFirstOutput();
  const v = o.ctx.view(x);
  const shape = o.ctx.onnxShape(x);
  const axis = o.n.attrs.int('axis', -1);
  const eps = o.n.attrs.float('epsilon', 1e-5);
  if (!(eps > 0)) throw o.fail(`epsilon ${eps} is not positive`);
  const last = axis === -1 || axis === shape.length - 1;
  const vector = shape.length === 2 && v.transposed === undefined;
  if (!last || !(vector || (v.last && v.flat === undefined && shape.length >= 3))) {
    throw o.fail(`over axis ${axis} of a ${shownValue(shape)} tensor is not supported (only over the last axis where it holds the channels: a channels-last map after a Transpose to NHWC, the rows [N, T, F], or a vector [N, K])`);
  }
  const c = shape.at(-1)!;
  const [scale, offset] = [o.perChannel(o.input(1), c, 'Scale', { exact: true }), o.optional(2) === undefined ? undefined : o.perChannel(o.input(2), c, 'B', { exact: true })];
  const opts = { eps, ...(scale === undefined ? {} : { scale }), ...(offset === undefined ? {} : { offset }) };
  if (!vector) return pixelNormNodes(o.n.name, x, o.out, c, opts);
  // a vector: normalized as a one-pixel map, then a vector again
  const map = `${o.out}/map`;
  const normed = `${o.out}/normed`;
  return [
    { name: map, op: 'reshape', inputs: [x], output: map, shape: [1, 1, c] },
    ...pixelNormNodes(`${o.n.name}/norm`, map, normed, c, opts),
    { ...o.base([normed]), op: 'reshape', shape: [c] },
  ];
}

/**
 * LRN (AlexNet, GoogLeNet, CaffeNet as converted from Caffe): y = x / (bias + alpha/size · Σ x²)^β, the sum over
 * the channels c − ⌊(size − 1)/2⌋ … c + ⌈(size − 1)/2⌉ of the same pixel (ir/normalize.ts lrnNodes).
 */
function lrn(o: Op): Built[] {
  const x = o.map(0);
  const a = o.n.attrs;
  const size = a.int('size', 0);
  const [alpha, beta, bias] = [a.float('alpha', 1e-4), a.float('beta', 0.75), a.float('bias', 1)];
  if (!a.has('size') || !(size >= 1)) throw o.fail(`size ${a.has('size') ? size : '(absent)'} is not a positive number of channels`);
  // bias ≤ 0 makes a pixel of zeros divide by 0^β; ONNX's default and every published model's is 1 or 2
  if (!(bias > 0) || !Number.isFinite(alpha) || !Number.isFinite(beta)) throw o.fail(`bias ${bias}, alpha ${alpha}, beta ${beta}: supported are a positive bias and finite alpha and beta`);
  const c = o.ctx.onnxShape(o.input(0))[1]!;
  return lrnNodes(o.n.name, x, o.out, c, { before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2), alpha: alpha / size, bias, beta });
}

export const NORM_OPS: Readonly<Record<string, (o: Op) => Built[]>> = { InstanceNormalization: instanceNormalization, LayerNormalization: layerNormalization, LRN: lrn };
