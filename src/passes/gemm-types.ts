// SPDX-License-Identifier: MIT
/**
 * The GemmOp form every layer lowers to (passes/gemm.ts makes it; fuse-ops.ts, batch.ts and lower.ts
 * read it): "out[p, n] = threshold(bias[n] + Σ_terms Σ_k src[tap(p), k]·W[k, n])" on stored tensors.
 */
import type { QuantParams } from './quantize.js';
import type { ChannelTables } from './table.js';
import type { WeightMatrix } from './weight-matrix.js';

export interface Term {
  readonly src: string;
  /** src pixel of output pixel (oy, ox) is (oy·sy + dy, ox·sx + dx), in unpadded coordinates */
  readonly dy: number;
  readonly dx: number;
  readonly sy: number;
  readonly sx: number;
  /** weights [srcChannels × n]: dense or diagonal, read through weight-matrix.ts */
  readonly matrix: WeightMatrix;
  /** rows of `matrix` when taps are packed (passes/pack-taps.ts: pixels × channels); absent: the source's channels */
  readonly rows?: number;
  /** the term's products count ×2^shift (its matmuls' `shift`: a residual add folded into its convolution, weighted-op.ts foldedAdd); absent: 0 */
  readonly shift?: number;
}

export interface GemmOp {
  readonly layer: string;
  readonly label: string;
  readonly out: string;
  readonly oh: number;
  readonly ow: number;
  readonly n: number;
  /** first channel of the output tensor this op writes (concat slices) */
  readonly channelOffset: number;
  readonly terms: readonly Term[];
  readonly bias: Int32Array;
  readonly mult: Uint16Array;
  readonly shift: Uint8Array;
  readonly zp: number;
  readonly lo: number;
  readonly hi: number;
  /** output pixel (0, 0) of this op is pixel (y, x) of the output tensor (ops writing one region of it); absent: (0, 0) */
  readonly at?: readonly [number, number];
  /** output pixel (oy, ox) of this op is pixel at + (oy·sy, ox·sx) of the output tensor (upsampling phases); absent: (1, 1) */
  readonly step?: readonly [number, number];
  /** table mode: the per-channel step tables that replace requantize + clamp (sigmoid, tanh, …) */
  readonly table?: ChannelTables;
  /** out[n] = bias[n] + Σ over every pixel p of src[p][n] (one term, the source; passes/lower.ts sums the pixels as weight tiles) */
  readonly channelSum?: boolean;
  /**
   * a per-channel product's gate laid out for weight loads (passes/lower-emit.ts emitSpread): out
   * pixel k, channel 0, is channel k of the one-pixel source (read by act entries 1 byte apart)
   */
  readonly spread?: boolean;
  /**
   * a per-channel product (passes/lower-emit.ts): the weights of the one term's diagonal tiles are
   * not constants but loaded from `src`, a spread gate (pixel k = channel k, P = spreadPitch bytes
   * apart), so that tile (ct, nt) is diag(gate) read with stride P − 1; `correction`: the input's zero point
   * term, −zp·gate[c], as `times` matmuls of an act entry of `value`s over those tiles (the bias is 0)
   */
  readonly scaleBy?: { readonly src: string; readonly correction: { readonly value: number; readonly times: number } | null };
  /** the out tensor is the max pool of the oh × ow pixels computed (passes/fuse-ops.ts) */
  readonly pool?: FusedPool;
  /** a batch (passes/batch.ts): the samples' output lines, stacked `pitch` computed lines apart, are stored `outPitch` lines apart in the out tensor */
  readonly samples?: SampleLines;
  /** the residual add (its layer) folded into this op: its shortcut is the last term (passes/weighted-op.ts foldedAdd) */
  readonly foldedAdd?: string;
  /** the model's own multiply-accumulates and weights (for reports) */
  readonly macs: number;
  readonly weights: number;
}

/**
 * A max pool folded into its producer's threshold: `size` windows `strides` apart, the first one
 * `pads` = [top, left] pixels above and left of pixel (0, 0); every window ends inside the oh × ow
 * pixels computed. Windows overlap when a stride is less than the window.
 */
export interface FusedPool {
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number];
}

/** A stored tensor: [h, w, c] with a border of `pads` filled with code `fill`. */
export interface PhysicalTensor {
  readonly name: string;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly params: QuantParams;
  pads: [number, number, number, number];
  fill: number | null;
  /**
   * a per-channel product's gate ('gate': its channels are read as act entries 1 byte apart) or its
   * spread form ('spread': pixels spreadPitch apart, read as diagonal weight tiles): their regions
   * extend past the last pixel, and the bytes no store writes are zeros from the DRAM image on
   */
  role?: 'gate' | 'spread';
  /** a batch (passes/batch.ts): the samples' maps stacked `pitch` padded lines apart, `lines` of each real; the lines between hold `fill` */
  readonly samples?: { readonly pitch: number; readonly lines: number };
}

/** Where a batched op's samples lie: `lines` computed output lines of each real, `pitch` apart; `outPitch` lines apart in its out tensor. */
export interface SampleLines {
  readonly pitch: number;
  readonly lines: number;
  readonly outPitch: number;
}

/** Whether the tensor of this name is one of the program's outputs (kept where the host reads it: not packed, stacked or windowed). */
export function isOutput(gp: GemmProgram, name: string): boolean {
  return gp.outputs.some((o) => o.name === name);
}

export interface GemmProgram {
  readonly input: PhysicalTensor;
  /** The model's outputs (one or more), each a tensor of `tensors`. */
  readonly outputs: readonly PhysicalTensor[];
  readonly tensors: ReadonlyMap<string, PhysicalTensor>;
  readonly ops: readonly GemmOp[];
  /** Samples per inference (passes/batch.ts): each tensor holds them stacked along its lines. Absent: 1. */
  readonly batch?: number;
}
