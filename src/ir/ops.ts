// SPDX-License-Identifier: MIT
/** The graph-op table: one shape rule per op, keyed by the closed GraphOp union. */
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import { isTable, product, type GraphOp, type Node, type NodeOf, type Pads } from './graph.js';

/** Most copies one resize lowers to (a phase or an output line each): 4,096 (×64 × ×64 nearest; 2,048-pixel lines both ways): a lowering of 30,000 one-line ops ran out of memory. */
const MAX_RESIZE_COPIES = 4096;

type Shape = readonly number[];
type ShapeRule<O extends GraphOp> = (node: NodeOf<O>, inputs: readonly Shape[]) => Shape;

function single(name: string, inputs: readonly Shape[]): Shape {
  if (inputs.length !== 1) throw new NnchipError('NN203', `expects 1 input, got ${inputs.length}`, { layer: name });
  return inputs[0]!;
}

function image(name: string, inputs: readonly Shape[]): readonly [number, number, number] {
  const x = single(name, inputs);
  if (x.length !== 3) throw new NnchipError('NN203', `input has shape ${JSON.stringify(x)}; expected a feature map [H, W, C]`, { layer: name });
  return x as [number, number, number];
}

/** Largest window, stride or padding (dilated window included) a layer may declare: far past any real map, and within every address field. */
export const MAX_WINDOW = 2 ** 24;

/** Output extent of a window of `k` with stride `s` over `n` padded by `p0 + p1`. */
function windows(name: string, n: number, k: number, s: number, p0: number, p1: number): number {
  const over = [k, s, p0, p1].find((v) => v > MAX_WINDOW);
  if (over !== undefined) throw new NnchipError('NN203', `a window of ${k} with stride ${s} and padding ${p0}+${p1}: ${over} is over ${MAX_WINDOW}, the most a window, stride or padding may be`, { layer: name });
  const out = Math.floor((n + p0 + p1 - k) / s) + 1;
  if (!(out >= 1) || !(s >= 1) || !(k >= 1)) throw new NnchipError('NN203', `a window of ${k} with stride ${s} and padding ${p0}+${p1} does not fit an extent of ${n}`, { layer: name });
  return out;
}

/** The extent a window of `k` taps `d` apart spans. */
export const dilated = (k: number, d = 1): number => d * (k - 1) + 1;

function windowed(name: string, [h, w]: readonly number[], size: readonly number[], strides: readonly number[], pads: Pads, dil: readonly number[] = [1, 1]): [number, number] {
  if (dil.some((d) => !(Number.isInteger(d) && d >= 1))) throw new NnchipError('NN203', `dilations ${JSON.stringify(dil)} must be positive integers`, { layer: name });
  return [windows(name, h!, dilated(size[0]!, dil[0]), strides[0]!, pads[0], pads[2]), windows(name, w!, dilated(size[1]!, dil[1]), strides[1]!, pads[1], pads[3])];
}

/**
 * NN203 when a pool window along `axis` holds no pixel of the map (padding as wide as the window,
 * or dilated taps on both sides of a small map): it has no maximum and an average over nothing.
 * Padding an average counts (a folded Pad's zeros: countPads) is part of the map here.
 */
function paddingOnly(n: NodeOf<'pool2d'>, axis: 0 | 1, size: number, out: number): void {
  const [c0, c1] = [n.countPads?.[axis] ?? 0, n.countPads?.[axis + 2] ?? 0];
  const [k, s, d, p, extent] = [n.size[axis], n.strides[axis], n.dilations?.[axis] ?? 1, n.pads[axis] - c0, size + c0 + c1];
  // Windows starting left of the map: the first (its taps end earliest) or one whose taps jump over
  // the map, which repeats every d / gcd(s, d) windows (the taps' offset mod d); windows starting
  // inside the map reach it; those past it are the last ones. So O(d) windows, however large the padding.
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const check = [...Array.from({ length: Math.min(out, d / gcd(s, d)) }, (_, o) => o), out - 1];
  for (const o of check) {
    const start = o * s - p;
    // the first tap at or past pixel 0
    const first = start >= 0 ? 0 : Math.ceil(-start / d);
    if (first < k && start + first * d < extent) continue;
    const where = axis === 0 ? 'rows' : 'columns';
    throw new NnchipError('NN203', `pool window ${o} of ${out} along the ${where} covers only padding (window ${k}, stride ${s}, dilation ${d}, padding ${n.pads[axis]}+${n.pads[axis + 2]} on ${size} ${where})`, { layer: n.name, hint: 'every pool window must reach the map: make the padding smaller than the window, and re-export the model' });
  }
}

export const SHAPE_RULES: { [O in GraphOp]: ShapeRule<O> } = {
  dense: (n, inputs) => {
    const x = single(n.name, inputs);
    const [k, units] = n.kernel.shape;
    if (n.kernel.shape.length !== 2 || k === undefined || units === undefined) throw new NnchipError('NN201', `kernel has shape ${JSON.stringify(n.kernel.shape)}; expected [inputs, units]`, { layer: n.name });
    if (x.length !== 1) throw new NnchipError('NN203', `input has shape ${JSON.stringify(x)}; Dense needs a flat vector (add a Flatten layer)`, { layer: n.name });
    if (x[0] !== k) throw new NnchipError('NN203', `kernel is [${k},${units}] but its input has ${x[0]} features`, { layer: n.name });
    if (n.bias !== null && (n.bias.shape.length !== 1 || n.bias.shape[0] !== units)) throw new NnchipError('NN201', `bias has shape ${JSON.stringify(n.bias.shape)}; expected [${units}]`, { layer: n.name });
    return [units];
  },
  conv2d: (n, inputs) => {
    const [, , c] = image(n.name, inputs);
    const [kh, kw, cin, cout] = n.kernel.shape;
    if (n.kernel.shape.length !== 4) throw new NnchipError('NN201', `kernel has shape ${JSON.stringify(n.kernel.shape)}; expected [KH, KW, Cin, Cout]`, { layer: n.name });
    if (cin !== c) throw new NnchipError('NN203', `kernel expects ${cin} input channels but its input has ${c}`, { layer: n.name });
    if (n.depthwise && cout !== 1) throw new NnchipError('NN110', `depthwise channel multiplier ${cout} (only 1 is supported)`, { layer: n.name });
    const outC = n.depthwise ? c : cout!;
    if (n.bias !== null && (n.bias.shape.length !== 1 || n.bias.shape[0] !== outC)) throw new NnchipError('NN201', `bias has shape ${JSON.stringify(n.bias.shape)}; expected [${outC}]`, { layer: n.name });
    return [...windowed(n.name, inputs[0]!, [kh!, kw!], n.strides, n.pads, n.dilations), outC];
  },
  convTranspose: (n, inputs) => {
    const [h, w, c] = image(n.name, inputs);
    const [kh, kw, cin, cout] = n.kernel.shape;
    if (n.kernel.shape.length !== 4) throw new NnchipError('NN201', `kernel has shape ${JSON.stringify(n.kernel.shape)}; expected [KH, KW, Cin, Cout]`, { layer: n.name });
    if (cin !== c) throw new NnchipError('NN203', `kernel expects ${cin} input channels but its input has ${c}`, { layer: n.name });
    if (n.bias !== null && (n.bias.shape.length !== 1 || n.bias.shape[0] !== cout)) throw new NnchipError('NN201', `bias has shape ${JSON.stringify(n.bias.shape)}; expected [${cout}]`, { layer: n.name });
    const extent = (axis: 0 | 1, size: number, k: number): number => {
      const [s, p0, p1, op] = [n.strides[axis], n.pads[axis], n.pads[axis + 2]!, n.outputPadding[axis]];
      const over = [k, s, p0, p1].find((v) => v > MAX_WINDOW);
      if (over !== undefined) throw new NnchipError('NN203', `a transposed window of ${k} with stride ${s} and padding ${p0}+${p1}: ${over} is over ${MAX_WINDOW}, the most a window, stride or padding may be`, { layer: n.name });
      const out = (size - 1) * s + k - p0 - p1 + op;
      const whole = [k, s, p0, p1, op].every((v) => Number.isInteger(v) && v >= 0) && k >= 1 && s >= 1;
      if (whole && op >= s) throw new NnchipError('NN203', `output padding ${op} is not less than the stride ${s}`, { layer: n.name });
      if (!whole || !(out >= 1)) throw new NnchipError('NN203', `a transposed window of ${k} with stride ${s}, padding ${p0}+${p1} and output padding ${op} does not fit an extent of ${size}`, { layer: n.name });
      return out;
    };
    return [extent(0, h, kh!), extent(1, w, kw!), cout!];
  },
  pool2d: (n, inputs) => {
    const [h, w, c] = image(n.name, inputs);
    if (n.countPads !== undefined && n.countPads.some((p, i) => p < 0 || p > n.pads[i]!)) throw new NnchipError('NN203', `counted padding ${JSON.stringify(n.countPads)} exceeds the padding ${JSON.stringify(n.pads)}`, { layer: n.name });
    const [oh, ow] = windowed(n.name, inputs[0]!, n.size, n.strides, n.pads, n.dilations);
    paddingOnly(n, 0, h, oh);
    paddingOnly(n, 1, w, ow);
    return [oh, ow, c];
  },
  globalAvgPool: (n, inputs) => [image(n.name, inputs)[2]],
  batchNorm: (n, inputs) => {
    const x = single(n.name, inputs);
    if (n.scale.length !== x[x.length - 1]) throw new NnchipError('NN201', `has ${n.scale.length} channels but its input has ${x[x.length - 1]}`, { layer: n.name });
    return x;
  },
  add: (n, inputs) => {
    if (inputs.length !== 2 || JSON.stringify(inputs[0]) !== JSON.stringify(inputs[1])) throw new NnchipError('NN203', `inputs have shapes ${inputs.map((s) => JSON.stringify(s)).join(' and ')}; Add needs two equal shapes`, { layer: n.name });
    return inputs[0]!;
  },
  mul: (n, inputs) => {
    if (inputs.length !== 2 || JSON.stringify(inputs[0]) !== JSON.stringify(inputs[1])) throw new NnchipError('NN203', `inputs have shapes ${inputs.map((s) => JSON.stringify(s)).join(' and ')}; an element-wise product needs two equal shapes`, { layer: n.name });
    return inputs[0]!;
  },
  channelMul: (n, inputs) => {
    const [x, g] = inputs;
    const c = x?.[x.length - 1];
    if (inputs.length !== 2 || x === undefined || g === undefined || (x.length !== 1 && x.length !== 3) || product(g) !== c || g.slice(0, -1).some((d) => d !== 1)) {
      throw new NnchipError('NN203', `inputs have shapes ${inputs.map((s) => JSON.stringify(s)).join(' and ')}; a per-channel product needs a map [H, W, C] or vector [C] and a vector of its C channels`, { layer: n.name });
    }
    return x;
  },
  concat: (n, inputs) => {
    if (n.axis !== undefined) {
      const a = n.axis === 'h' ? 0 : 1;
      const other = (s: Shape): string => JSON.stringify(s.filter((_, i) => i !== a));
      if (inputs.length < 2 || inputs.some((s) => s.length !== 3 || other(s) !== other(inputs[0]!))) throw new NnchipError('NN203', `inputs ${inputs.map((s) => JSON.stringify(s)).join(', ')} are not [H, W, C] maps that differ only in ${n.axis.toUpperCase()}`, { layer: n.name });
      return inputs[0]!.map((d, i) => (i === a ? inputs.reduce((t, s) => t + s[a]!, 0) : d));
    }
    const lead = inputs[0]?.slice(0, -1) ?? [];
    if (inputs.length < 2 || inputs.some((s) => JSON.stringify(s.slice(0, -1)) !== JSON.stringify(lead))) throw new NnchipError('NN203', `inputs ${inputs.map((s) => JSON.stringify(s)).join(', ')} differ outside the channel axis`, { layer: n.name });
    return [...lead, inputs.reduce((a, s) => a + s[s.length - 1]!, 0)];
  },
  pad: (n, inputs) => {
    const [h, w, c] = image(n.name, inputs);
    // a reflection reaches at most the pixel before the far border: pads below the extent
    if (n.mode === 'reflect' && (Math.max(n.pads[0], n.pads[2]) >= h || Math.max(n.pads[1], n.pads[3]) >= w)) throw new NnchipError('NN203', `reflection pads ${JSON.stringify(n.pads)} must be smaller than the map [${h}, ${w}] they reflect`, { layer: n.name });
    return [h + n.pads[0] + n.pads[2], w + n.pads[1] + n.pads[3], c];
  },
  upsample: (n, inputs) => {
    const [h, w, c] = image(n.name, inputs);
    if (n.factors.some((f) => !(Number.isInteger(f) && f >= 1))) throw new NnchipError('NN203', `upsampling factors ${JSON.stringify(n.factors)} must be positive integers`, { layer: n.name });
    // the lowering's copies: one per phase (fy·fx), or per output line (size, align_corners): bounded, as a pad or a crop is by memory
    const copies = n.size !== undefined || n.linear === 'align_corners' ? (n.size === undefined ? h * n.factors[0] + w * n.factors[1] : n.size[0] + n.size[1]) : n.factors[0] * n.factors[1];
    if (copies > MAX_RESIZE_COPIES) throw new NnchipError('NN203', `resizing [${h}, ${w}] to ${JSON.stringify(n.size ?? [h * n.factors[0], w * n.factors[1]])} takes ${fmtInt(copies)} copies (one per ${n.size !== undefined || n.linear === 'align_corners' ? 'output line' : 'phase'}), over ${fmtInt(MAX_RESIZE_COPIES)}`, { layer: n.name });
    if (n.size !== undefined) {
      if (n.size.some((d) => !(Number.isInteger(d) && d >= 1)) || n.factors.some((f) => f !== 1) || (n.linear !== undefined && n.linear !== 'align_corners')) throw new NnchipError('NN203', `resizing to ${JSON.stringify(n.size)} is supported only as nearest or align_corners linear, with factors [1, 1]`, { layer: n.name });
      return [n.size[0]!, n.size[1]!, c];
    }
    // linear: a corner's weight (2·fy)·(2·fx) is one int8 weight (passes/upsample-linear.ts)
    if (n.linear !== undefined && n.linear !== 'align_corners' && 4 * n.factors[0] * n.factors[1] > 127) throw new NnchipError('NN203', `linear upsampling by ${n.factors[0]}×${n.factors[1]} is not supported (factors whose product is at most 31)`, { layer: n.name });
    return [h * n.factors[0], w * n.factors[1], c];
  },
  reshape: (n, inputs) => {
    const x = single(n.name, inputs);
    if (product(n.shape) !== product(x)) throw new NnchipError('NN203', `cannot reshape ${JSON.stringify(x)} to ${JSON.stringify(n.shape)}`, { layer: n.name });
    return n.shape;
  },
  activation: (n, inputs) => single(n.name, inputs),
  flatten: (n, inputs) => [product(single(n.name, inputs))],
  identity: (n, inputs) => single(n.name, inputs),
  crop: (n, inputs) => {
    const [h, w, c] = image(n.name, inputs);
    const [oh, ow] = [h - n.crop[0] - n.crop[2], w - n.crop[1] - n.crop[3]];
    if (n.crop.some((p) => !Number.isInteger(p) || p < 0) || oh < 1 || ow < 1) throw new NnchipError('NN203', `cropping ${JSON.stringify(n.crop)} does not fit a ${h}×${w} map`, { layer: n.name });
    return [oh, ow, c];
  },
};

/**
 * A PReLU's slopes are one per channel (the innermost axis) or one for all: any other count was read
 * modulo its length, silently (7 slopes on 3 channels lowered with the first 3).
 */
function checkSlopes(node: Node, out: Shape): void {
  const a = node.op === 'activation' ? node.fn : 'activation' in node ? node.activation : undefined;
  if (a === undefined || !isTable(a) || a.slopes === undefined) return;
  const c = out[out.length - 1] ?? 1;
  if (a.slopes.length !== 1 && a.slopes.length !== c) throw new NnchipError('NN203', `PReLU has ${a.slopes.length} slopes but its tensor ${JSON.stringify(out)} has ${c} channels (one slope per channel, or one for all)`, { layer: node.name });
}

export function inferShape<O extends GraphOp>(node: NodeOf<O>, inputs: readonly Shape[]): Shape {
  const out = (SHAPE_RULES[node.op] as ShapeRule<O>)(node, inputs);
  checkSlopes(node as Node, out);
  return out;
}
