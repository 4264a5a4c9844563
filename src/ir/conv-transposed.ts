// SPDX-License-Identifier: MIT
/**
 * Float transposed convolution for calibration and `nnchip eval`, in float32 as the float runtimes
 * compute it: each output element sums its bias, then the in-bounds (ky, kx, ci) terms that reach it,
 * in that order, each product and sum rounded to float32 (the order conv.ts fixes for a convolution).
 *
 * It runs on conv.ts's WebAssembly convolution, one stride-1 convolution per output phase: the
 * outputs (oy, ox) with (oy + top) mod sy = ry and (ox + left) mod sx = rx are reached by the taps
 * ky = ry + j·sy from input row iy = q − j (q = (oy + top − ry) / sy), so their terms, in ky order,
 * read the input upwards. On the input flipped in both axes they read it downwards, as a convolution
 * does: the phase is a convolution of the flipped input with taps j = 0, 1, … (padded by taps − 1 on
 * each side), output row h − 1 + (taps − 1) − q, and every sum keeps its order. A loop per output
 * element took about an hour of calibration per 66 samples of a full-size U-Net's decoder
 * (2.1 G terms each); this is the convolution's speed.
 */
import { convTerms } from './conv.js';
import type { NodeOf } from './graph.js';

type Shape = readonly number[];

/** One output phase: its taps per axis and the convolution computing it (null: no tap reaches it, the bias alone). */
interface Phase {
  readonly ry: number;
  readonly rx: number;
  readonly taps: readonly [number, number];
  readonly conv: NodeOf<'conv2d'> | null;
}

/** Per node, so the WebAssembly kernel packed for each phase (conv-wasm.ts keys it by node) serves every sample. */
const phasesOf = new WeakMap<NodeOf<'convTranspose'>, readonly Phase[]>();

function phases(n: NodeOf<'convTranspose'>): readonly Phase[] {
  const known = phasesOf.get(n);
  if (known !== undefined) return known;
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const [sy, sx] = n.strides;
  const block = cin * cout;
  const list: Phase[] = [];
  for (let ry = 0; ry < sy; ry++)
    for (let rx = 0; rx < sx; rx++) {
      const [jy, jx] = [Math.max(0, Math.ceil((kh - ry) / sy)), Math.max(0, Math.ceil((kw - rx) / sx))];
      if (jy === 0 || jx === 0) {
        list.push({ ry, rx, taps: [jy, jx], conv: null });
        continue;
      }
      const data = new Float32Array(jy * jx * block);
      for (let ty = 0; ty < jy; ty++)
        for (let tx = 0; tx < jx; tx++) {
          const from = ((ry + ty * sy) * kw + rx + tx * sx) * block;
          data.set(n.kernel.data.subarray(from, from + block), (ty * jx + tx) * block);
        }
      const conv: NodeOf<'conv2d'> = { name: n.name, op: 'conv2d', inputs: n.inputs, output: n.output, kernel: { shape: [jy, jx, cin, cout], data }, bias: n.bias, strides: [1, 1], pads: [jy - 1, jx - 1, jy - 1, jx - 1], depthwise: false, activation: 'linear' };
      list.push({ ry, rx, taps: [jy, jx], conv });
    }
  phasesOf.set(n, list);
  return list;
}

export function transposedConv(n: NodeOf<'convTranspose'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [h, w, cin] = inShape as [number, number, number];
  const [oh, ow, cout] = outShape as [number, number, number];
  const [sy, sx] = n.strides;
  const [top, left] = n.pads;
  const flipped = new Float64Array(x.length);
  for (let iy = 0; iy < h; iy++)
    for (let ix = 0; ix < w; ix++) {
      const from = ((h - 1 - iy) * w + (w - 1 - ix)) * cin;
      flipped.set(x.subarray(from, from + cin), (iy * w + ix) * cin);
    }
  // an output no tap reaches (a kernel narrower than its stride, or past the input) is its bias
  const bias = Float64Array.from({ length: cout }, (_, co) => Math.fround(n.bias?.data[co] ?? 0));
  const y = new Float64Array(oh * ow * cout);
  for (let p = 0; p < oh * ow; p++) y.set(bias, p * cout);
  for (const { ry, rx, taps, conv } of phases(n)) {
    if (conv === null) continue;
    const [ph, pw] = [h + taps[0] - 1, w + taps[1] - 1];
    const z = convTerms(conv, flipped, inShape, [ph, pw, cout]);
    for (let oy = (((ry - top) % sy) + sy) % sy; oy < oh; oy += sy) {
      const o = ph - 1 - (oy + top - ry) / sy;
      if (o < 0) continue;
      for (let ox = (((rx - left) % sx) + sx) % sx; ox < ow; ox += sx) {
        const ow2 = pw - 1 - (ox + left - rx) / sx;
        if (ow2 < 0) continue;
        y.set(z.subarray((o * pw + ow2) * cout, (o * pw + ow2 + 1) * cout), (oy * ow + ox) * cout);
      }
    }
  }
  return y;
}
