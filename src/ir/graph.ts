// SPDX-License-Identifier: MIT
/**
 * The graph IR: named nodes over named tensors, float weights, static shapes (without the batch
 * dimension). Importers build it; passes rewrite it; nothing here knows a file format.
 */

/** A float constant (weights). Row-major; for dense kernels shape is [inputs, units]. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

import { tableName, type TableActivation } from './activations.js';

/** Activation functions the threshold unit implements (softmax only as a dropped final layer): clamps by requantization, the rest as step tables. */
export type Activation = 'linear' | 'relu' | 'relu6' | ClipActivation | TableActivation;

/** Clamp to [min, max] (hardtanh, ReLU-n): the threshold unit's lo/hi at the codes of the bounds. */
export interface ClipActivation {
  readonly clip: readonly [number, number];
}

/** The activation's name in labels and messages: relu, relu6, clip(-1,1). */
export function activationName(a: Activation): string {
  return typeof a === 'string' ? a : 'clip' in a ? `clip(${a.clip[0]},${a.clip[1]})` : tableName(a);
}

/** True for the activations the threshold unit runs as a step table. */
export function isTable(a: Activation | 'softmax' | 'logsoftmax'): a is TableActivation {
  return typeof a !== 'string' && 'fn' in a;
}

interface NodeBase {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly output: string;
}

/** [top, left, bottom, right] zero padding of a feature map. */
export type Pads = readonly [number, number, number, number];

/**
 * Feature maps are [H, W, C] (NHWC without N), whatever the source format; importers of NCHW
 * formats transpose weights and mark their input and flatten layouts.
 */
export type Node =
  | (NodeBase & { readonly op: 'dense'; readonly kernel: Tensor; readonly bias: Tensor | null; readonly activation: Activation })
  /** kernel [KH, KW, Cin, Cout]; depthwise: kernel [KH, KW, C, 1], one filter per channel */
  | (NodeBase & { readonly op: 'conv2d'; readonly kernel: Tensor; readonly bias: Tensor | null; readonly strides: readonly [number, number]; readonly pads: Pads; readonly depthwise: boolean; readonly activation: Activation; readonly dilations?: readonly [number, number] })
  /**
   * transposed convolution (ONNX ConvTranspose, Keras Conv2DTranspose): input pixel (i, j) adds
   * x[i, j]·kernel[ky, kx] (kernel [KH, KW, Cin, Cout]) to output pixel (i·sy + ky − top, j·sx + kx − left);
   * output (H − 1)·sy + KH − top − bottom + outputPadding[0] lines (the padded end holds the bias alone)
   */
  | (NodeBase & { readonly op: 'convTranspose'; readonly kernel: Tensor; readonly bias: Tensor | null; readonly strides: readonly [number, number]; readonly pads: Pads; readonly outputPadding: readonly [number, number]; readonly activation: Activation })
  /**
   * pads may exceed the declared padding (ceil_mode windows running past the end); for 'avg',
   * countPads is the part of the padding counted in the divisor (ONNX count_include_pad: the
   * declared pads; absent: none, the divisor counts only taps inside the map).
   */
  | (NodeBase & { readonly op: 'pool2d'; readonly kind: 'max' | 'avg'; readonly size: readonly [number, number]; readonly strides: readonly [number, number]; readonly pads: Pads; readonly dilations?: readonly [number, number]; readonly countPads?: Pads })
  /**
   * mean over the pixels of a map → [C]; sum: the sum instead (ONNX ReduceSum); `activation`: applied
   * to the mean in the pool's own threshold (a normalization's rsqrt of its int32 variance, ir/normalize.ts)
   */
  | (NodeBase & { readonly op: 'globalAvgPool'; readonly sum?: boolean; readonly activation?: Activation })
  /** inference batch normalization, already reduced to y = x·scale + offset per channel */
  | (NodeBase & { readonly op: 'batchNorm'; readonly scale: Float32Array; readonly offset: Float32Array })
  | (NodeBase & { readonly op: 'add' })
  /**
   * y[p, c] = x[p, c] · g[c]: a map (or vector) times a per-channel vector computed in the network
   * (inputs [x, g]; g is [C] or [1, 1, C]): squeeze-excite's gate, Keras Multiply, ONNX Mul [N,C,H,W]·[N,C,1,1]
   */
  | (NodeBase & { readonly op: 'channelMul' })
  /**
   * y = a ⊙ b, the element-wise product of two computed tensors of one shape (a gated convolution, a spatial
   * gate, x · sigmoid(conv(x))). No op of the array multiplies two computed values: before quantization it
   * becomes quarter squares of ops that exist, balanced by the calibrated ranges (ir/product.ts)
   */
  | (NodeBase & { readonly op: 'mul' })
  /**
   * concatenation along the channel (last) axis; with `axis` 'h' or 'w', of [H, W, C] maps along H
   * (rows, one map under the other) or W (side by side): Keras Concatenate axis 1/2, TF ConcatV2
   */
  | (NodeBase & { readonly op: 'concat'; readonly axis?: 'h' | 'w' })
  /** pads [top, left, bottom, right]: zeros; `mode` reflect (pixel −i is pixel i) or edge (the border pixel repeated) */
  | (NodeBase & { readonly op: 'pad'; readonly pads: Pads; readonly mode?: 'reflect' | 'edge' })
  /**
   * upsampling by integer factors: nearest, output pixel (y, x) = input (⌊y / fy⌋, ⌊x / fx⌋); `linear`:
   * bilinear from source coordinate (y + ½)/fy − ½ (half_pixel), y/fy (asymmetric) or y·(H − 1)/(fy·H − 1) (align_corners:
   * the corner pixels' centres coincide), clamped to the map
   */
  /**
   * `size`: an output [OH, OW] that need not be a whole multiple of the input (factors then [1, 1]), nearest reading
   * (⌊y·H/OH⌋, ⌊x·W/OW⌋) (ONNX asymmetric floor, PyTorch's nearest `interpolate(size=…)`) or linear align_corners
   */
  | (NodeBase & { readonly op: 'upsample'; readonly factors: readonly [number, number]; readonly linear?: 'half_pixel' | 'asymmetric' | 'align_corners'; readonly size?: readonly [number, number] })
  | (NodeBase & { readonly op: 'reshape'; readonly shape: readonly number[] })
  | (NodeBase & { readonly op: 'activation'; readonly fn: Activation | 'softmax' | 'logsoftmax' })
  /** order 'chw': flatten as an NCHW framework would (ONNX), i.e. channel-major */
  | (NodeBase & { readonly op: 'flatten'; readonly order?: 'hwc' | 'chw' })
  | (NodeBase & { readonly op: 'identity' })
  /** a window of a map: [top, left, bottom, right] rows and columns removed */
  | (NodeBase & { readonly op: 'crop'; readonly crop: Pads });

export type GraphOp = Node['op'];
export type NodeOf<O extends GraphOp> = Extract<Node, { op: O }>;

export interface GraphInput {
  readonly name: string;
  /** [H, W, C] for images, [K] for vectors */
  readonly shape: readonly number[];
  /** 'chw': users give samples channel-major (ONNX); nnchip stores them as [H, W, C] */
  readonly layout?: 'hwc' | 'chw';
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly GraphInput[];
  /** Topologically ordered. */
  readonly nodes: readonly Node[];
  /** The model's outputs, one or more (a detector's scores and boxes), in the model's order. */
  readonly outputs: readonly string[];
  /** The names the model gives its outputs (a TF graph's Identity nodes, a Keras layer), where one differs from its tensor's; one per output. */
  readonly outputNames?: readonly string[];
  /** Per output: 'chw' when the model's own output is a channel-major map (ONNX NCHW) while nnchip's is [H, W, C]; absent: as the input (outputLayoutOf). */
  readonly outputLayouts?: readonly ('hwc' | 'chw')[];
  /** Notes for the user collected by passes (e.g. "final softmax dropped"). */
  readonly notes: readonly string[];
  /** What passes/quantize.ts does to a tensor's calibrated range beyond what float calibration sees (ir/softmax.ts's). */
  readonly rangeHints?: ReadonlyMap<string, RangeHint>;
}

/** Bounds of a tensor's int8 range known from the function it computes, not from the calibration samples. */
export interface RangeHint {
  /** The range is narrowed to within these: values past them saturate, where they would round to a code of 0 downstream anyway. */
  readonly within?: readonly [number, number];
  /** The range is then widened to reach these: values the machine's rounding can reach though the float graph never does. */
  readonly reach?: readonly [number, number];
}

/** Range hints after tensors are renamed (from → to: to holds what from held, its own hint replaced). */
export function renamedHints(hints: Graph['rangeHints'], renames: ReadonlyMap<string, string>): Pick<Graph, 'rangeHints'> {
  if (hints === undefined || renames.size === 0 || ![...renames.keys()].some((from) => hints.has(from))) return hints === undefined ? {} : { rangeHints: hints };
  const out = new Map(hints);
  for (const [from, to] of renames) {
    const h = hints.get(from);
    if (h === undefined) continue;
    out.delete(from);
    out.set(to, h);
  }
  return { rangeHints: out };
}

/** How the model lays out output i: as the importer says, else as its input. */
export function outputLayoutOf(g: Graph, i: number): 'hwc' | 'chw' | undefined {
  return g.outputLayouts?.[i] ?? g.inputs[0]?.layout;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The largest / smallest of a list, by a loop: Math.max(...xs) passes every element as an argument,
 * and past about 120,000 (a 150,000-wide layer's outputs, a long model's layers, a large sweep)
 * throws RangeError, an internal error. −Infinity / Infinity for none.
 */
export function maxOf(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  return m;
}

export function minOf(xs: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! < m) m = xs[i]!;
  return m;
}

/**
 * Add `value` to the list under `key`, in place. Lists grown by copying (`[...(m.get(k) ?? []), v]`)
 * cost n² for n values under one key: a concat of 30,000 inputs took 40 s to lower, a kernel or a
 * calibration of as many taps or samples the same.
 */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Consumers of each tensor name. */
export function usesOf(g: Graph): Map<string, Node[]> {
  const uses = new Map<string, Node[]>();
  // pushed, not copied: a tensor read by 20,000 nodes made the copies quadratic (46 s to lower)
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const list = uses.get(i);
      if (list === undefined) uses.set(i, [n]);
      else list.push(n);
    }
  }
  return uses;
}

/**
 * Reshapes (and layout-only Permutes) applied to the input itself change only how its flat samples
 * are read: the input takes the reshaped shape, so a model starting with Reshape([28, 28, 1]) reads maps
 * (an IR reshape keeps the elements' order, so the samples are read as before).
 */
export function foldInputReshapes(g: Graph): Graph {
  let out = g;
  for (;;) {
    const input = out.inputs[0]!;
    const users = out.nodes.filter((n) => n.inputs.includes(input.name));
    const r = users[0];
    if (users.length !== 1 || r?.op !== 'reshape' || out.outputs.includes(r.output)) return out;
    out = renameTensor({ ...out, inputs: [{ ...input, shape: r.shape }], nodes: out.nodes.filter((n) => n !== r) }, r.output, input.name);
  }
}

/** Replace uses of tensor `from` by `to` in nodes and outputs. */
export function renameTensor(g: Graph, from: string, to: string): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } : n)),
    outputs: g.outputs.map((o) => (o === from ? to : o)),
    ...renamedHints(g.rangeHints, new Map([[from, to]])),
  };
}
