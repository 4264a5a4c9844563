// SPDX-License-Identifier: MIT
/**
 * Layers folded into the GemmOp that produces their input (passes/gemm.ts asks before lowering
 * them): a max pool into the threshold of its producer (the threshold's pooling mode), and a
 * ReLU-family activation into the residual add before it. Both are exact on the codes.
 */
import type { NodeOf } from '../ir/graph.js';
import { POOL_GEOMETRY } from '../isa/ops/index.js';
import type { GemmOp, PhysicalTensor } from './gemm-types.js';

/** The largest window the threshold's poolH/poolW fields (3 bits, window − 1) describe. */
export const MAX_POOL_WINDOW = 8;

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
 * A max pool folds into its producer's threshold: requantize + clamp is monotone (mult ≥ 0), so the
 * code of the largest accumulator of a window is the largest code — the pool's result, bit for bit.
 * Windows may overlap (stride < size: the threshold walks them with its stride) and start in a top
 * or left padding (the threshold reads the edge pixel for a padded tap: a duplicate, which never
 * changes a maximum, as the −∞ padding never does); every window must end inside the input (no
 * bottom or right padding is read). The producer then computes only the pixels the windows cover
 * and writes the pooled map. Table activations are not monotone in general, and region or phase
 * ops write other layouts, so those keep the unfused lowering (null), as do geometries the
 * threshold's fields cannot state (POOL_GEOMETRY).
 */
export function fusedMaxPool(ctx: FuseCtx, node: NodeOf<'pool2d'>, x: PhysicalTensor, out: PhysicalTensor, disjointOnly = false): GemmOp | null {
  const [kh, kw] = node.size;
  const [sh, sw] = node.strides;
  const [top, left] = node.pads;
  if (disjointOnly && (sh !== kh || sw !== kw || top !== 0 || left !== 0)) return null;
  const fits = (k: number, s: number, pad: number): boolean => k <= MAX_POOL_WINDOW && s >= 1 && s <= k && pad < k && pad < 1 << Math.min(POOL_GEOMETRY.padTop[1], POOL_GEOMETRY.padLeft[1]);
  const geometry = fits(kh, sh!, top!) && fits(kw, sw!, left!) && (node.dilations ?? [1, 1]).every((d) => d === 1);
  if (node.kind !== 'max' || !geometry || kh * kw < 2) return null;
  const i = soleWriter(ctx, x.name);
  const op = i < 0 ? undefined : ctx.ops[i]!;
  if (op === undefined || op.table !== undefined || op.pool !== undefined || op.at !== undefined || op.step !== undefined || op.channelOffset !== 0 || op.n !== x.c) return null;
  // the lines and pixels the windows cover: up to the last window's end
  const [oh, ow] = [(out.h - 1) * sh! - top! + kh, (out.w - 1) * sw! - left! + kw];
  if (x.pads.some((p) => p > 0) || oh > op.oh || ow > op.ow || out.h < 1 || out.w < 1) return null;
  const stride = sh === kh && sw === kw ? '' : `/${sh}x${sw}`;
  const pool = { size: [kh, kw], strides: [sh!, sw!], pads: [top!, left!] } as const;
  return { ...op, label: `${op.label}+maxpool${kh}x${kw}${stride}`, out: out.name, oh, ow, pool, macs: Math.round((op.macs * oh * ow) / (op.oh * op.ow)) };
}
