// SPDX-License-Identifier: MIT
/** One TF.js Layers layer being converted (tfjs-layer-ops.ts): its config read under Keras or tfjs keys, its weights, and errors that name it. */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import type { Activation, Pads, Tensor } from '../ir/graph.js';
import type { Limits } from './limits.js';
import { samePads } from './padding.js';
import { TFJS_ACTIVATIONS as ACTIVATIONS } from './tfjs-activations.js';

export type Json = Record<string, unknown>;

export interface LayerEntry {
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  readonly inbound: string[];
  /** Keras 3 operations on constants (`x / 255.0`): per positional argument, null for a tensor (see Constant) */
  readonly constants?: readonly Constant[];
  /** a later call of a shared layer (named `layer@k`): the layer whose weights it reads */
  readonly weightsOf?: string;
}

/** An argument of a Keras 3 operation: null for a tensor; numbers (one, or a `__tensor__`'s values flattened); or a string describing anything else. */
export type Constant = readonly number[] | string | null;

export interface LayerContext {
  readonly file: string;
  /** --max-params / --max-memory: sizes that follow from the topology alone are checked against them */
  readonly limits: Limits;
  /** weights keyed `layer/kind` (tfjs-layers.ts `weightsByLayer`) */
  readonly weights: ReadonlyMap<string, Tensor>;
  /**
   * Who wrote the topology, where a name means two things: 'tfjs' (tfjs-layers' model.save()), 'keras2'
   * (Python Keras 2 through tensorflowjs_converter), 'keras3' (Keras 3: `module` keys, keras_version 3.x).
   */
  readonly writer: 'tfjs' | 'keras2' | 'keras3';
  /** The model's input is a sequence [L, C] (held as [1, L, C]): Keras's axis 2 of a [1, L, C] tensor is then its channels. */
  readonly sequenceInput: boolean;
  /** True for a map the model holds channels-first ([C, H, W] in Keras, [H, W, C] in the IR: tfjs-channels-first.ts). */
  channelsFirst?(tensor: string): boolean;
  /** IR shape of a tensor produced earlier ([H, W, C] or [K]). */
  shapeOf(tensor: string): readonly number[];
}

/** A config value under its Keras (snake_case) or tfjs (camelCase) key. */
function opt(c: Json, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
  return c[snake] ?? c[camel];
}

/** One layer being converted: its config, inputs and weights, and errors that name it. */
export class Layer {
  readonly site: { file: string; layer: string };
  constructor(readonly l: LayerEntry, readonly inputs: string[], readonly ctx: LayerContext) {
    this.site = { file: ctx.file, layer: l.name };
  }
  fail(code: 'NN107' | 'NN110' | 'NN201', detail: string): NnchipError {
    return new NnchipError(code, detail, this.site);
  }
  get(key: string): unknown {
    return opt(this.l.config, key);
  }
  /** An int or [a, b] config entry as a pair of positive integers. */
  pair(key: string, fallback?: readonly [number, number]): [number, number] {
    const v = this.get(key) ?? fallback;
    const p = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || (d as number) < 1)) throw this.fail('NN107', `${key} is ${shownValue(v)}; expected a positive integer or a pair`);
    return [p[0] as number, p[1] as number];
  }
  /** An int or [n] config entry (1-D layers) as a positive integer. */
  single(key: string, fallback?: number): number {
    const v = this.get(key) ?? fallback;
    const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
    if (!Number.isInteger(n) || (n as number) < 1) throw this.fail('NN107', `${key} is ${shownValue(v)}; expected a positive integer`);
    return n as number;
  }
  weight(kind: string): Tensor {
    const w = this.maybeWeight(kind);
    if (w === undefined) throw this.fail('NN201', `no weight "${this.l.weightsOf ?? this.l.name}/${kind}" in the weightsManifest`);
    return w;
  }
  maybeWeight(kind: string): Tensor | undefined {
    return this.ctx.weights.get(`${this.l.weightsOf ?? this.l.name}/${kind}`);
  }
  activation(key = 'activation'): Activation | 'softmax' {
    const a = this.get(key) ?? 'linear';
    const fn = typeof a === 'string' && Object.hasOwn(ACTIVATIONS, a) ? ACTIVATIONS[a] : undefined;
    if (fn === undefined) throw this.fail('NN110', `activation ${shownValue(a)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    // Keras 3's hard_sigmoid is relu6(x + 3) / 6; tfjs's and Keras 2's are 0.2·x + 0.5, clipped
    if (a === 'hard_sigmoid' && this.ctx.writer === 'keras3') return { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 };
    return fn;
  }
  bias(): Tensor | null {
    return (this.get('use_bias') ?? true) ? this.weight('bias') : null;
  }
  /** The layer's data_format fits its input: channels_last (or none) on a map held so, channels_first on a [C, H, W] map (tfjs-channels-first.ts). */
  channelsLast(): void {
    const f = this.get('data_format');
    const held = this.inputs.some((t) => this.ctx.channelsFirst?.(t) === true);
    if (f === 'channels_first' && held) return;
    if (f === 'channels_first') throw this.fail('NN110', 'data_format "channels_first" on a map that is not channels-first is not supported (a model whose image layers are all channels_first is)');
    if (f !== undefined && f !== null && f !== 'channels_last') throw this.fail('NN110', `data_format ${shownValue(f)} is not supported (only channels_last and channels_first)`);
    if (held && this.l.className !== 'Flatten') throw this.fail('NN110', 'a channels_last layer reading a channels_first map [C, H, W] is not supported');
  }
  /** The single input's [H, W, C] shape (the shape rule reports a non-map input). */
  map(): readonly number[] {
    const s = this.ctx.shapeOf(this.one());
    if (s.length !== 3) throw new NnchipError('NN203', `input has shape ${shownValue(s)}; expected a feature map [H, W, C]`, this.site);
    return s;
  }
  one(): string {
    if (this.inputs.length !== 1) throw this.fail('NN110', `the layer has ${this.inputs.length} inputs; ${this.l.className} takes one`);
    return this.inputs[0]!;
  }
  pads(size: readonly number[], strides: readonly number[]): Pads {
    const p = this.get('padding') ?? 'valid';
    if (p === 'valid') return [0, 0, 0, 0];
    if (p === 'same') return samePads(this.map(), size, strides);
    throw this.fail('NN110', `padding ${shownValue(p)} is not supported (supported: valid, same)`);
  }
  base(): { name: string; inputs: string[]; output: string } {
    return { name: this.l.name, inputs: this.inputs, output: this.l.name };
  }
}

