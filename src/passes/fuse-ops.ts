// SPDX-License-Identifier: MIT
/**
 * Layers folded into the GemmOp that produces their input (passes/gemm.ts asks before lowering
 * them): a max pool into the threshold of its producer (the threshold's pooling mode), and a
 * ReLU-family activation into the residual add before it. Both are exact on the codes.
 */
import type { NodeOf } from '../ir/graph.js';
import type { GemmOp, PhysicalTensor } from './gemm-types.js';

/** The largest window the threshold's poolH/poolW fields (3 bits, window − 1) describe. */
const MAX_POOL_WINDOW = 8;

/** What fusion needs to know about the ops lowered so far. */
export interface FuseCtx {
  readonly ops: GemmOp[];
  /** Consumers of each tensor in the graph, and the graph's outputs (never fused away). */
  readonly uses: ReadonlyMap<string, number>;
  readonly outputs: ReadonlySet<string>;
}

/** The index of the one op that writes tensor `name`, when `name` has no reader but the layer being lowered and is no output; else -1. */
export function soleWriter(ctx: FuseCtx, name: string): number {
  if (ctx.uses.get(name) !== 1 || ctx.outputs.has(name)) return -1;
  let found = -1;
  for (let i = 0; i < ctx.ops.length; i++) {
    if (ctx.ops[i]!.out !== name) continue;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
}

/**
 * A max pool whose windows tile its input (no padding, stride = size, no dilation) folds into its
 * producer's threshold: requantize + clamp is monotone (mult ≥ 0), so the code of the largest
 * accumulator of a window is the largest code — the pool's result, bit for bit. The producer then
 * computes only the pixels the windows cover (oh, ow: multiples of the window) and writes the pooled
 * map. Table activations are not monotone in general, and region or phase ops write other layouts,
 * so those keep the unfused lowering (null).
 */
export function fusedMaxPool(ctx: FuseCtx, node: NodeOf<'pool2d'>, x: PhysicalTensor, out: PhysicalTensor): GemmOp | null {
  const [kh, kw] = node.size;
  const tiles = node.pads.every((p) => p === 0) && node.strides[0] === kh && node.strides[1] === kw && (node.dilations ?? [1, 1]).every((d) => d === 1);
  if (node.kind !== 'max' || !tiles || kh * kw < 2 || kh > MAX_POOL_WINDOW || kw > MAX_POOL_WINDOW) return null;
  const i = soleWriter(ctx, x.name);
  const op = i < 0 ? undefined : ctx.ops[i]!;
  if (op === undefined || op.table !== undefined || op.pool !== undefined || op.at !== undefined || op.step !== undefined || op.channelOffset !== 0 || op.n !== x.c) return null;
  if (x.pads.some((p) => p > 0) || out.h * kh > op.oh || out.w * kw > op.ow || out.h < 1 || out.w < 1) return null;
  const covered = out.h * kh * out.w * kw;
  return { ...op, label: `${op.label}+maxpool${kh}x${kw}`, out: out.name, oh: out.h * kh, ow: out.w * kw, pool: [kh, kw], macs: Math.round((op.macs * covered) / (op.oh * op.ow)) };
}
