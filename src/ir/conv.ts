// SPDX-License-Identifier: MIT
/**
 * Float convolution for calibration and `nnchip eval` (before the activation). Every output element
 * sums bias, then its in-bounds (ky, kx, ci) terms in plain nested-loop order, so the doubles, and
 * the calibrated scales and emitted programs that follow from them, do not depend on the loop shape.
 */
import type { NodeOf } from './graph.js';

type Shape = readonly number[];

export function convTerms(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [dy, dx] = n.dilations ?? [1, 1];
  return !n.depthwise && dy === 1 && dx === 1 ? blockedConv(n, x, inShape, outShape) : directConv(n, x, inShape, outShape);
}

/**
 * Register-blocked: two neighbouring output pixels (when they have the same in-bounds taps) × four
 * output channels per pass, eight sums in registers. With the kernel laid out [co][ky][kx][ci], a
 * pixel's taps of one kernel row are one contiguous run in the input and in the kernel (dilation 1).
 * Zero inputs are not skipped: adding their ±0 terms changes no sum, except where the direct loop
 * adds them too (non-finite weights, −0 bias), so both give the same doubles.
 */
function blockedConv(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const [h, w] = inShape as [number, number];
  const [oh, ow] = outShape as [number, number];
  const [sy, sx] = n.strides;
  const [pt, pl] = n.pads;
  const K = kh * kw * cin;
  const kT = new Float64Array(K * cout);
  const src = n.kernel.data;
  for (let t = 0; t < K; t++) for (let co = 0; co < cout; co++) kT[co * K + t] = src[t * cout + co]!;
  const bias = Float64Array.from({ length: cout }, (_, c) => n.bias?.data[c] ?? 0);
  const y = new Float64Array(oh * ow * cout);
  const kxRange = (ox: number): [number, number] => [Math.max(0, pl - ox * sx), Math.min(kw, w + pl - ox * sx)];
  for (let oy = 0; oy < oh; oy++) {
    const ky0 = Math.max(0, pt - oy * sy);
    const ky1 = Math.min(kh, h + pt - oy * sy);
    for (let ox = 0; ox < ow; ) {
      const [kx0, kx1] = kxRange(ox);
      const next = ox + 1 < ow ? kxRange(ox + 1) : null;
      const pair = next !== null && next[0] === kx0 && next[1] === kx1;
      const run = (kx1 - kx0) * cin;
      const xNext = pair ? sx * cin : 0; // the second pixel's input is sx pixels on (itself again when alone)
      const y0 = (oy * ow + ox) * cout;
      let co = 0;
      for (; co + 4 <= cout; co += 4) {
        let a0 = bias[co]!, a1 = bias[co + 1]!, a2 = bias[co + 2]!, a3 = bias[co + 3]!; // prettier-ignore
        let b0 = a0, b1 = a1, b2 = a2, b3 = a3; // prettier-ignore
        for (let ky = ky0; ky < ky1; ky++) {
          const xb = ((oy * sy + ky - pt) * w + ox * sx + kx0 - pl) * cin;
          for (let j = 0, xi = xb, wi = co * K + (ky * kw + kx0) * cin; j < run; j++, xi++, wi++) {
            const u = x[xi]!;
            const v = x[xi + xNext]!;
            const w0 = kT[wi]!;
            const w1 = kT[wi + K]!;
            const w2 = kT[wi + 2 * K]!;
            const w3 = kT[wi + 3 * K]!;
            a0 += u * w0;
            a1 += u * w1;
            a2 += u * w2;
            a3 += u * w3;
            b0 += v * w0;
            b1 += v * w1;
            b2 += v * w2;
            b3 += v * w3;
          }
        }
        y[y0 + co] = a0;
        y[y0 + co + 1] = a1;
        y[y0 + co + 2] = a2;
        y[y0 + co + 3] = a3;
        if (pair) {
          y[y0 + cout + co] = b0;
          y[y0 + cout + co + 1] = b1;
          y[y0 + cout + co + 2] = b2;
          y[y0 + cout + co + 3] = b3;
        }
      }
      for (; co < cout; co++) {
        let a = bias[co]!;
        let b = a;
        for (let ky = ky0; ky < ky1; ky++) {
          const xb = ((oy * sy + ky - pt) * w + ox * sx + kx0 - pl) * cin;
          for (let j = 0, xi = xb, wi = co * K + (ky * kw + kx0) * cin; j < run; j++, xi++, wi++) {
            a += x[xi]! * kT[wi]!;
            b += x[xi + xNext]! * kT[wi]!;
          }
        }
        y[y0 + co] = a;
        if (pair) y[y0 + cout + co] = b;
      }
      ox += pair ? 2 : 1;
    }
  }
  return y;
}

/**
 * Direct convolution with hoisted indices (depthwise and dilated convolutions). A zero input is
 * skipped only where that is exact: with finite weights its terms are ±0, and adding ±0 changes no
 * sum unless the sum is −0, which needs a −0 bias.
 */
function directConv(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const [h, w] = inShape as [number, number];
  const [oh, ow, oc] = outShape as [number, number, number];
  const [sy, sx] = n.strides;
  const [dy, dx] = n.dilations ?? [1, 1];
  const [padTop, padLeft] = n.pads;
  const kernel = Float64Array.from(n.kernel.data);
  const skipZeros = kernel.every(Number.isFinite) && !(n.bias?.data.some((b) => Object.is(b, -0)) ?? false);
  const y = new Float64Array(oh * ow * oc);
  for (let p = 0; p < oh * ow; p++) for (let c = 0; c < oc; c++) y[p * oc + c] = n.bias?.data[c] ?? 0;
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const yAt = (oy * ow + ox) * oc;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sy + ky * dy - padTop;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sx + kx * dx - padLeft;
          if (ix < 0 || ix >= w) continue;
          const xAt = (iy * w + ix) * cin;
          const tap = ky * kw + kx;
          if (n.depthwise) {
            for (let ci = 0; ci < cin; ci++) y[yAt + ci]! += x[xAt + ci]! * kernel[tap * cin + ci]!;
            continue;
          }
          for (let ci = 0; ci < cin; ci++) {
            const xv = x[xAt + ci]!;
            if (xv === 0 && skipZeros) continue;
            const wAt = (tap * cin + ci) * cout;
            for (let co = 0; co < cout; co++) y[yAt + co]! += xv * kernel[wAt + co]!;
          }
        }
      }
    }
  return y;
}
