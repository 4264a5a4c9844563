// SPDX-License-Identifier: MIT
/**
 * Every graph op → GemmOps: "out[p, n] = threshold(bias[n] + Σ_terms Σ_k src[tap(p), k]·W[k, n])",
 * the only shape of computation the array has. Weights are quantized per output channel (weight-codes.ts).
 *   dense on a [H,W,C] map  → one term per pixel (the flatten is folded into the weight rows)
 *   conv KH×KW              → one term per tap, reading the input window by address generation
 *   depthwise, avg pool, global avg pool, add, concat, relu → terms with diagonal weights
 *   avg pool with padding   → one GemmOp per border region, each with its own divisor (exact)
 *   padding                 → zeros: a copy reading the input's border (its zero code); reflect/edge: pixel copies (pad-mirror.ts)
 *   nearest upsampling      → one copy per phase, its stores striding over the other phases' pixels
 *   linear upsampling       → per phase, integer-weighted sums of the 2×2 nearest pixels (upsample-linear.ts)
 *   transposed conv         → one stride-1 conv per output phase (the taps that reach it), stores striding as above
 *   max pool                → max(a, b) = a + relu(b − a), two exact GemmOps per extra tap
 *   crop                    → an identity copy reading a shifted window
 *   map × computed gate     → the gate spread, then a diagonal matmul by it (channel-mul.ts)
 *   map × computed map      → never here: quarter squares of the ops above before quantization (ir/product.ts)
 */
import { internal, NnchipError } from '../diagnostics/error.js';
import { activationName, isTable, usesOf, type Activation, type Graph, type Node, type NodeOf } from '../ir/graph.js';
import { poolDivisors } from '../ir/evaluate.js';
import { checkGraph } from '../ir/verify.js';
import { INT8_MAX, INT8_MIN } from '../isa/numerics.js';
import type { QuantParams } from './quantize.js';
import { fusedMaxPool, soleWriter, type FuseCtx } from './fuse-ops.js';
import type { GemmOp, GemmProgram, PhysicalTensor, Term } from './gemm-types.js';
import { channelProduct } from './channel-mul.js';
import { kernelCodes, type KernelCodes } from './weight-codes.js';
import { columnSums, denseMatrix, uniformDiagonal, type WeightMatrix } from './weight-matrix.js';
import { biasFloor, clampRange, columnBias, foldedAdd, needBorder, rescale, weightedOp, withTable, type WeightedCtx } from './weighted-op.js';
import { linearDenominator, linearRuns, type LinearMode } from './upsample-linear.js';
import { lineCopies, lineResize, lineToLine, type LineOps } from './resize-lines.js';
import { reshapeCopies } from './reshape-copies.js';
import { padCopies } from './pad-mirror.js';

type Shape = readonly number[];
const asMap = (s: Shape): [number, number, number] => (s.length === 3 ? [s[0]!, s[1]!, s[2]!] : [1, 1, s.reduce((a, b) => a * b, 1)]);

/** c × c with w on the diagonal, stored as its diagonal (weight-matrix.ts). */
const diag = (c: number, w: number): WeightMatrix => uniformDiagonal(c, w);


/**
 * Which max pools fold into their producer: all the threshold can state, none, or 'disjoint' —
 * only windows that neither overlap nor pad, the ones a batch's stacked samples keep apart
 * (passes/batch.ts gives each sample a whole number of windows; an overlapping or padded window
 * at a sample's edge would read the next sample's lines).
 */
export type PoolFusion = boolean | 'disjoint';

interface Ctx extends FuseCtx, WeightedCtx {
  readonly shapes: ReadonlyMap<string, Shape>;
  readonly params: ReadonlyMap<string, QuantParams>;
  readonly tensors: Map<string, PhysicalTensor>;
  readonly views: Map<string, { src: string; order: 'hwc' | 'chw' }>;
  /** fold max pools into their producer's threshold (off: the lowering for buffers too small for a window's lines) */
  readonly fusePools: PoolFusion;
  /** fold residual adds into the convolution before them where the scales allow (foldableAdd) */
  readonly foldAdds: boolean;
  /** add nodes by output tensor (an activation after one may fold into it), with the op the add folded into, if any (foldableAdd) */
  readonly adds: Map<string, { readonly node: NodeOf<'add'>; readonly folded?: (out: PhysicalTensor, act: Activation) => GemmOp }>;
}

function physical(ctx: Ctx, name: string): PhysicalTensor {
  const v = ctx.views.get(name);
  const t = ctx.tensors.get(v?.src ?? name);
  if (t === undefined) throw new NnchipError('NN305', `tensor "${name}" has no stored producer`);
  return t;
}

function define(ctx: Ctx, name: string, shape: Shape, params = ctx.params.get(name)!): PhysicalTensor {
  const [h, w, c] = asMap(shape);
  const t: PhysicalTensor = { name, h, w, c, params, pads: [0, 0, 0, 0], fill: null };
  ctx.tensors.set(name, t);
  return t;
}

/**
 * A transposed convolution, with no zero inserted: output pixel (sy·oy + ry, sx·ox + rx) of phase
 * (ry, rx) sums the taps ky ≡ ry + top (mod sy), kx likewise, each reading input pixel
 * (oy + (ry + top − ky)/sy, ox + …): a stride-1 conv of the phase's taps over a zero-bordered input,
 * its stores striding over the other phases' pixels (as upsampling's). A phase no tap reaches
 * (a kernel smaller than the stride, the output padding) stores its bias. Quantized as one kernel.
 */
function transposedConv(ctx: Ctx, node: NodeOf<'convTranspose'>, x: PhysicalTensor, out: PhysicalTensor): GemmOp[] {
  const [kh, kw, cin, n] = node.kernel.shape as [number, number, number, number];
  const [sy, sx] = node.strides;
  const [top, left] = node.pads;
  const taps = Array.from({ length: kh * kw }, (_, t) => ({ weights: node.kernel.data.subarray(t * cin * n, (t + 1) * cin * n) }));
  const { scales, matrices } = kernelCodes(ctx.codes, node, taps, cin, n, `transposed:${taps.length}x${cin}x${n}`, biasFloor(node.bias, n, x.params.scale));
  const accScale = Float64Array.from(scales, (v) => v * x.params.scale);
  const { mult, shift } = rescale(node.name, accScale, out.params, node.activation);
  const reach = (r: number, pad: number, s: number, k: number): { k: number; d: number }[] => Array.from({ length: k }, (_, i) => ({ k: i, d: (r + pad - i) / s })).filter((t) => Number.isInteger(t.d));
  const border = [0, 0, 0, 0];
  const ops: GemmOp[] = [];
  for (let ry = 0; ry < Math.min(sy, out.h); ry++)
    for (let rx = 0; rx < Math.min(sx, out.w); rx++) {
      const [oh, ow] = [Math.ceil((out.h - ry) / sy), Math.ceil((out.w - rx) / sx)];
      const [ys, xs] = [reach(ry, top, sy, kh), reach(rx, left, sx, kw)];
      const terms: Term[] = ys.flatMap((ty) => xs.map((tx) => ({ src: x.name, dy: ty.d, dx: tx.d, sy: 1, sx: 1, matrix: matrices[ty.k * kw + tx.k]! })));
      if (terms.length === 0) terms.push({ src: x.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: denseMatrix(new Int8Array(cin * n), n) });
      for (const t of terms) {
        border[0] = Math.max(border[0]!, -t.dy);
        border[1] = Math.max(border[1]!, -t.dx);
        border[2] = Math.max(border[2]!, oh - 1 + t.dy - (x.h - 1));
        border[3] = Math.max(border[3]!, ow - 1 + t.dx - (x.w - 1));
      }
      const bias = columnBias(node, n, accScale, x.params.zp, columnSums(terms.map((t) => t.matrix), n));
      const phase = sy * sx === 1 ? {} : { at: [ry, rx] as const, step: [sy, sx] as const };
      const real = ys.length * xs.length;
      ops.push(withTable(node.activation, accScale, out.params, { layer: node.name, label: `convT${kh}x${kw}+${activationName(node.activation)}`, out: out.name, oh, ow, n, channelOffset: 0, terms, bias, mult, shift, zp: out.params.zp, ...clampRange(node.activation, out.params), ...phase, macs: oh * ow * n * real * cin, weights: ops.length === 0 ? node.kernel.data.length : 0 }));
    }
  needBorder(x, border, x.params.zp, node.name);
  return ops;
}

/** Bilinear upsampling: per phase and run of clamped taps, a diagonal sum with integer weights (upsample-linear.ts). */
function linearUpsample(node: NodeOf<'upsample'>, mode: LinearMode, x: PhysicalTensor, out: PhysicalTensor): GemmOp[] {
  const [fy, fx] = node.factors;
  const den = linearDenominator(fy) * linearDenominator(fx);
  const ops: GemmOp[] = [];
  for (let ry = 0; ry < fy; ry++)
    for (let rx = 0; rx < fx; rx++)
      for (const ys of linearRuns(fy, ry, x.h, mode))
        for (const xs of linearRuns(fx, rx, x.w, mode)) {
          const terms = ys.taps.flatMap((ty) => xs.taps.map((tx) => ({ src: x.name, dy: ys.from + ty.d, dx: xs.from + tx.d, sy: 1, sx: 1, matrix: diag(x.c, ty.w * tx.w) })));
          const op = diagonalOp(node.name, `upsample-linear${fy}x${fx}`, { ...out, h: ys.count, w: xs.count }, terms, x.params.scale / den, -x.params.zp * den);
          ops.push({ ...op, at: [ry + fy * ys.from, rx + fx * xs.from] as const, step: [fy, fx] as const });
        }
  return ops;
}

/** An op whose terms all have diagonal integer weights (sums of channels). */
function diagonalOp(layer: string, label: string, out: PhysicalTensor, terms: Term[], accScale: number, biasPerChannel: number, act: Activation = 'linear', opts: { n?: number; channelOffset?: number; zp?: number } = {}): GemmOp {
  const n = opts.n ?? out.c;
  const { mult, shift } = rescale(layer, new Float64Array(n).fill(accScale), out.params, act);
  const zp = opts.zp ?? out.params.zp;
  const op: GemmOp = { layer, label, out: out.name, oh: out.h, ow: out.w, n, channelOffset: opts.channelOffset ?? 0, terms, bias: new Int32Array(n).fill(biasPerChannel), mult, shift, zp, ...clampRange(act, { scale: out.params.scale, zp }), macs: out.h * out.w * n * terms.length, weights: 0 };
  return withTable(act, new Float64Array(n).fill(accScale), { scale: out.params.scale, zp }, op);
}

/** The exact copies resize-lines.ts builds its ops from. */
const lineOps: LineOps = { diagonalOp, diag };

/** max over the window, one tap at a time: d = relu(tap − m) with zp −128 (exact up to 255), m' = m + d. */
function maxPool(ctx: Ctx, node: NodeOf<'pool2d'>, x: PhysicalTensor, out: PhysicalTensor): GemmOp[] {
  needBorder(x, node.pads, INT8_MIN, node.name);
  const [kh, kw] = node.size;
  const [sy, sx] = node.strides;
  const [dh, dw] = node.dilations ?? [1, 1];
  const tap = (t: number): Omit<Term, 'matrix'> => ({ src: x.name, dy: Math.floor(t / kw) * dh - node.pads[0], dx: (t % kw) * dw - node.pads[1], sy, sx });
  const unit: QuantParams = { scale: 1, zp: 0 };
  const ops: GemmOp[] = [];
  let m: Omit<Term, 'matrix'> = tap(0);
  for (let t = 1; t < kh * kw; t++) {
    const last = t === kh * kw - 1;
    const d = define(ctx, `${node.name}/d${t}`, [out.h, out.w, x.c], { scale: x.params.scale, zp: INT8_MIN });
    const mNext = last ? out : define(ctx, `${node.name}/m${t}`, [out.h, out.w, x.c], x.params);
    ops.push(diagonalOp(node.name, 'maxpool', { ...d, params: unit }, [{ ...tap(t), matrix: diag(x.c, 1) }, { ...m, matrix: diag(x.c, -1) }], 1, 0, 'linear', { zp: INT8_MIN }));
    ops.push(diagonalOp(node.name, 'maxpool', { ...mNext, params: unit }, [{ ...m, matrix: diag(x.c, 1) }, { src: d.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(x.c, 1) }], 1, -INT8_MIN, 'linear', { zp: 0 }));
    m = { src: mNext.name, dy: 0, dx: 0, sy: 1, sx: 1 };
  }
  if (kh * kw === 1) ops.push(diagonalOp(node.name, 'max-pool', { ...out, params: unit }, [{ ...m, matrix: diag(x.c, 1) }], 1, 0, 'linear', { zp: 0 }));
  return ops;
}

/**
 * A vector [K] read as a map [H, W, C] (Keras Dense → Reshape, a generator's first layer): the vector's
 * elements in the map's order (pixel-major), so pixel (y, x) is channels (y·W + x)·C … + C − 1 of the
 * vector. One copy per pixel, each selecting its C channels (a K × C matrix with one 1 per column).
 */
function unflatten(layer: string, x: PhysicalTensor, out: PhysicalTensor): GemmOp[] {
  const ops: GemmOp[] = [];
  for (let p = 0; p < out.h * out.w; p++) {
    // row p·C + j to column j: a diagonal C rows down
    const matrix = uniformDiagonal(x.c, 1, out.c, -p * out.c);
    const op = diagonalOp(layer, 'unflatten-copy', { ...out, h: 1, w: 1 }, [{ src: x.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix }], x.params.scale, -x.params.zp);
    ops.push({ ...op, at: [Math.floor(p / out.w), p % out.w] as const });
  }
  return ops;
}

/** A crop: an exact copy (output keeps the input's parameters) reading a shifted window. */
function crop(node: NodeOf<'crop'>, x: PhysicalTensor, out: PhysicalTensor): GemmOp[] {
  return [diagonalOp(node.name, 'crop-copy', out, [{ src: x.name, dy: node.crop[0], dx: node.crop[1], sy: 1, sx: 1, matrix: diag(x.c, 1) }], x.params.scale, -x.params.zp)];
}

/** Lengths and values of the runs of equal neighbours: [2, 3, 3, 2] → [[0, 1, 2], [1, 2, 3], [3, 1, 2]]. */
function runs(v: readonly number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  v.forEach((d, i) => (i > 0 && v[i - 1] === d ? out[out.length - 1]![1]++ : out.push([i, 1, d])));
  return out;
}

/**
 * Average pooling, exact at the border: the input's padding holds its zero code (padded taps add 0)
 * and the divisor — constant along each run of output rows and of columns with the same count of
 * counted taps — goes into the requantization of one GemmOp per (row run × column run) region.
 */
function avgPool(node: NodeOf<'pool2d'>, x: PhysicalTensor, out: PhysicalTensor, inShape: Shape): GemmOp[] {
  needBorder(x, node.pads, x.params.zp, node.name);
  const [kh, kw] = node.size;
  const [sy, sx] = node.strides;
  const [dh, dw] = node.dilations ?? [1, 1];
  const [rows, cols] = poolDivisors(node, inShape, [out.h, out.w]);
  return runs(rows).flatMap(([y0, h, rc]) =>
    runs(cols).map(([x0, w, cc]) => {
      const terms = Array.from({ length: kh * kw }, (_, t) => ({ src: x.name, dy: Math.floor(t / kw) * dh - node.pads[0] + y0 * sy, dx: (t % kw) * dw - node.pads[1] + x0 * sx, sy, sx, matrix: diag(x.c, 1) }));
      const op = diagonalOp(node.name, `avgpool${kh}x${kw}`, { ...out, h, w }, terms, x.params.scale / (rc * cc), -x.params.zp * kh * kw);
      return y0 === 0 && x0 === 0 ? op : { ...op, at: [y0, x0] as const };
    }),
  );
}

/** a + b on a common scale: integer weights wa, wb (≤ 127) on the two codes, then `act`'s clamp. */
function addOp(ctx: Ctx, node: NodeOf<'add'>, out: PhysicalTensor, act: Activation): GemmOp {
  const [a, b] = node.inputs.map((t) => physical(ctx, t)) as [PhysicalTensor, PhysicalTensor];
  const smax = Math.max(a.params.scale, b.params.scale);
  const [wa, wb] = [a, b].map((t) => Math.round((INT8_MAX * t.params.scale) / smax)) as [number, number];
  const terms = [a, b].map((t, i) => ({ src: t.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(t.c, i === 0 ? wa : wb) }));
  return { ...diagonalOp(node.name, 'add', out, terms, smax / INT8_MAX, -(wa * a.params.zp + wb * b.params.zp), act), layer: node.name };
}

/**
 * A residual add that folds into the convolution (or dense layer) writing one of its inputs
 * (foldedAdd): that op's output is read by the add alone and has the add's shape, and the other
 * input is written before it, so the folded op, where the convolution was, finds it stored. Of two
 * such inputs, the one written later.
 */
function foldableAdd(ctx: Ctx, node: NodeOf<'add'>, out: PhysicalTensor): { into: number; build: (out: PhysicalTensor, act: Activation) => GemmOp } | null {
  if (!ctx.foldAdds) return null;
  const inputs = [0, 1].map((into) => ({ into, c: physical(ctx, node.inputs[into]!), b: physical(ctx, node.inputs[1 - into]!) }));
  for (const { into, c, b, i } of inputs.map((k) => ({ ...k, i: soleWriter(ctx, k.c.name) })).sort((p, q) => q.i - p.i)) {
    const conv = ctx.weighted.get(c.name);
    if (conv === undefined || i < 0 || b === c || [c, b].some((t) => t.h !== out.h || t.w !== out.w || t.c !== out.c)) continue;
    const op = ctx.ops[i]!;
    if (op.pool !== undefined || op.at !== undefined || op.step !== undefined || op.channelOffset !== 0 || op.n !== c.c || op.table !== undefined) continue;
    if (ctx.ops.some((o, j) => j >= i && o.out === b.name)) continue;
    const build = foldedAdd(ctx, node.name, conv, b, out);
    if (build !== null) return { into, build };
  }
  return null;
}

/** The op that wrote `x` (its one reader is being fused into it) becomes `fused`; x is no longer stored. */
function replaceWriter(ctx: Ctx, x: PhysicalTensor, fused: GemmOp): GemmOp[] {
  ctx.ops[soleWriter(ctx, x.name)] = fused;
  ctx.tensors.delete(x.name);
  return [];
}

/** Shapes whose elements lie in the same order (pixel-major): equal but for leading 1s ([C] and [1, 1, C]). */
function sameLayout(a: readonly number[], b: readonly number[]): boolean {
  const strip = (s: readonly number[]): string => JSON.stringify(s.slice(s.findIndex((d) => d !== 1) < 0 ? s.length : s.findIndex((d) => d !== 1)));
  return strip(a) === strip(b);
}

function lowerNode(ctx: Ctx, node: Node, shape: Shape): GemmOp[] {
  const x = node.inputs.length > 0 && node.op !== 'concat' && node.op !== 'add' ? physical(ctx, node.inputs[0]!) : undefined;
  const view = (order: 'hwc' | 'chw' = 'hwc'): GemmOp[] => {
    const src = ctx.views.get(node.inputs[0]!)?.src ?? node.inputs[0]!;
    ctx.views.set(node.output, { src, order: node.op === 'flatten' && x!.h * x!.w > 1 ? order : (ctx.views.get(node.inputs[0]!)?.order ?? 'hwc') });
    return [];
  };
  switch (node.op) {
    case 'flatten':
      return view(node.order ?? 'hwc');
    case 'reshape':
    case 'identity':
      if (node.op === 'reshape' && shape.length !== 1 && !sameLayout(shape, ctx.shapes.get(node.inputs[0]!)!)) {
        if (ctx.shapes.get(node.inputs[0]!)!.length === 1 && x!.h * x!.w === 1 && shape.length === 3) return unflatten(node.name, x!, define(ctx, node.output, shape));
        if (shape.length === 3 && lineToLine(ctx.shapes.get(node.inputs[0]!)!, shape)) return lineCopies(node.name, x!, define(ctx, node.output, shape), lineOps);
        // a map to other lines or channels per pixel (a detection head's anchors, [16, 16, 2] → [1, 512, 1]): copies
        if (shape.length === 3) return reshapeCopies(node.name, x!, define(ctx, node.output, shape), lineOps);
        throw new NnchipError('NN305', `reshape to ${JSON.stringify(shape)} is supported only to a vector or a map`, { layer: node.name });
      }
      return view();
    case 'dense':
    case 'conv2d':
      return [weightedOp(ctx, node, x!, define(ctx, node.output, shape))];
    case 'convTranspose':
      return transposedConv(ctx, node, x!, define(ctx, node.output, shape));
    case 'pool2d': {
      const out = define(ctx, node.output, shape);
      const fused = node.kind === 'max' && ctx.fusePools !== false && node.inputs[0] === x!.name ? fusedMaxPool(ctx, node, x!, out, ctx.fusePools === 'disjoint') : null;
      if (fused !== null) return replaceWriter(ctx, x!, fused);
      if (node.kind === 'max') return maxPool(ctx, node, x!, out);
      return avgPool(node, x!, out, ctx.shapes.get(node.inputs[0]!)!);
    }
    case 'globalAvgPool': {
      const out = define(ctx, node.output, shape);
      const terms = Array.from({ length: x!.h * x!.w }, (_, p) => ({ src: x!.name, dy: Math.floor(p / x!.w), dx: p % x!.w, sy: 1, sx: 1, matrix: diag(x!.c, 1) }));
      const op = diagonalOp(node.name, node.sum ? 'global-sumpool' : 'global-avgpool', out, terms, x!.params.scale / (node.sum ? 1 : x!.h * x!.w), -x!.params.zp * x!.h * x!.w, node.activation);
      // over a map, the pixels may stream as weight tiles (one matmul per R pixels, not one per pixel):
      // the lowering picks that form where it is cheaper (lower-emit.ts); not with a table (its threshold only requantizes)
      return [x!.h * x!.w > 1 && node.activation === undefined ? { ...op, channelSum: true } : op];
    }
    case 'batchNorm': {
      const c = node.scale.length;
      const kernel = { shape: [1, 1, c, 1], data: Float32Array.from(node.scale) };
      const conv: NodeOf<'conv2d'> = { ...node, op: 'conv2d', kernel, bias: { shape: [c], data: node.offset }, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: true, activation: 'linear' };
      return [weightedOp(ctx, conv, x!, define(ctx, node.output, shape))];
    }
    case 'activation': {
      if (node.fn === 'linear') return view();
      // the graph passes drop a final softmax and expand every other (passes/simplify.ts dropFinalSoftmax)
      if (node.fn === 'softmax' || node.fn === 'logsoftmax') throw internal(`${node.fn} "${node.name}" left for the GemmOps: the graph passes drop or expand every one`);
      const out = define(ctx, node.output, shape);
      // ReLU family after a residual add: the add's own threshold clamps (one pass instead of two)
      const add = ctx.adds.get(x!.name);
      if (add !== undefined && node.inputs[0] === x!.name && !isTable(node.fn) && soleWriter(ctx, x!.name) >= 0) return replaceWriter(ctx, x!, add.folded?.(out, node.fn) ?? { ...addOp(ctx, add.node, out, node.fn), label: `add+${activationName(node.fn)}` });
      return [diagonalOp(node.name, activationName(node.fn), out, [{ src: x!.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(x!.c, 1) }], x!.params.scale, -x!.params.zp, node.fn)];
    }
    case 'mul':
      // quarter squares before quantization (passes/pipeline.ts, ir/product.ts)
      throw internal(`the product ${node.name} reached the lowering unexpanded`);
    case 'channelMul':
      return channelProduct(node.name, x!, physical(ctx, node.inputs[1]!), define(ctx, node.output, shape), ctx.tensors, diagonalOp, diag);
    case 'add': {
      const out = define(ctx, node.output, shape);
      const folded = foldableAdd(ctx, node, out);
      ctx.adds.set(node.output, { node, ...(folded === null ? {} : { folded: folded.build }) });
      if (folded === null) return [addOp(ctx, node, out, 'linear')];
      return replaceWriter(ctx, physical(ctx, node.inputs[folded.into]!), folded.build(out, 'linear'));
    }
    case 'concat': {
      const out = define(ctx, node.output, shape);
      let offset = 0;
      // along H or W: each map requantized into its own block of the output (`at`), one copy per input
      if (node.axis !== undefined) {
        return node.inputs.map((name) => {
          const t = physical(ctx, name);
          const at = node.axis === 'h' ? ([offset, 0] as const) : ([0, offset] as const);
          offset += node.axis === 'h' ? t.h : t.w;
          const op = diagonalOp(node.name, 'concat-copy', { ...out, h: t.h, w: t.w }, [{ src: t.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(t.c, 1) }], t.params.scale, -t.params.zp);
          return at[0] === 0 && at[1] === 0 ? op : { ...op, at };
        });
      }
      return node.inputs.map((name) => {
        const t = physical(ctx, name);
        const op = diagonalOp(node.name, 'concat-copy', out, [{ src: t.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(t.c, 1) }], t.params.scale, -t.params.zp, 'linear', { n: t.c, channelOffset: offset });
        offset += t.c;
        return op;
      });
    }
    case 'crop':
      return crop(node, x!, define(ctx, node.output, shape));
    case 'upsample': {
      // one copy per phase (a, b): output pixels (fy·i + a, fx·j + b) are input pixel (i, j); stores stride over the others
      const out = define(ctx, node.output, shape);
      const [fy, fx] = node.factors;
      if (node.linear === 'align_corners' || node.size !== undefined) return lineResize(node, x!, out, { ...lineOps, define: (name, shape, params) => define(ctx, name, shape, params) });
      if (node.linear !== undefined) return linearUpsample(node, node.linear, x!, out);
      const phases = Array.from({ length: fy * fx }, (_, p) => [Math.floor(p / fx), p % fx] as const);
      return phases.map(([a, b]) => {
        const op = diagonalOp(node.name, `upsample${fy}x${fx}`, { ...out, h: x!.h, w: x!.w }, [{ src: x!.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(x!.c, 1) }], x!.params.scale, -x!.params.zp);
        return { ...op, at: [a, b] as const, step: [fy, fx] as const };
      });
    }
    case 'pad': {
      const out = define(ctx, node.output, shape);
      const copy = (o: PhysicalTensor, [dy, dx]: readonly number[]): GemmOp => diagonalOp(node.name, node.mode === undefined ? 'pad-copy' : `pad-${node.mode}`, o, [{ src: x!.name, dy: dy!, dx: dx!, sy: 1, sx: 1, matrix: diag(x!.c, 1) }], x!.params.scale, -x!.params.zp);
      if (node.mode === undefined) return needBorder(x!, node.pads, x!.params.zp, node.name), [copy(out, [-node.pads[0], -node.pads[1]])];
      return padCopies(node.pads, x!.h, x!.w, node.mode).map((c) => ({ ...copy({ ...out, h: c.size[0], w: c.size[1] }, c.from), at: c.at }));
    }
  }
}

export function toGemmOps(g: Graph, params: ReadonlyMap<string, QuantParams>, fusePools: PoolFusion = true, codes: KernelCodes = new WeakMap(), foldAdds = true): GemmProgram {
  const shapes = checkGraph(g);
  const uses = new Map([...usesOf(g)].map(([t, users]) => [t, users.length]));
  const ctx: Ctx = { codes, shapes, params, tensors: new Map(), views: new Map(), ops: [], uses, outputs: new Set(g.outputs), adds: new Map(), weighted: new Map(), fusePools, foldAdds };
  const input = define(ctx, g.inputs[0]!.name, g.inputs[0]!.shape);
  // one by one: a layer of over ~100,000 ops (an upsampling by 250,000: one copy per phase) overflowed the call stack as push(...ops)
  for (const n of g.nodes) for (const op of lowerNode(ctx, n, shapes.get(n.output)!)) ctx.ops.push(op);
  const ops = ctx.ops;
  if (ops.length === 0) throw nothingComputed(g);
  const outputs = g.outputs.map((o) => physical(ctx, o));
  if (outputs.includes(input)) throw new NnchipError('NN305', `the model output${outputs.length > 1 ? ` "${g.outputs[outputs.indexOf(input)]}"` : ''} is its input`);
  // two outputs of one tensor (a view of another output): one region, read twice
  return { input, outputs, tensors: ctx.tensors, ops };
}

/** NN305 for a model left without a computing layer: which layers it had (views, a final softmax dropped), and what to do. */
function nothingComputed(g: Graph): NnchipError {
  const views = g.nodes.map((n) => `"${n.name}" (${n.op})`);
  const dropped = g.notes.filter((n) => n.startsWith('final '));
  const what = views.length === 0 ? '' : `: ${views.slice(0, 3).join(', ')}${views.length > 3 ? ', …' : ''} only view or copy its input`;
  const detail = `the model has no layer that computes anything${what}${dropped.length === 0 ? '' : ` (${dropped.join('; ')})`}`;
  const hint = dropped.length > 0 ? 'a lone softmax needs no accelerator: compute it on the host, or compile the layers before it' : views.length > 0 ? 'a model of views alone needs no accelerator: reshape the input on the host' : undefined;
  return new NnchipError('NN305', detail, hint === undefined ? {} : { hint });
}
