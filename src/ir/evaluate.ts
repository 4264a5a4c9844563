// SPDX-License-Identifier: MIT
/**
 * Float evaluation of a Graph ([H, W, C] row-major feature maps, values held as float64;
 * convolutions sum in float32 as the float runtimes do, conv.ts): used for calibration
 * (activation ranges) and for the float side of `nnchip eval`. Accuracy tests compare against
 * TF.js / ONNX Runtime, never against this alone.
 */
import { internal } from '../diagnostics/error.js';
import { applyTableOver } from './activations.js';
import { isTable, maxOf, product, type Activation, type Graph, type Node, type NodeOf } from './graph.js';
import { convTerms } from './conv.js';
import { addInto, clampInto, mulInto } from './elementwise.js';
import { transposedConv } from './conv-transposed.js';
import { forgetKernels } from './conv-wasm.js';
import { checkGraph } from './verify.js';

export type Values = Map<string, Float64Array>;
type Shape = readonly number[];

function activate(fn: Activation | 'softmax' | 'logsoftmax', x: Float64Array): Float64Array {
  if (isTable(fn)) return applyTableOver(fn, x);
  if (typeof fn !== 'string') return clampInto(new Float64Array(x.length), x, fn.clip[0], fn.clip[1]);
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return clampInto(new Float64Array(x.length), x, 0, Infinity);
    case 'relu6':
      return clampInto(new Float64Array(x.length), x, 0, 6);
    case 'softmax': {
      const max = maxOf(x);
      const e = x.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    }
    case 'logsoftmax': {
      const max = maxOf(x);
      const logSum = Math.log(x.reduce((a, v) => a + Math.exp(v - max), 0));
      return x.map((v) => v - max - logSum);
    }
  }
}

/** A softmax or log-softmax of each run of c channels. */
function perPixel(fn: 'softmax' | 'logsoftmax', x: Float64Array, c: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let p = 0; p < x.length; p += c) y.set(activate(fn, x.subarray(p, p + c)), p);
  return y;
}

/** v · scale[c] (+ offset[c]) of each value on channel c (channels innermost: element i is on channel i mod C). */
function perChannel(x: Float64Array, scale: ArrayLike<number>, offset: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(x.length);
  const c = scale.length;
  for (let p = 0; p < x.length; p += c) {
    if (offset === null) for (let k = 0; k < c && p + k < x.length; k++) y[p + k] = x[p + k]! * scale[k]!;
    else for (let k = 0; k < c && p + k < x.length; k++) y[p + k] = x[p + k]! * scale[k]! + offset[k]!;
  }
  return y;
}

function dense(n: NodeOf<'dense'>, x: Float64Array): Float64Array {
  const [k, units] = n.kernel.shape as [number, number];
  const y = new Float64Array(units);
  for (let j = 0; j < units; j++) y[j] = n.bias?.data[j] ?? 0;
  const w = n.kernel.data;
  for (let i = 0; i < k; i++) {
    const xi = x[i]!;
    if (xi !== 0) for (let j = 0, at = i * units; j < units; j++) y[j]! += xi * w[at + j]!;
  }
  return activate(n.activation, y);
}

/**
 * Max or sum over each window, taps in (ky, kx) order per output (the order an average's sum keeps;
 * a max is the same in any order), one channel run per in-bounds tap: no call per element.
 */
function pool(n: NodeOf<'pool2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [h, w, c] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number];
  const [kh, kw] = n.size;
  const [sy, sx] = n.strides;
  const [dy, dx] = n.dilations ?? [1, 1];
  const max = n.kind === 'max';
  const y = new Float64Array(oh * ow * c).fill(max ? -Infinity : 0);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const a = (oy * ow + ox) * c;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sy + ky * dy - n.pads[0];
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sx + kx * dx - n.pads[1];
          if (ix < 0 || ix >= w) continue;
          const b = (iy * w + ix) * c;
          if (max) for (let ch = 0; ch < c; ch++) y[a + ch] = Math.max(y[a + ch]!, x[b + ch]!);
          else for (let ch = 0; ch < c; ch++) y[a + ch]! += x[b + ch]!;
        }
      }
    }
  if (n.kind === 'avg') {
    const [rows, cols] = poolDivisors(n, inShape, outShape);
    for (let o = 0; o < oh * ow; o++) for (let ch = 0; ch < c; ch++) y[o * c + ch]! /= rows[Math.floor(o / ow)]! * cols[o % ow]!;
  }
  return y;
}

/**
 * The divisor of an average pool per output row and per output column (it is their product): the
 * taps inside the map plus those in the counted padding (count_include_pad), never the ceil_mode overhang.
 */
export function poolDivisors(n: NodeOf<'pool2d'>, inShape: Shape, outShape: Shape): [number[], number[]] {
  const counted = n.countPads ?? [0, 0, 0, 0];
  const axis = (a: 0 | 1): number[] =>
    Array.from({ length: outShape[a]! }, (_, o) => {
      let count = 0;
      for (let k = 0; k < n.size[a]; k++) {
        const at = o * n.strides[a] + k * (n.dilations?.[a] ?? 1) - n.pads[a];
        if (at >= -counted[a]! && at < inShape[a]! + counted[a + 2]!) count++;
      }
      return count;
    });
  return [axis(0), axis(1)];
}

/** Maps [H, W, C] one under the other ('h': each a block of whole rows) or side by side ('w': each row a run of each map's row). */
function concatSpatial(axis: 'h' | 'w', xs: readonly Float64Array[], inShapes: readonly Shape[], outShape: Shape): Float64Array {
  const y = new Float64Array(product(outShape));
  if (axis === 'h') {
    let at = 0;
    for (const t of xs) y.set(t, (at += t.length) - t.length);
    return y;
  }
  const [h, ow, c] = outShape as [number, number, number];
  let x0 = 0;
  xs.forEach((t, k) => {
    const row = inShapes[k]![1]! * c;
    for (let r = 0; r < h; r++) y.set(t.subarray(r * row, (r + 1) * row), (r * ow + x0) * c);
    x0 += inShapes[k]![1]!;
  });
  return y;
}

function padMap(n: NodeOf<'pad'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [h, w, c] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number];
  const y = new Float64Array(oh * ow * c);
  // reflect: −1 → 1, h → h − 2; edge: clamped; zeros: outside stays 0
  const from = (p: number, len: number): number => (n.mode === 'edge' ? Math.min(len - 1, Math.max(0, p)) : n.mode === 'reflect' ? (p < 0 ? -p : p >= len ? 2 * len - 2 - p : p) : p);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const [iy, ix] = [from(oy - n.pads[0], h), from(ox - n.pads[1], w)];
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) y.set(x.subarray((iy * w + ix) * c, (iy * w + ix + 1) * c), (oy * ow + ox) * c);
    }
  return y;
}

/** Upsampling (output pixel (y, x) reads (⌊y·H/OH⌋, ⌊x·W/OW⌋): (⌊y/fy⌋, ⌊x/fx⌋) by whole factors) and cropping (it reads (y + top, x + left)). */
function copyWindow(n: NodeOf<'upsample'> | NodeOf<'crop'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [h, w, c] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number];
  const y = new Float64Array(oh * ow * c);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const [iy, ix] = n.op === 'upsample' ? [Math.floor((oy * h) / oh), Math.floor((ox * w) / ow)] : [oy + n.crop[0], ox + n.crop[1]];
      y.set(x.subarray((iy * w + ix) * c, (iy * w + ix + 1) * c), (oy * ow + ox) * c);
    }
  return y;
}

/** Bilinear upsampling as ONNX Resize defines it: the source coordinate clamped to the map, then the two nearest pixels per axis. */
function linearResize(n: NodeOf<'upsample'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [h, w, c] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number];
  const at = (o: number, f: number, size: number, to: number): [number, number, number] => {
    // align_corners: the corners' pixel centres coincide, source o·(n − 1)/(m − 1)
    const src = Math.min(size - 1, Math.max(0, n.linear === 'half_pixel' ? (o + 0.5) / f - 0.5 : n.linear === 'align_corners' ? (to > 1 ? (o * (size - 1)) / (to - 1) : 0) : o / f));
    const i0 = Math.floor(src);
    return [i0, Math.min(i0 + 1, size - 1), src - i0];
  };
  const y = new Float64Array(oh * ow * c);
  for (let oy = 0; oy < oh; oy++) {
    const [y0, y1, ty] = at(oy, n.factors[0], h, oh);
    for (let ox = 0; ox < ow; ox++) {
      const [x0, x1, tx] = at(ox, n.factors[1], w, ow);
      for (let ch = 0; ch < c; ch++) {
        const v = (p: number, q: number): number => x[(p * w + q) * c + ch]!;
        y[(oy * ow + ox) * c + ch] = (1 - ty) * ((1 - tx) * v(y0, x0) + tx * v(y0, x1)) + ty * ((1 - tx) * v(y1, x0) + tx * v(y1, x1));
      }
    }
  }
  return y;
}

/** Channel-major flattening of an [H, W, C] map, as an NCHW framework flattens. */
function flattenChw(x: Float64Array, shape: Shape): Float64Array {
  if (shape.length !== 3) return x;
  const [h, w, c] = shape as [number, number, number];
  const y = new Float64Array(x.length);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) y[ch * h * w + p] = x[p * c + ch]!;
  return y;
}

function evalNode(n: Node, xs: Float64Array[], inShapes: Shape[], outShape: Shape): Float64Array {
  const x = xs[0]!;
  switch (n.op) {
    case 'dense':
      return dense(n, x);
    case 'conv2d': {
      // the sums are this call's own array: ReLU in place, no second feature map
      const y = convTerms(n, x, inShapes[0]!, outShape);
      return n.activation === 'relu' ? clampInto(y, y, 0, Infinity) : activate(n.activation, y);
    }
    case 'convTranspose':
      return activate(n.activation, transposedConv(n, x, inShapes[0]!, outShape));
    case 'pool2d':
      return pool(n, x, inShapes[0]!, outShape);
    case 'globalAvgPool': {
      const c = outShape[0]!;
      const y = new Float64Array(c);
      const pixels = x.length / c;
      for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) y[ch]! += x[p * c + ch]! / (n.sum ? 1 : pixels);
      return n.activation === undefined ? y : activate(n.activation, y);
    }
    case 'batchNorm':
      return perChannel(x, n.scale, n.offset);
    case 'add':
      return addInto(new Float64Array(x.length), x, xs[1]!);
    case 'mul':
      return mulInto(new Float64Array(x.length), x, xs[1]!);
    case 'channelMul':
      return perChannel(x, xs[1]!, null);
    case 'concat': {
      if (n.axis !== undefined) return concatSpatial(n.axis, xs, inShapes, outShape);
      const pixels = x.length / inShapes[0]![inShapes[0]!.length - 1]!;
      const oc = outShape[outShape.length - 1]!;
      const y = new Float64Array(pixels * oc);
      let at = 0;
      xs.forEach((t, k) => {
        const c = inShapes[k]![inShapes[k]!.length - 1]!;
        for (let p = 0; p < pixels; p++) y.set(t.subarray(p * c, (p + 1) * c), p * oc + at);
        at += c;
      });
      return y;
    }
    case 'pad':
      return padMap(n, x, inShapes[0]!, outShape);
    case 'activation':
      // softmax of a map normalizes each pixel's channels (Keras' last axis, ONNX's channel axis)
      return (n.fn === 'softmax' || n.fn === 'logsoftmax') && inShapes[0]!.length === 3 ? perPixel(n.fn, x, inShapes[0]!.at(-1)!) : activate(n.fn, x);
    case 'flatten':
      return n.order === 'chw' ? flattenChw(x, inShapes[0]!) : x;
    case 'reshape':
    case 'identity':
      return x;
    case 'upsample':
      return n.linear === undefined ? copyWindow(n, x, inShapes[0]!, outShape) : linearResize(n, x, inShapes[0]!, outShape);
    case 'crop':
      return copyWindow(n, x, inShapes[0]!, outShape);
  }
}

/** Reorder a channel-major sample of an [H, W, C] input into nnchip's [H, W, C] order. */
export function chwToHwc(sample: ArrayLike<number>, shape: Shape): Float64Array {
  const [h, w, c] = shape as [number, number, number];
  const y = new Float64Array(h * w * c);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) y[p * c + ch] = Number(sample[ch * h * w + p]);
  return y;
}

/**
 * Evaluate the graph for one sample (flattened in the model's own input layout), handing every
 * tensor to `visit` as it is computed: the input first, then each node's output in order. With
 * `keepAll` false a tensor is dropped after its last reader, so only live tensors are held
 * (calibration visits every tensor of every sample; holding them all was most of its garbage).
 */
function runGraph(g: Graph, sample: ArrayLike<number>, keepAll: boolean, visit: (name: string, value: Float64Array) => void): Values {
  const shapes = checkGraph(g);
  const values: Values = new Map();
  const input = g.inputs[0];
  if (input === undefined) throw internal('graph without input');
  const lastReader = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => lastReader.set(t, i)));
  const outputs = new Set(g.outputs);
  const first = input.layout === 'chw' ? chwToHwc(sample, input.shape) : Float64Array.from(sample as ArrayLike<number>);
  values.set(input.name, first);
  visit(input.name, first);
  g.nodes.forEach((n, i) => {
    const xs = n.inputs.map((t) => values.get(t));
    if (xs.some((x) => x === undefined)) throw internal(`node ${n.name} evaluated before its input`);
    const y = evalNode(n, xs as Float64Array[], n.inputs.map((t) => shapes.get(t)!), shapes.get(n.output)!);
    values.set(n.output, y);
    visit(n.output, y);
    if (!keepAll) for (const t of n.inputs) if (lastReader.get(t) === i && !outputs.has(t)) values.delete(t);
  });
  return values;
}

/** Evaluate every tensor of the graph for one sample (flattened in the model's own input layout). */
export function evaluateGraph(g: Graph, sample: ArrayLike<number>): Values {
  try {
    return runGraph(g, sample, true, () => {});
  } finally {
    forgetKernels();
  }
}

/**
 * Every tensor of the graph for each sample in turn, each handed to `visit` once and not held after
 * its last reader; the convolutions' packed kernels are kept across the samples of this call only.
 */
export function visitSamples(g: Graph, samples: Iterable<ArrayLike<number>>, visit: (name: string, value: Float64Array) => void): void {
  try {
    for (const s of samples) runGraph(g, s, false, visit);
  } finally {
    forgetKernels();
  }
}

/** The graph's output for one sample; of a graph of several outputs, theirs one after the other (as a program's output codes are). */
export function evaluateOutput(g: Graph, sample: ArrayLike<number>): Float64Array {
  let outs: (Float64Array | undefined)[];
  try {
    const values = runGraph(g, sample, false, () => {});
    outs = g.outputs.map((o) => values.get(o));
  } finally {
    forgetKernels();
  }
  if (outs.length === 0 || outs.some((o) => o === undefined)) throw internal('graph output not computed');
  if (outs.length === 1) return outs[0]!;
  const all = new Float64Array(outs.reduce((n, o) => n + o!.length, 0));
  let at = 0;
  for (const o of outs) all.set(o!, (at += o!.length) - o!.length);
  return all;
}
