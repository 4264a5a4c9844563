// SPDX-License-Identifier: MIT
/**
 * One TF node of a TF.js graph model being converted (tfjs-graph-ops.ts, tfjs-graph-layout.ts): its
 * AttrValue JSON attributes, its inputs as constants or runtime tensors, and errors that name it.
 * Tensors have a batch of 1: TF [1, H, W, C] is the IR map [H, W, C], TF [1, L, C] the map [1, L, C]
 * and TF [1, K] the vector [K].
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { TableActivation } from '../ir/activations.js';
import type { Activation, Node, Pads, Tensor } from '../ir/graph.js';
import type { Limits } from './limits.js';
import { samePads } from './padding.js';
import { preluSlopes, tfGraphActivation } from './tfjs-activations.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A GraphDef node as tfjs-converter writes it (AttrValue JSON: int64 as strings, strings base64). */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attr: Json;
  /** GELU or Mish found written out in TF ops (fuse-functions.ts): this node is that activation of its one input */
  readonly table?: TableActivation;
}

/** A runtime tensor: its IR name and shape, and its rank in TF (with the batch). */
export interface Runtime {
  readonly kind: 'tensor';
  readonly name: string;
  readonly shape: readonly number[];
  readonly rank: number;
  /**
   * Between SpaceToBatchND and BatchToSpaceND (TF's dilated convolution): 'input' the padded map the phases
   * are cut from, 'output' the convolution of its phases, which only BatchToSpaceND may read (tfjs-graph-layout.ts).
   */
  readonly spaced?: { readonly block: readonly [number, number]; readonly stage: 'input' | 'output' };
  /**
   * A channel shuffle under way (Reshape → Transpose [0, 1, 2, 4, 3] → Reshape back; tfjs-graph-layout.ts): the IR map
   * [H, W, C] as TF's [1, H, W, a, b], element (i, j) its channel i·b + j, or `swapped` j·a + i. Only Reshape,
   * Transpose and Identity read it.
   */
  readonly grouped?: { readonly split: readonly [number, number]; readonly swapped: boolean };
  /**
   * The batch axis dropped (Unpack of the batch, Squeeze of axis 0: MoveNet's per-image preprocessing), the IR tensor
   * as it was: only ExpandDims at axis 0 (putting it back), Identity and Cast read it.
   */
  readonly unbatched?: true;
}
/** What a TF tensor is at import time: a constant, or a runtime tensor of the IR. */
export type Value = { readonly kind: 'const'; readonly tensor: Tensor } | Runtime;

/** A type attribute of a TF node (Cast's SrcT and DstT: "DT_FLOAT", "DT_INT32", …), or '' when absent. */
export function typeAttr(n: TfNode, key: string): string {
  return String((n.attr[key] as { type?: unknown } | undefined)?.type ?? '');
}

/** The IR shape of a TF shape [1, ...] of rank 2, 3 or 4 (undefined for any other). */
export function irShapeOf(tf: readonly number[]): number[] | undefined {
  if (tf[0] !== 1) return undefined;
  if (tf.length === 4 || tf.length === 2) return tf.slice(1);
  return tf.length === 3 ? [1, tf[1]!, tf[2]!] : undefined;
}

/** The TF shape (batch 1) of a runtime tensor. */
export function tfShapeOf(v: Runtime): number[] {
  if (v.grouped !== undefined) return [1, v.shape[0]!, v.shape[1]!, ...v.grouped.split];
  return v.rank === 3 ? [1, v.shape[1]!, v.shape[2]!] : [1, ...v.shape];
}

export interface OpContext {
  readonly file: string;
  /** --max-params / --max-memory: sizes that follow from the graph alone are checked against them */
  readonly limits: Limits;
  value(input: string): Value;
  /** Whether a runtime tensor is the model's input (a Placeholder). */
  isInput(name: string): boolean;
  /** Add a node to the graph; returns its output (shape inferred) as a TF tensor of rank `rank`. */
  emit(node: Node, rank: number): Runtime;
  /** The emitted node computing `output` when one TF node reads it, else undefined. */
  soleProducer(output: string): Node | undefined;
  /** Remove the emitted node computing `output` (after soleProducer: the caller takes over its work). */
  drop(output: string): void;
}

const FUSED_ACTIVATIONS = ['Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid', 'Prelu'] as const;

/** One TF node being converted: its attributes, inputs and errors that name it. */
export class Op {
  readonly site: { file: string; layer: string };
  constructor(readonly n: TfNode, readonly ctx: OpContext) {
    this.site = { file: ctx.file, layer: n.name };
  }
  fail(code: 'NN107' | 'NN110' | 'NN201' | 'NN203', detail: string): NnchipError {
    return new NnchipError(code, detail, this.site);
  }
  private attrValue(key: string): Json | undefined {
    const v = this.n.attr[key];
    return isObj(v) ? v : undefined;
  }
  ints(key: string, fallback?: number[]): number[] {
    const list = this.attrValue(key)?.['list'];
    const raw = isObj(list) ? (list['i'] ?? []) : undefined;
    if (raw === undefined && fallback !== undefined) return fallback;
    // absent (a Conv2D without strides) said 'is not a list of integers', as for a malformed one
    if (this.attrValue(key) === undefined) throw this.fail('NN107', `${this.n.op} has no attribute ${key}, which it needs`);
    const out = Array.isArray(raw) ? raw.map(Number) : [];
    if (!Array.isArray(raw) || out.some((d) => !Number.isInteger(d))) throw this.fail('NN107', `attribute ${key} is not a list of integers`);
    return out;
  }
  /** An int attribute ({"i": "2"}: int64 as a string). */
  int(key: string, fallback?: number): number {
    const raw = this.attrValue(key)?.['i'];
    if (raw === undefined && fallback !== undefined) return fallback;
    const v = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.fail('NN107', raw === undefined ? `${this.n.op} has no attribute ${key}, which it needs` : `attribute ${key} is ${shownValue(raw).slice(0, 40)}, not an integer`);
    return v;
  }
  /** A string attribute (base64 in the JSON). */
  str(key: string, fallback?: string): string {
    const s = this.attrValue(key)?.['s'];
    if (typeof s !== 'string') {
      if (fallback !== undefined) return fallback;
      throw this.fail('NN107', `attribute ${key} is missing`);
    }
    return Buffer.from(s, 'base64').toString('utf8');
  }
  strs(key: string): string[] {
    const list = this.attrValue(key)?.['list'];
    const raw = isObj(list) ? (list['s'] ?? []) : [];
    return Array.isArray(raw) ? raw.map((s) => Buffer.from(String(s), 'base64').toString('utf8')) : [];
  }
  bool(key: string): boolean {
    const b = this.attrValue(key)?.['b'];
    // {"b": "yes"} was read as false, silently
    if (b !== undefined && typeof b !== 'boolean') throw this.fail('NN107', `attribute ${key} is ${shownValue(b).slice(0, 40)}, not true or false`);
    return b === true;
  }
  /** How many of the node's inputs the conversion read (the first ones): the rest would be ignored. */
  private inputsRead = 0;
  /** After the conversion: an input it never read (a Relu of two tensors) is a malformed node, not one to run without it. */
  checkEveryInputRead(): void {
    const given = this.n.inputs.length;
    if (this.inputsRead < given) throw this.fail('NN107', `${this.n.op} has ${given} inputs; it takes ${this.inputsRead}`);
  }
  /** Input i; a SpaceToBatchND result or its convolution only where `spaced` says this op reads that stage. */
  input(i: number, spaced?: 'input' | 'output'): Value {
    this.inputsRead = Math.max(this.inputsRead, i + 1);
    const name = this.n.inputs[i];
    if (name === undefined) throw this.fail('NN107', `${this.n.op} needs input ${i + 1} but has ${this.n.inputs.length}`);
    const v = this.ctx.value(name);
    if (v.kind === 'tensor' && v.unbatched === true && !['ExpandDims', 'Identity', 'Cast'].includes(this.n.op)) {
      throw this.fail('NN110', `${this.n.op} reading a tensor without its batch axis (after an Unpack or a Squeeze of axis 0) is not supported (only an ExpandDims at axis 0 putting it back)`);
    }
    if (v.kind === 'tensor' && v.grouped !== undefined && !['Reshape', 'Transpose', 'Identity'].includes(this.n.op)) {
      throw this.fail('NN110', `${this.n.op} reading a map's channels split in groups (${shownValue(tfShapeOf(v))}) is not supported (only a channel shuffle: Reshape → Transpose [0, 1, 2, 4, 3] → Reshape back)`);
    }
    if (v.kind === 'tensor' && v.spaced !== undefined && v.spaced.stage !== spaced) throw this.fail('NN110', `${this.n.op} reading a SpaceToBatchND ${v.spaced.stage === 'input' ? 'result' : 'convolution'} is not supported (only a stride-1 VALID convolution, then BatchToSpaceND: a dilated convolution)`);
    return v;
  }
  tensor(i: number, spaced?: 'input' | 'output'): Runtime {
    const v = this.input(i, spaced);
    if (v.kind !== 'tensor') throw this.fail('NN110', `${this.n.op} of constants only is not supported (input ${i + 1} is a constant)`);
    return v;
  }
  constant(i: number, what: string): Tensor {
    const v = this.input(i);
    if (v.kind !== 'const') throw this.fail('NN110', `${this.n.op} with a computed ${what} is not supported (only a constant ${what})`);
    return v.tensor;
  }
  map(i = 0, spaced?: 'input' | 'output'): { name: string; shape: readonly [number, number, number]; spaced?: Runtime['spaced'] } {
    const x = this.tensor(i, spaced);
    if (x.rank !== 4) throw this.fail('NN203', `input has shape ${shownValue(tfShapeOf(x))}; ${this.n.op} needs an NHWC feature map`);
    return { name: x.name, shape: x.shape as [number, number, number], ...(x.spaced === undefined ? {} : { spaced: x.spaced }) };
  }
  /** A runtime tensor's new TF shape: a reshape node, or (IR shape unchanged) the same tensor. */
  reshaped(v: Runtime, tf: readonly number[], name = this.n.name): Runtime {
    const shape = irShapeOf(tf);
    if (shape === undefined) throw this.fail('NN110', `the result has shape ${shownValue(tf)}; only a batch of 1 and ranks 2 to 4 are supported`);
    if (JSON.stringify(shape) === JSON.stringify(v.shape)) return { ...v, rank: tf.length };
    return this.ctx.emit({ name, output: name, op: 'reshape', inputs: [v.name], shape }, tf.length);
  }
  nhwc(): void {
    const f = this.str('data_format', 'NHWC');
    if (f !== 'NHWC') throw this.fail('NN110', `data_format ${f} is not supported (only NHWC)`);
  }
  /** [1, a, b, 1]-style window attributes → [a, b]. */
  window(key: string): [number, number] {
    const v = this.ints(key);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || v[1]! < 1 || v[2]! < 1) throw this.fail('NN110', `${key} ${shownValue(v)} is not supported (only [1, h, w, 1])`);
    return [v[1]!, v[2]!];
  }
  pads(hw: readonly number[], size: readonly number[], strides: readonly number[]): Pads {
    const p = this.str('padding');
    if (p === 'VALID') return [0, 0, 0, 0];
    if (p === 'SAME') return samePads(hw, size, strides);
    if (p === 'EXPLICIT') {
      const e = this.ints('explicit_paddings');
      if (e.length !== 8 || e[0] !== 0 || e[1] !== 0 || e[6] !== 0 || e[7] !== 0 || e.some((d) => d < 0)) throw this.fail('NN110', `explicit_paddings ${shownValue(e)} is not supported (only spatial, non-negative)`);
      return [e[2]!, e[4]!, e[3]!, e[5]!];
    }
    throw this.fail('NN110', `padding ${p} is not supported (supported: VALID, SAME, EXPLICIT)`);
  }
  float(key: string, fallback: number): number {
    const f = this.attrValue(key)?.['f'];
    if (f === undefined || f === null) return fallback;
    // protobuf's JSON may write a float as a string ("0.2"); "NaN" and "Infinity" are no parameter (they became the default)
    const v = typeof f === 'string' && f.trim() !== '' ? Number(f) : f;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail('NN107', `attribute ${key} is ${shownValue(f)}; expected a finite number`);
    return v;
  }
  /** The activation a fused op applies after its BiasAdd (tfjs's fused set; Prelu's slopes are input 3). */
  fused(channels: number): { bias: boolean; activation: Activation } {
    const ops = this.strs('fused_ops');
    const [first, act, ...rest] = ops;
    if (first !== 'BiasAdd' || rest.length > 0) throw this.fail('NN110', `fused_ops ${shownValue(ops)} is not supported (only BiasAdd, then one of ${FUSED_ACTIVATIONS.join(', ')})`);
    if (act === undefined) return { bias: true, activation: 'linear' };
    if (!(FUSED_ACTIVATIONS as readonly string[]).includes(act)) throw this.fail('NN110', `fused activation ${act} is not supported (supported: ${FUSED_ACTIVATIONS.join(', ')})`);
    return { bias: true, activation: this.activation(act, 'leakyrelu_alpha', () => this.preluSlopes(3, channels)) };
  }
  /** A TF activation op (or fused activation) as an IR activation; LeakyRelu's alpha from `alphaKey`. */
  activation(op: string, alphaKey: string, slopes: () => number[]): Activation {
    return tfGraphActivation(op, () => this.float(alphaKey, 0.2), slopes);
  }
  /** Prelu's alpha (input i): one slope per channel. */
  preluSlopes(i: number, channels: number): number[] {
    const alpha = this.constant(i, 'alpha');
    const slopes = preluSlopes(alpha);
    if (typeof slopes === 'string') throw this.fail('NN110', `Prelu: ${slopes}`);
    if (slopes.length !== 1 && slopes.length !== channels) throw this.fail('NN203', `Prelu alpha has ${slopes.length} slopes for ${channels} channels`);
    return slopes.length === channels ? slopes : new Array<number>(channels).fill(slopes[0]!);
  }
  base(): { name: string; output: string } {
    return { name: this.n.name, output: this.n.name };
  }
}

