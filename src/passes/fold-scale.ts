// SPDX-License-Identifier: MIT
/**
 * Per-channel scale-and-offset (batchNorm) folded forward into the conv/dense that consumes it:
 * input normalization (x − mean) / std, or a BatchNormalization no earlier layer could absorb.
 * W'[k, n] = W[k, n]·s[c(k)] and b'[n] = b[n] + Σ_k W[k, n]·o[c(k)], where c(k) is the channel
 * input row k reads. Exact only where every tap reads a real pixel: a padded conv sees the
 * padding as 0 before the offset but as −o/s after folding, so it folds only a pure scale.
 */
import { maxOf, minOf, usesOf, type Graph, type Node, type NodeOf } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';

type Weighted = NodeOf<'dense'> | NodeOf<'conv2d'>;

/** The consumer's weights with each input row scaled, and its bias absorbing the offset. */
function absorb(w: Weighted, channelOf: (row: number) => number, bn: NodeOf<'batchNorm'>): Weighted {
  const [kh = 1, kw = 1] = w.op === 'conv2d' ? w.kernel.shape : [];
  const cols = w.op === 'dense' ? w.kernel.shape[1]! : w.depthwise ? w.kernel.shape[2]! : w.kernel.shape[3]!;
  const rowsPerTap = w.op === 'dense' ? w.kernel.shape[0]! : w.kernel.shape[2]!;
  const kernel = Float32Array.from(w.kernel.data);
  const bias = Float32Array.from({ length: cols }, (_, n) => w.bias?.data[n] ?? 0);
  for (let tap = 0; tap < kh * kw; tap++)
    for (let r = 0; r < rowsPerTap; r++) {
      const c = channelOf(r);
      const [s, o] = [bn.scale[c]!, bn.offset[c]!];
      if (w.op === 'conv2d' && w.depthwise) {
        const at = tap * rowsPerTap + r;
        bias[r]! += kernel[at]! * o;
        kernel[at]! *= s;
        continue;
      }
      for (let n = 0; n < cols; n++) {
        const at = (tap * rowsPerTap + r) * cols + n;
        bias[n]! += kernel[at]! * o;
        kernel[at]! *= s;
      }
    }
  return { ...w, kernel: { shape: w.kernel.shape, data: kernel }, bias: { shape: [cols], data: bias } };
}

/**
 * Scaling the consumer's weight rows by very different factors costs int8 precision: its weights
 * are quantized per output channel, so a row scaled down by 1/MAX_SCALE_SPREAD keeps fewer levels.
 * Above that spread the scale stays a layer of its own (exact, one diagonal matmul) — except input
 * normalization, which always folds: the input is then quantized over its own raw range.
 */
export const MAX_SCALE_SPREAD = 4;
function keepsWeightPrecision(bn: NodeOf<'batchNorm'>): boolean {
  const mags = Array.from(bn.scale, (s) => Math.abs(s));
  const lo = minOf(mags);
  return lo > 0 && maxOf(mags) <= MAX_SCALE_SPREAD * lo;
}

export function foldScaleForward(g: Graph): Graph {
  let out = g;
  for (const bn of g.nodes) {
    if (bn.op !== 'batchNorm' || out.outputs.includes(bn.output) || !(bn.inputs[0] === g.inputs[0]?.name || keepsWeightPrecision(bn))) continue;
    const shapes = checkGraph(out);
    const uses = usesOf(out);
    const [user, ...others] = uses.get(bn.output) ?? [];
    if (user === undefined || others.length > 0) continue;
    const shape = shapes.get(bn.inputs[0]!)!;
    const noOffset = bn.offset.every((o) => o === 0);
    let consumer: Weighted | undefined;
    let replaced: Node[] = [user];
    let folded: Weighted | undefined;
    if (user.op === 'conv2d' && (noOffset || user.pads.every((p) => p === 0))) {
      consumer = user;
      folded = absorb(user, (r) => r, bn);
    } else if (user.op === 'dense' && shape.length === 1) {
      consumer = user;
      folded = absorb(user, (r) => r, bn);
    } else if (user.op === 'flatten' && shape.length === 3) {
      const [dense, ...more] = uses.get(user.output) ?? [];
      if (dense?.op !== 'dense' || more.length > 0 || out.outputs.includes(user.output)) continue;
      const [h, w, c] = shape as [number, number, number];
      consumer = dense;
      replaced = [user, dense];
      folded = absorb(dense, (k) => (user.order === 'chw' ? Math.floor(k / (h * w)) : k % c), bn);
    }
    if (consumer === undefined || folded === undefined) continue;
    const rewired = (m: Node): Node => (m.inputs[0] === bn.output ? { ...m, inputs: [bn.inputs[0]!, ...m.inputs.slice(1)] } : m);
    const nodes = out.nodes.flatMap((m): Node[] => (m === bn ? [] : m === consumer ? [rewired(folded)] : replaced.includes(m) ? [rewired(m)] : [m]));
    out = { ...out, nodes };
  }
  return out;
}
