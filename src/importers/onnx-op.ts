// SPDX-License-Identifier: MIT
/**
 * What every ONNX op converter shares: the walker's view of tensors (OnnxContext) and the Op helper
 * (inputs, attributes, padding and 1-D/2-D window attributes, per-channel constants).
 */
import { NnchipError, type ErrorSite, shownValue } from '../diagnostics/error.js';
import { product, type Node, type Pads, type Tensor } from '../ir/graph.js';
import type { Attributes } from './onnx-tensors.js';
import type { NodeProto } from './onnx-prewalk.js';
import { samePads } from './padding.js';
import { dilated } from '../ir/ops.js';
import { ONLY_FUSED } from './fuse-elementwise.js';

/** How an activation's ONNX shape relates to its IR shape. */
export interface OnnxView {
  /** ONNX rank, batch included: 2 [1, K], 3 [1, C, L] / [1, T, F], 4 [1, C, H, W] / [1, H, W, C] */
  readonly rank: number;
  /** channels on the last axis (after a Transpose to NHWC / NTF) instead of axis 1 */
  readonly last: boolean;
  /** rank 2 only: a column [K, 1] (one sample of Gemm with transA 1) */
  readonly transposed?: boolean;
  /**
   * rank 5 only: [1, a, b, H, W], the channel axis of an NCHW map split in two (channel i·b + j), as a
   * channel shuffle writes it (Reshape → Transpose [0, 2, 1, 3, 4] → Reshape); only Reshape and Transpose read it
   */
  readonly groups?: readonly [number, number];
  /**
   * rank 6 only: a map's pixels in r × r blocks, as PixelUnshuffle / PixelShuffle (below opset 11) write them:
   * 'pixels' [1, C, H/r, r, W/r, r] (the IR map [H, W, C]) or 'channels' [1, C/r², r, r, H, W] (the IR map [H, W, C]);
   * only Reshape and Transpose read it (the Transpose between the two forms is a stride-r convolution or its transpose)
   */
  readonly blocks?: { readonly r: number; readonly form: 'pixels' | 'channels' };
  /**
   * rank 3 only: [1, C, H·W], an NCHW map of [H, W] pixels with its spatial axes merged (x.view(N, C, -1),
   * x.flatten(2)), or with `last` [1, H·W, C] (its transpose, or x.view(N, -1, C) of an NHWC map): the
   * same bytes as the IR map; only reshapes, reductions over the pixels, element-wise ops (FLAT_READERS),
   * Transpose [0, 2, 1] and, on the rows [1, H·W, C], MatMul read it
   */
  readonly flat?: readonly [number, number];
  /**
   * rank 3 only: [1, G, C/G·H·W], an NCHW map `of` ([1, C, H, W] or [1, C, L]) with each group of C/G
   * channels and their pixels on one row, as torch writes GroupNorm's view: the same bytes as the IR
   * map; only InstanceNormalization and the Reshape back to `of` read it
   */
  readonly grouped?: { readonly groups: number; readonly of: readonly number[] };
  /**
   * An ONNX shape whose row-major elements are the IR tensor's in order: a recurrent op's sequence or states
   * (onnx-ops-recurrent.ts) with the batch not first ([T, 1, F], Y [T, D, 1, U], Y_h [D, 1, U]: a [1, T, F] map,
   * a [D·U] vector), or a map's channels reduced without keepdims ([1, H, W]: the one-channel map [H, W, 1],
   * onnx-ops-reduce.ts); only reshapes, Transposes that move unit axes, Gather of one step and the recurrent ops
   * read it (EXACT_READERS)
   */
  readonly exact?: readonly number[];
  /**
   * An Expand of this tensor to this ONNX shape, kept as the tensor itself (onnx-ops-layout.ts expand): only Add,
   * Sub, Mul and Div read it (BROADCASTING_READERS), beside an operand of exactly this shape, which broadcasts the
   * tensor the same way (F.normalize's x / ‖x‖.expand_as(x)); not inherited by what is computed from it
   */
  readonly expandedTo?: readonly number[];
}

/** Ops that read an Expand of a computed tensor (OnnxView.expandedTo) as the tensor itself: numpy broadcasting does the Expand's work. */
const BROADCASTING_READERS = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** One input, one output of its shape, each element a function of its own: whatever the view, the output has it too. */
const PER_ELEMENT = ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Gelu', 'Mish', 'ThresholdedRelu', 'Neg', 'Abs', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal'];

/** Element-wise ops of several operands that read exact views of one shape (readsOneExactView). */
const EXACT_ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']);

/**
 * Whether n is an element-wise op of two or more operands (Add, Sub, Mul, Div, Max, Min) whose computed ones all
 * have one exact view and IR shape (x.mean(1) + x.amax(1), y[:, 0] * y[:, 1]) and whose constants are single
 * values: the elements pair up in order, so it converts on the plain tensors and its result takes the view back.
 */
export function readsOneExactView(n: OnnxNode, ctx: OnnxContext): boolean {
  if (!EXACT_ELEMENTWISE.has(n.opType)) return false;
  const computed = n.inputs.filter((u) => u !== '' && !ctx.isConst(u));
  const exact = computed.map((u) => shownValue(ctx.view(u).exact));
  const ir = computed.map((u) => shownValue(ctx.irShape(u)));
  return computed.length > 0 && ctx.view(computed[0]!).exact !== undefined && exact.every((e) => e === exact[0]) && ir.every((e) => e === ir[0])
    && n.inputs.every((u) => u === '' || !ctx.isConst(u) || product(ctx.constShape(u) ?? [2]) === 1);
}

/** Ops that read an exact-shape view (OnnxView.exact): a recurrent op's outputs, a map's channels reduced or gathered to [N, H, W]. */
const EXACT_READERS = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Flatten', 'Identity', 'Dropout', 'Gather', 'LSTM', 'GRU', 'RNN', ...PER_ELEMENT]);

/** Ops that read a flat [1, C, H·W] view as it is (per element, a reshape, or a reduction over all its pixels). */
const FLAT_READERS = new Set(['InstanceNormalization', 'Gather', 'Reshape', 'Flatten', 'Identity', 'Dropout', 'Cast', 'ReduceMean', 'ReduceSum', 'ReduceMax', ...PER_ELEMENT, 'Mul', 'Div', 'Add', 'Sub', 'Max', 'Min', 'Concat', ...ONLY_FUSED]);

/** What the model walker offers the per-op converters. */
export interface OnnxContext {
  readonly opset: number;
  isConst(name: string): boolean;
  /** A float constant (initializer or Constant output) in ONNX layout; NN110 when computed at run time. */
  floats(name: string, site: ErrorSite, what: string): { dims: number[]; data: Float32Array };
  /** Most float values one tensor or kernel nnchip builds may hold (--max-params). */
  readonly maxFloats: number;
  /** saturate: values beyond ±2^53 clamp (Slice's "to the end") instead of NN107 */
  ints(name: string, site: ErrorSite, what: string, saturate?: boolean): number[];
  /** The [a, b] channel groups of a channel-shuffle view (rank 5), or undefined. */
  groupsOf(name: string): readonly [number, number] | undefined;
  /** A weight derived from constant `name` by `transform`, made once: a tensor used twice stays one object. */
  weight(name: string, transform: string, site: ErrorSite, make: (dims: number[], data: Float32Array) => Tensor): Tensor;
  /** The dims of a constant (initializer or Constant), or undefined. */
  constShape(name: string): readonly number[] | undefined;
  /** The value of a one-value constant of a float or integer type, or undefined (computed, several values, another type). */
  scalarConst(name: string, site: ErrorSite): number | undefined;
  /** The IR shape of an activation ([H, W, C] or [K]). */
  irShape(name: string): readonly number[];
  /** The ONNX shape of an activation, batch included (1). */
  onnxShape(name: string): readonly number[];
  /** The ONNX shape of an activation already computed, or undefined (a constant, or not yet computed). */
  activationShape(name: string): readonly number[] | undefined;
  /** Whether `name` is one of the graph outputs the model is compiled for. */
  isModelOutput(name: string): boolean;
  view(name: string): OnnxView;
  /** Whether the activation is an IR map [H, W, C] (a globally pooled [1, C, 1, 1] is kept as a [C] vector). */
  isMap(name: string): boolean;
  /** The activation as an IR map [H, W, C] (adding a reshape [C] → [1, 1, C] after a global pool). */
  asMap(name: string, site: ErrorSite): string;
  /** A vector [C] as the one-channel signal [1, C, 1] (a reshape), read channel-first as [1, 1, C]. */
  asSignal(name: string): string;
  /** An activation of an exact view as the plain map or vector its IR shape is (a reshape that moves nothing). */
  plainView(name: string): string;
  /** Fold a constant per-channel bias into the producer of `x` (dense/conv without bias, single use). */
  foldBias(x: string, bias: Float32Array, output: string): boolean;
  /** The IR node that computes `name` when this is its only reader (else undefined). */
  soleProducer(name: string): Node | undefined;
  /** The ONNX node that writes `name` (undefined: an input or a constant), and the ONNX nodes that read it: the graph around a node, as the file has it. */
  onnxProducer(name: string): NodeProto | undefined;
  onnxReaders(name: string): readonly NodeProto[];
  /**
   * Reorder the units of the dense that computes vector `name` (through element-wise activations, each
   * read once): unit j becomes the old unit perm[j]. False (nothing changed) when there is no such chain.
   */
  permuteUnits(name: string, perm: readonly number[]): boolean;
  /** Remove the node that computes `name` (after soleProducer: the caller takes over its work). */
  drop(name: string): void;
  /** What the import left out that changes results for some inputs (`nnchip lower` prints each as a note). */
  readonly notes: string[];
  /** Whether `name` is the model's input (not computed, not a constant). */
  isModelInput(name: string): boolean;
}

/** IR nodes for one ONNX node, each optionally with the ONNX view of its output (default: its input's). */
export type Built = Node & { readonly view?: OnnxView };

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

export class Op {
  readonly site: ErrorSite;
  constructor(readonly n: OnnxNode, readonly ctx: OnnxContext) {
    this.site = { layer: n.name };
  }
  fail(detail: string): NnchipError {
    return new NnchipError('NN110', `${this.n.opType}: ${detail}`, { layer: this.n.name });
  }
  input(i: number): string {
    const t = this.n.inputs[i];
    if (t === undefined || t === '') throw new NnchipError('NN107', `${this.n.opType} is missing input ${i}`, { layer: this.n.name });
    if (!this.ctx.isConst(t) && this.ctx.view(t).blocks !== undefined && !['Reshape', 'Transpose', 'Identity'].includes(this.n.opType)) {
      throw this.fail(`input "${t}" has shape ${shownValue(this.ctx.onnxShape(t))}, a map's pixels in blocks; it is supported only in a pixel (un)shuffle (Reshape → Transpose → Reshape back to a map)`);
    }
    if (this.ctx.groupsOf(t) !== undefined && !['Reshape', 'Transpose', 'Identity'].includes(this.n.opType)) {
      throw this.fail(`input "${t}" has shape ${shownValue(this.ctx.onnxShape(t))}, channels split in groups; it is supported only in a channel shuffle (Reshape → Transpose [0, 2, 1, 3, 4] → Reshape back)`);
    }
    // and a Transpose [0, 2, 1] to the pixels' rows [1, H·W, C] (ViT's x.flatten(2).transpose(1, 2)), which a MatMul reads per row
    const flat = !this.ctx.isConst(t) && this.ctx.view(t).flat !== undefined;
    if (flat && !FLAT_READERS.has(this.n.opType) && this.n.opType !== 'Transpose' && !(this.n.opType === 'MatMul' && this.ctx.view(t).last)) {
      throw this.fail(`input "${t}" is a map of ${shownValue(this.ctx.view(t).flat)} pixels viewed as ${shownValue(this.ctx.onnxShape(t))} (x.view(N, C, -1)); reading its pixels along the last axis needs a transpose: only a reshape, element-wise ops or a mean/sum/amax over the last axis are supported`);
    }
    if (!this.ctx.isConst(t) && this.ctx.view(t).exact !== undefined && !EXACT_READERS.has(this.n.opType)) {
      throw this.fail(`input "${t}" is ${shownValue(this.ctx.onnxShape(t))}, a recurrent op's output (the batch not first) or a map's channels reduced or gathered without their axis; only reshapes (an Unsqueeze back to [1, 1, H, W]), per-element activations, Add/Sub/Mul/Div/Max/Min of such tensors of its shape and single values, a Transpose to [1, T, F], Gather of one step or another recurrent op read it`);
    }
    const expanded = this.ctx.isConst(t) ? undefined : this.ctx.view(t).expandedTo;
    if (expanded !== undefined) {
      const other = this.n.inputs.length === 2 ? this.n.inputs[1 - i] : undefined;
      const otherShape = other === undefined || other === '' ? undefined : this.ctx.isConst(other) ? this.ctx.constShape(other) : this.ctx.activationShape(other);
      if (!BROADCASTING_READERS.has(this.n.opType) || otherShape === undefined || shownValue(otherShape) !== shownValue(expanded)) {
        throw this.fail(`input "${t}" is an Expand of a computed tensor to ${shownValue(expanded)}; it is supported only as an operand of Add, Sub, Mul or Div whose other operand has that shape (numpy broadcasting then does the Expand's work)`);
      }
    }
    if (!this.ctx.isConst(t) && this.ctx.view(t).grouped !== undefined && !['Reshape', 'InstanceNormalization', 'Identity'].includes(this.n.opType)) {
      throw this.fail(`input "${t}" is a map ${shownValue(this.ctx.view(t).grouped!.of)} viewed as ${shownValue(this.ctx.onnxShape(t))} (channel groups, as GroupNorm writes it); only InstanceNormalization and the Reshape back read it`);
    }
    return t;
  }
  optional(i: number): string | undefined {
    const t = this.n.inputs[i];
    return t === undefined || t === '' ? undefined : t;
  }
  /** Input i must be an activation (computed from the model input), not a constant. */
  activation(i: number): string {
    const t = this.input(i);
    if (this.ctx.isConst(t)) throw this.fail(`input ${i} "${t}" is a constant; nnchip needs it computed from the model input`);
    return t;
  }
  get out(): string {
    return this.n.outputs[0] ?? '';
  }
  /** Outputs past the first (MaxPool indices, Dropout mask, BatchNormalization statistics) must be unused. */
  onlyFirstOutput(): void {
    if (this.n.outputs.slice(1).some((o) => o !== '')) throw this.fail('only its first output is supported');
  }
  base(inputs: string[]): { name: string; inputs: string[]; output: string } {
    return { name: this.n.name, inputs, output: this.out };
  }
  /** A channel-first map input (NCHW, or NCL as an image of height 1) as an IR map. */
  map(i: number): string {
    const x = this.activation(i);
    const v = this.ctx.view(x);
    // a pooled vector after Transpose [0, 2, 1], [N, 1, C]: ECA's Conv1d across the channels reads one channel of length C
    if (v.last && v.rank === 3 && !this.ctx.isMap(x)) return this.ctx.asSignal(x);
    if (v.last) throw this.fail(`input "${x}" is channels-last (after a Transpose); nnchip needs [N, C, H, W] or [N, C, L] here`);
    return this.ctx.asMap(x, this.site);
  }
  /** The ONNX axis holding the channels of activation x. */
  channelAxis(x: string): number {
    const v = this.ctx.view(x);
    return v.last ? v.rank - 1 : v.transposed ? 0 : 1;
  }
  /** Spatial dims of the map input: 1 for [N, C, L], 2 for [N, C, H, W]. */
  dims(x: string): number {
    return this.ctx.view(x).rank - 2;
  }
  /** A per-axis attribute as [h, w]: a 1-D value [v] becomes [fallback-for-height, v]. */
  spatial(x: string, key: string, fallback: number, height = fallback): [number, number] {
    const d = this.dims(x);
    const v = this.n.attrs.ints(key) ?? Array<number>(d).fill(fallback);
    if (v.length !== d) throw this.fail(`${key} ${shownValue(v)} does not match the ${d}-D input`);
    return d === 1 ? [height, v[0]!] : [v[0]!, v[1]!];
  }
  /** Explicit [top, left, bottom, right] pads from pads / auto_pad (window `size` after dilation). */
  pads(x: string, size: readonly number[], strides: readonly number[], dil: readonly number[] = [1, 1]): Pads {
    const auto = this.n.attrs.string('auto_pad', 'NOTSET');
    const s = this.ctx.onnxShape(x);
    const hw = s.length === 3 ? [1, s[2]!] : s.slice(2);
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return samePads(hw, size.map((k, i) => dilated(k, dil[i])), strides, auto === 'SAME_LOWER');
    if (auto === 'VALID') return [0, 0, 0, 0];
    if (auto !== 'NOTSET') throw this.fail(`auto_pad ${auto} is not supported`);
    const d = this.dims(x);
    const p = this.n.attrs.ints('pads') ?? Array<number>(2 * d).fill(0);
    if (p.length !== 2 * d || p.some((v) => v < 0)) throw this.fail(`pads ${shownValue(p)} is not supported (${2 * d} non-negative values for a ${d}-D input)`);
    // ONNX [h_begin, w_begin, h_end, w_end] is the IR's order; 1-D [begin, end] pads the width
    return d === 1 ? [0, p[0]!, 0, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
  }
  /**
   * A per-channel constant: one value (broadcast) or one per channel. With `rank` (the activation's
   * ONNX rank) it is broadcast as ONNX does, so its one non-1 dimension must land on the channel
   * axis (`axis`, default 1).
   */
  perChannel(name: string, channels: number, what: string, opts: { scale?: number; rank?: number; axis?: number; exact?: boolean } = {}): Float32Array {
    const { dims, data } = this.ctx.floats(name, this.site, what);
    const { scale = 1, rank, axis = 1, exact = false } = opts;
    // `exact`: an input the op defines as one value per channel (Conv's B, BatchNormalization's), which
    // ONNX Runtime refuses as a single value; a broadcast one would lower what no runtime computes
    if (exact && data.length !== channels) throw this.fail(`${what} has shape ${shownValue(dims)}; expected ${channels} values, one per channel`);
    const big = dims.findIndex((d) => d !== 1);
    const axisOk = rank === undefined ? dims.length === 1 : dims.length <= rank && (big < 0 || (dims.slice(big + 1).every((d) => d === 1) && rank - dims.length + big === axis));
    if (data.length !== 1 && (data.length !== channels || !axisOk)) throw this.fail(`${what} has shape ${shownValue(dims)}; expected ${channels} values, one per channel`);
    return Float32Array.from({ length: channels }, (_, i) => (data.length === 1 ? data[0]! : data[i]!) * scale);
  }
}
