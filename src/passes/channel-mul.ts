// SPDX-License-Identifier: MIT
/**
 * y = x · g per channel with g computed in the network (squeeze-excite's gate, IR channelMul) →
 * two GemmOps, no new instruction. The gate's parameters are symmetric (passes/quantize.ts), the
 * weights' format. First its spread: channel k of the one-pixel gate to pixel k of a one-channel
 * tensor (lower-emit.ts emitSpread), which lower-emit.ts loads back as the diagonal weight tiles of
 * the product: a matmul of x by diag(g), exact int32 sums at scale s_x·s_g, requantized as any layer
 * (docs/hardware.md, docs/numerics.md). x's zero point adds −zp_x·g[c] to every sum: `correction`
 * matmuls of a constant act entry over the same tiles.
 */
import { NnchipError } from '../diagnostics/error.js';
import { INT8_MAX } from '../isa/numerics.js';
import type { GemmOp, PhysicalTensor, Term } from './gemm-types.js';
import { uniformDiagonal, type WeightMatrix } from './weight-matrix.js';

/** passes/gemm.ts's op of diagonal integer weights, and its diagonal matrix. */
type DiagonalOp = (layer: string, label: string, out: PhysicalTensor, terms: Term[], accScale: number, biasPerChannel: number) => GemmOp;
type Diagonal = (c: number, w: number) => WeightMatrix;

export function channelProduct(layer: string, x: PhysicalTensor, g: PhysicalTensor, out: PhysicalTensor, tensors: Map<string, PhysicalTensor>, diagonalOp: DiagonalOp, diag: Diagonal): GemmOp[] {
  if (g.h * g.w !== 1 || g.c !== x.c) throw new NnchipError('NN305', `the gate of a per-channel product must be a vector of the ${x.c} channels (it is stored as ${g.h}x${g.w}x${g.c})`, { layer });
  if (g.params.zp !== 0) throw new NnchipError('NN305', `the gate "${g.name}" of a per-channel product is also read with a zero point`, { layer });
  g.role = 'gate';
  const spread: PhysicalTensor = { name: `${layer}/gate`, h: 1, w: g.c, c: 1, params: { scale: g.params.scale, zp: 0 }, pads: [0, 0, 0, 0], fill: null, role: 'spread' };
  tensors.set(spread.name, spread);
  // g.c × 1: channel 0 to column 0 (act entry k starts at channel k)
  const pick = uniformDiagonal(g.c, 1, 1);
  const spreadOp = diagonalOp(layer, 'gate-spread', spread, [{ src: g.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: pick }], g.params.scale, 0);
  // −zp_x: 128 (x after a ReLU) is not an int8 code, so two matmuls of 64
  const v = -x.params.zp;
  const correction = v === 0 ? null : v <= INT8_MAX ? { value: v, times: 1 } : { value: v / 2, times: 2 };
  const product = diagonalOp(layer, 'channel-mul', out, [{ src: x.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: diag(x.c, 1) }], x.params.scale * g.params.scale, 0);
  // the spread moves the gate's codes: no multiply-accumulate of the model's own
  return [{ ...spreadOp, spread: true, macs: 0 }, { ...product, scaleBy: { src: spread.name, correction } }];
}
