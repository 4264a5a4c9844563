// SPDX-License-Identifier: MIT
/**
 * Dense and conv ops (passes/gemm.ts lowers every other layer): the kernel's taps quantized per
 * output channel (weight-codes.ts), each column's bias in accumulator units, the requantization to
 * the output and the activation's clamp; and a residual add folded into the convolution before it
 * (foldedAdd: its shortcut one more term, weighted through the matmul's `shift`; docs/numerics.md).
 */
import { NnchipError } from '../diagnostics/error.js';
import { activationName, isTable, type Activation, type NodeOf } from '../ir/graph.js';
import { INT8_MAX, INT8_MIN, quantizeMultiplier } from '../isa/numerics.js';
import { MAX_MATMUL_SHIFT } from '../isa/spec.js';
import type { GemmOp, PhysicalTensor, Term } from './gemm-types.js';
import type { QuantParams } from './quantize.js';
import { opTables } from './table.js';
import { kernelCodes, quantizeRows, type KernelCodes } from './weight-codes.js';
import { columnSums, denseMatrix, diagonalMatrix, type WeightMatrix } from './weight-matrix.js';

/** What building a dense or conv op reads of the lowering's context (gemm.ts Ctx). */
export interface WeightedCtx {
  readonly codes: KernelCodes;
  /** view tensor name → [physical tensor, flatten order] */
  readonly views: ReadonlyMap<string, { src: string; order: 'hwc' | 'chw' }>;
  /** the dense and conv layers whose ops wrote each tensor (a residual add may fold into one: foldedAdd) */
  readonly weighted: Map<string, WeightedLayer>;
}

/** A dense or conv node, its input and its taps, as weightedOp built its op. */
export interface WeightedLayer {
  readonly node: NodeOf<'dense'> | NodeOf<'conv2d'>;
  readonly x: PhysicalTensor;
  readonly taps: Taps;
}

/** The codes an activation clamps to at the output's parameters (ReLU's lo = zp, ReLU6's and clip's bounds; none for linear and tables). */
export function clampRange(act: Activation, p: QuantParams): { lo: number; hi: number } {
  if (act === 'linear' || isTable(act)) return { lo: INT8_MIN, hi: INT8_MAX };
  if (typeof act !== 'string') {
    // the codes nearest the bounds, as for ReLU6's 6 (a bound outside the tensor's range clamps nothing)
    const code = (v: number): number => Math.max(INT8_MIN, Math.min(INT8_MAX, p.zp + Math.round(v / p.scale)));
    return { lo: code(act.clip[0]), hi: code(act.clip[1]) };
  }
  const lo = Math.max(INT8_MIN, p.zp);
  return { lo, hi: act === 'relu6' ? Math.min(INT8_MAX, p.zp + Math.round(6 / p.scale)) : INT8_MAX };
}

/**
 * Each column's requantization {mult, shift} from its accumulator scale to the output's (NN304 past the multiplier's
 * range). A table activation reads the accumulator through its step table instead (withTable; lower-constants.ts
 * stores no qnt entry for it): its {mult, shift} stay 0, and a scale ratio no multiplier holds is no refusal —
 * a norm's rsqrt over a large sum of squares whose output spans a few thousandths (MobileFaceNet's l2_normalize).
 */
export function rescale(layer: string, accScale: ArrayLike<number>, out: QuantParams, act: Activation): { mult: Uint16Array; shift: Uint8Array } {
  const mult = new Uint16Array(accScale.length);
  const shift = new Uint8Array(accScale.length);
  if (isTable(act)) return { mult, shift };
  for (let n = 0; n < accScale.length; n++) {
    const q = quantizeMultiplier(accScale[n]! / out.scale);
    if (q === null) throw new NnchipError('NN304', `rescale factor of channel ${n} is too large (${accScale[n]! / out.scale})`, { layer });
    mult[n] = q.mult;
    shift[n] = q.shift;
  }
  return { mult, shift };
}

/** The op with its activation's exact step tables when the activation is one (table.ts: over the accumulator values its int8 inputs can produce). */
export function withTable(act: Activation, accScale: ArrayLike<number>, out: QuantParams, op: GemmOp): GemmOp {
  return isTable(act) ? { ...op, table: opTables(op, act, accScale, out) } : op;
}

/** The tensor's border grows to `pads`, filled with `fill` (NN305 when another reader needs another fill). */
export function needBorder(t: PhysicalTensor, pads: readonly number[], fill: number, layer: string): void {
  if (pads.every((p) => p === 0)) return;
  if (t.fill !== null && t.fill !== fill) throw new NnchipError('NN305', `tensor "${t.name}" would need two different padding values (zero for a convolution, −∞ for max pooling)`, { layer });
  t.fill = fill;
  t.pads = t.pads.map((p, i) => Math.max(p, pads[i]!)) as [number, number, number, number];
}

/**
 * The least weight scale of each column that keeps its bias, in accumulator units (bias / (weight scale · input
 * scale)), within ±2³⁰: the other half of int32 is left to the zero-point correction (weights/kernelCodes).
 */
export function biasFloor(bias: { readonly data: Float32Array } | null, n: number, inputScale: number): Float64Array | undefined {
  if (bias === null) return undefined;
  return Float64Array.from({ length: n }, (_, c) => Math.abs(bias.data[c] ?? 0) / (inputScale * 2 ** 30));
}

/**
 * Pixel p's kernel rows of a dense layer that reads a channel-major flatten (ONNX's Flatten of a map):
 * channel ci's row is kernel row ci·pixels + p, one row copy each. A closure per weight took 19 s
 * for VGG-16's 25,088 × 4,096 classifier.
 */
function chwRows(data: Float32Array, n: number, channels: number, pixels: number, p: number): Float32Array {
  const rows = new Float32Array(channels * n);
  for (let ci = 0; ci < channels; ci++) rows.set(data.subarray((ci * pixels + p) * n, (ci * pixels + p + 1) * n), ci * n);
  return rows;
}

/** A dense or conv node's taps: one per kernel tap (conv) or input pixel (dense), each reading its rows of the kernel. */
interface Taps {
  readonly taps: readonly { dy: number; dx: number; sy: number; sx: number; weights: Float32Array }[];
  readonly n: number;
  readonly rowsPerTap: number;
  /** the kernel's layout key (weight-codes.ts KernelCodes) */
  readonly layout: string;
  readonly depthwise: boolean;
}

function tapsOf(ctx: WeightedCtx, node: NodeOf<'dense'> | NodeOf<'conv2d'>, x: PhysicalTensor): Taps {
  const taps: { dy: number; dx: number; sy: number; sx: number; weights: Float32Array }[] = [];
  let n: number;
  let rowsPerTap: number;
  const data = node.kernel.data;
  /** Rows [from, from + count) of the kernel matrix (n columns), as a view. */
  const rowsOf = (from: number, count: number): Float32Array => data.subarray(from * n, (from + count) * n);
  if (node.op === 'dense') {
    n = node.kernel.shape[1]!;
    rowsPerTap = x.c;
    const order = ctx.views.get(node.inputs[0]!)?.order ?? 'hwc';
    for (let y = 0; y < x.h; y++)
      for (let xx = 0; xx < x.w; xx++) {
        const p = y * x.w + xx;
        // hwc: pixel p's rows are p·c … p·c + c − 1, one run; chw: rows k·h·w + p, gathered
        const weights = order === 'hwc' ? rowsOf(p * x.c, x.c) : chwRows(data, n, x.c, x.h * x.w, p);
        taps.push({ dy: y, dx: xx, sy: 1, sx: 1, weights });
      }
  } else {
    const [kh, kw, cin, cout] = node.kernel.shape as [number, number, number, number];
    n = node.depthwise ? cin : cout;
    rowsPerTap = cin;
    needBorder(x, node.pads, x.params.zp, node.name);
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const tap = ky * kw + kx;
        // a depthwise tap: its cin diagonal weights (kernelCodes quantizes them as a diagonal matrix)
        const weights = node.depthwise ? data.subarray(tap * cin, (tap + 1) * cin) : rowsOf(tap * cin, cin);
        const [dh, dw] = node.dilations ?? [1, 1];
        taps.push({ dy: ky * dh - node.pads[0], dx: kx * dw - node.pads[1], sy: node.strides[0], sx: node.strides[1], weights });
      }
  }
  const depthwise = node.op === 'conv2d' && node.depthwise === true;
  const layout = `${depthwise ? 'depthwise' : node.op}:${x.h}x${x.w}x${x.c}:${ctx.views.get(node.inputs[0]!)?.order ?? 'hwc'}:${taps.length}x${rowsPerTap}x${n}`;
  return { taps, n, rowsPerTap, layout, depthwise };
}

/** The node's kernel at its own scales (weight-codes.ts: per column max |w| / 127, raised where a bias needs it). */
function ownCodes(ctx: WeightedCtx, node: NodeOf<'dense'> | NodeOf<'conv2d'>, x: PhysicalTensor, t: Taps): ReturnType<typeof kernelCodes> {
  return kernelCodes(ctx.codes, node, t.taps, t.rowsPerTap, t.n, t.layout, biasFloor(node.bias, t.n, x.params.scale), t.depthwise);
}

/** Each column's bias in accumulator units, less the input's zero point times the column's code sum, plus `extra` (NN304 past int32). */
export function columnBias(node: { readonly name: string; readonly bias: { readonly data: Float32Array } | null }, n: number, accScale: Float64Array, zp: number, sums: Float64Array, extra?: (col: number) => number): Int32Array {
  const bias = new Int32Array(n);
  for (let col = 0; col < n; col++) {
    const b = Math.round((node.bias?.data[col] ?? 0) / accScale[col]!) - zp * sums[col]! + (extra?.(col) ?? 0);
    if (!(b >= -(2 ** 31) && b < 2 ** 31)) throw new NnchipError('NN304', `bias of channel ${col} does not fit int32 after scaling`, { layer: node.name });
    bias[col] = b;
  }
  return bias;
}

/** The op of a dense or conv node from its quantized parts: its taps' terms (and a folded add's shortcut), requantized to `out`, `act`'s clamp. */
function weightedGemmOp(node: NodeOf<'dense'> | NodeOf<'conv2d'>, x: PhysicalTensor, out: PhysicalTensor, t: Taps, matrices: readonly WeightMatrix[], accScale: Float64Array, bias: Int32Array, act: Activation, fold?: { readonly add: string; readonly shortcut: readonly Term[] }): GemmOp {
  const realTaps = t.depthwise ? 1 : t.rowsPerTap;
  const kind = node.op === 'dense' ? 'dense' : `${t.depthwise ? 'dwconv' : 'conv'}${node.kernel.shape[0]}x${node.kernel.shape[1]}`;
  return withTable(act, accScale, out.params, {
    layer: node.name,
    label: `${kind}${fold === undefined ? '' : '+add'}+${activationName(act)}`,
    out: out.name,
    oh: out.h,
    ow: out.w,
    n: t.n,
    channelOffset: 0,
    terms: [...t.taps.map((tap, i) => ({ src: x.name, dy: tap.dy, dx: tap.dx, sy: tap.sy, sx: tap.sx, matrix: matrices[i]! })), ...(fold?.shortcut ?? [])],
    bias,
    ...rescale(node.name, accScale, out.params, act),
    zp: out.params.zp,
    ...clampRange(act, out.params),
    macs: out.h * out.w * t.n * (t.taps.length * realTaps + (fold === undefined ? 0 : 1)),
    weights: node.kernel.data.length,
    ...(fold === undefined ? {} : { foldedAdd: fold.add }),
  });
}

/** dense / conv / depthwise / folded batch norm: quantized weights, one term per tap or pixel. */
export function weightedOp(ctx: WeightedCtx, node: NodeOf<'dense'> | NodeOf<'conv2d'>, x: PhysicalTensor, out: PhysicalTensor): GemmOp {
  const t = tapsOf(ctx, node, x);
  const { scales: sw, matrices, sums } = ownCodes(ctx, node, x, t);
  const accScale = Float64Array.from(sw, (s) => s * x.params.scale);
  ctx.weighted.set(out.name, { node, x, taps: t });
  return weightedGemmOp(node, x, out, t, matrices, accScale, columnBias(node, t.n, accScale, x.params.zp, sums), node.activation);
}

/** The least weight a folded add's shortcut code takes (shortcutWeights): its column's weight scale is then raised by under 1/16. */
const MIN_SHORTCUT_WEIGHT = 16;
/** The most shifts a folded add's shortcut takes: each is one more term (a matmul of the op's pixels in the column tiles that hold its columns). */
const MAX_SHORTCUT_SHIFTS = 2;

/**
 * The shortcut's weights in a folded add: column n takes w[n]·2^shift accumulator units per code of
 * b, where its own weight scale s_w[n] gives ratio[n] = s_b / (s_x·s_w[n]). The columns go by
 * falling ratio into at most MAX_SHORTCUT_SHIFTS shifts, each the least that keeps its largest w at
 * most 127, taking the columns whose w = ⌊ratio[n] / 2^shift⌋ is at least MIN_SHORTCUT_WEIGHT; so
 * w[n]·2^shift ≤ ratio[n], and the column's scale, raised to s_b / (s_x·w[n]·2^shift) to make the
 * weight exact, grows by under 1/w[n]. One term per shift: a diagonal, zero in the other shifts'
 * columns. Null where the columns' ratios spread wider than the shifts cover, or a shift would pass
 * the field.
 */
function shortcutWeights(ratio: Float64Array): { w: Int8Array; shift: number }[] | null {
  const left = new Set(ratio.keys());
  const classes: { w: Int8Array; shift: number }[] = [];
  while (left.size > 0 && classes.length < MAX_SHORTCUT_SHIFTS) {
    const most = Math.max(...[...left].map((n) => ratio[n]!));
    if (!(most < (INT8_MAX + 1) * 2 ** MAX_MATMUL_SHIFT)) return null;
    let shift = 0;
    while (most / 2 ** shift >= INT8_MAX + 1) shift++;
    const w = new Int8Array(ratio.length);
    for (const n of left) {
      const v = Math.floor(ratio[n]! / 2 ** shift);
      if (v >= MIN_SHORTCUT_WEIGHT) (w[n] = Math.min(INT8_MAX, v)), left.delete(n);
    }
    if (w.every((v) => v === 0)) return null;
    classes.push({ w, shift });
  }
  return left.size === 0 ? classes : null;
}

/**
 * conv(x) + b as ONE op: the residual add folded into the convolution (or dense layer) whose
 * output it adds. b is one more term of the convolution's accumulator, its codes weighted
 * w[n]·2^shift (the matmuls' `shift`; shortcutWeights), the convolution's weights quantized at the
 * scales that make that exact; then the add's requantization to `out` and `act`'s clamp (an
 * activation after the add folds in as it does into the add). The add's op, its loads of the two
 * inputs, and the convolution's stores and map are gone. Null when the scales do not allow it
 * (shortcutWeights, or a bias or requantization out of range: NN304) or the convolution is not a
 * plain linear one.
 */
export function foldedAdd(ctx: WeightedCtx, add: string, { node, x, taps: t }: WeightedLayer, b: PhysicalTensor, out: PhysicalTensor): ((out: PhysicalTensor, act: Activation) => GemmOp) | null {
  if (node.activation !== 'linear' || (node.op === 'conv2d' && node.depthwise)) return null;
  const own = ownCodes(ctx, node, x, t).scales;
  const classes = shortcutWeights(Float64Array.from(own, (s) => b.params.scale / (x.params.scale * s)));
  if (classes === null) return null;
  const W = new Float64Array(t.n);
  for (const { w, shift } of classes) for (let n = 0; n < t.n; n++) W[n]! += w[n]! * 2 ** shift;
  const scales = Float64Array.from(W, (w) => b.params.scale / (x.params.scale * w));
  const matrices = t.taps.map((tap) => {
    const codes = new Int8Array(t.rowsPerTap * t.n);
    quantizeRows(tap.weights, scales, codes);
    return denseMatrix(codes, t.n);
  });
  const accScale = Float64Array.from(W, (w) => b.params.scale / w);
  const shortcut: Term[] = classes.map(({ w, shift }) => ({ src: b.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diagonalMatrix(w, t.n), ...(shift > 0 ? { shift } : {}) }));
  try {
    const bias = columnBias(node, t.n, accScale, x.params.zp, columnSums(matrices, t.n), (col) => -b.params.zp * W[col]!);
    const build = (o: PhysicalTensor, act: Activation): GemmOp => weightedGemmOp(node, x, o, t, matrices, accScale, bias, act, { add, shortcut });
    build(out, 'linear');
    return build;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN304') return null; // the plain add then
    throw e;
  }
}

