// SPDX-License-Identifier: MIT
/**
 * Float convolution for calibration and `nnchip eval` (before the activation), in float32 as the
 * float runtimes compute it: the input rounded to float32, then every output element sums bias,
 * then its in-bounds (ky, kx, ci) terms in plain nested-loop order, each product and each sum
 * rounded to float32. The order is fixed, so the floats, and the calibrated scales and emitted
 * programs that follow from them, depend neither on the loop shape nor on the machine.
 */
import { convWith, DEPTHWISE_DESCRIPTOR_BYTES, DESCRIPTOR_BYTES, GROUP } from './conv-wasm.js';
import type { NodeOf } from './graph.js';

type Shape = readonly number[];

export function convTerms(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [dy, dx] = n.dilations ?? [1, 1];
  if (n.depthwise) return outShape[2] === inShape[2] && n.kernel.data.length === n.kernel.shape[0]! * n.kernel.shape[1]! * inShape[2]! ? depthwiseConv(n, x, inShape, outShape) : directConv(n, x, inShape, outShape);
  return dy === 1 && dx === 1 ? blockedConv(n, x, inShape, outShape) : directConv(n, x, inShape, outShape);
}

/** Kernel rows (taps) packed per block: a block of the [K][cout] kernel stays in cache while each group's slice of it is copied. */
const PACK_ROWS = 64;

/** The bias padded to whole groups of GROUP channels, then the kernel as [group][ky][kx][ci][GROUP] (zero-padded channels). */
function packKernel(n: NodeOf<'conv2d'>, p: Float32Array): void {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const K = kh * kw * cin;
  const groups = Math.ceil(cout / GROUP);
  // every float is written below when the channels fill whole groups
  if (cout % GROUP !== 0) p.fill(0);
  for (let co = 0; co < cout; co++) p[co] = n.bias?.data[co] ?? 0;
  const src = n.kernel.data;
  const base = groups * GROUP;
  for (let t0 = 0; t0 < K; t0 += PACK_ROWS) {
    const t1 = Math.min(K, t0 + PACK_ROWS);
    for (let g = 0; g < groups; g++) {
      const lanes = Math.min(GROUP, cout - g * GROUP);
      for (let t = t0, at = base + (g * K + t0) * GROUP; t < t1; t++, at += GROUP) for (let l = 0, from = t * cout + g * GROUP; l < lanes; l++) p[at + l] = src[from + l]!;
    }
  }
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Blocked (conv-wasm.ts): two neighbouring output pixels (when they have the same in-bounds taps)
 * × sixteen output channels per pass. With the kernel laid out [group][ky][kx][ci][channel], a
 * pixel's taps of one kernel row are one contiguous run in the input and in the kernel (dilation 1).
 * Zero inputs are not skipped (leaving out ReLU zeros through a term list measured slower): adding
 * their ±0 terms changes no sum, except where the direct loop adds them too (non-finite weights,
 * −0 bias), so both give the same floats.
 */
function blockedConv(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const [h, w] = inShape as [number, number];
  const [oh, ow] = outShape as [number, number];
  const [sy, sx] = n.strides;
  const [pt, pl] = n.pads;
  const K = kh * kw * cin;
  const groups = Math.ceil(cout / GROUP);
  const padded = groups * GROUP; // output channels as computed (a whole number of groups)
  const xBytes = align16(h * w * cin * 4);
  const yBytes = oh * ow * padded * 4;
  const descBytes = oh * ow * DESCRIPTOR_BYTES;
  const wasm = convWith(n, padded * (1 + K), (p) => packKernel(n, p), xBytes + yBytes + descBytes);
  const xAt = wasm.scratchAt;
  const yAt = xAt + xBytes;
  const descAt = yAt + yBytes;
  new Float32Array(wasm.memory, xAt, x.length).set(x); // rounds each input to float32
  const desc = new Int32Array(wasm.memory, descAt, (oh * ow * DESCRIPTOR_BYTES) / 4);
  let count = 0;
  const kxRange = (ox: number): [number, number] => [Math.max(0, pl - ox * sx), Math.min(kw, w + pl - ox * sx)];
  for (let oy = 0; oy < oh; oy++) {
    const ky0 = Math.max(0, pt - oy * sy);
    const ky1 = Math.min(kh, h + pt - oy * sy);
    for (let ox = 0; ox < ow; ) {
      const [kx0, kx1] = kxRange(ox);
      const next = ox + 1 < ow ? kxRange(ox + 1) : null;
      const pair = next !== null && next[0] === kx0 && next[1] === kx1;
      const d = (count++ * DESCRIPTOR_BYTES) / 4;
      desc[d] = xAt + ((oy * sy + ky0 - pt) * w + ox * sx + kx0 - pl) * cin * 4;
      desc[d + 1] = pair ? sx * cin * 4 : 0;
      desc[d + 2] = Math.max(0, ky1 - ky0);
      desc[d + 3] = Math.max(0, kx1 - kx0) * cin * 4;
      desc[d + 4] = (ky0 * kw + kx0) * cin * GROUP * 4;
      desc[d + 5] = yAt + (oy * ow + ox) * padded * 4;
      desc[d + 6] = pair ? padded * 4 : 0;
      ox += pair ? 2 : 1;
    }
  }
  wasm.conv(descAt, count, w * cin * 4, kw * cin * GROUP * 4, wasm.kernelAt + padded * 4, K * GROUP * 4, groups, wasm.kernelAt);
  const computed = new Float32Array(wasm.memory, yAt, oh * ow * padded);
  if (padded === cout) return Float64Array.from(computed);
  const y = new Float64Array(oh * ow * cout);
  for (let p = 0; p < oh * ow; p++) y.set(computed.subarray(p * padded, p * padded + cout), p * cout);
  return y;
}

/** Channels per f32x4 vector of the depthwise kernel. */
const LANES = 4;

/**
 * Depthwise (conv-wasm.ts `depthwise`): per output pixel, its in-bounds taps (a rectangle: the
 * rows and columns of a strided, dilated window inside the input are runs), four channels a
 * vector, each term one float32 multiply and one float32 add in (ky, kx) order: directConv's
 * depthwise loop, vectorized over channels (which never mix). MobileNet-like models' depthwise
 * layers were most of their calibration (the TF.js hand skeleton model: 38 of 53 s).
 */
function depthwiseConv(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [kh, kw] = n.kernel.shape as [number, number];
  const [h, w, cin] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number];
  const [sy, sx] = n.strides;
  const [dy, dx] = n.dilations ?? [1, 1];
  const [pt, pl] = n.pads;
  const vecs = Math.ceil(cin / LANES);
  const cp = vecs * LANES; // channels as stored: whole vectors
  const xBytes = h * w * cp * 4;
  const yBytes = oh * ow * cp * 4;
  const pack = (p: Float32Array): void => {
    // the bias, then the kernel as [ky][kx][channel], padded channels 0
    if (cp !== cin) p.fill(0);
    for (let c = 0; c < cin; c++) p[c] = n.bias?.data[c] ?? 0;
    const k = n.kernel.data;
    for (let tap = 0; tap < kh * kw; tap++) for (let c = 0; c < cin; c++) p[cp + tap * cp + c] = k[tap * cin + c]!;
  };
  const wasm = convWith(n, cp * (1 + kh * kw), pack, xBytes + yBytes + oh * ow * DEPTHWISE_DESCRIPTOR_BYTES);
  const xAt = wasm.scratchAt;
  const yAt = xAt + xBytes;
  const descAt = yAt + yBytes;
  // the input rounded to float32, each pixel's channels padded with zeros
  const xs = new Float32Array(wasm.memory, xAt, h * w * cp);
  if (cp === cin) xs.set(x);
  else for (let p = 0; p < h * w; p++) for (let c = 0; c < cp; c++) xs[p * cp + c] = c < cin ? x[p * cin + c]! : 0;
  const desc = new Int32Array(wasm.memory, descAt, (oh * ow * DEPTHWISE_DESCRIPTOR_BYTES) / 4);
  // the taps k with 0 ≤ o·s + k·d − pad < size: [first, last) of 0 … taps
  const inside = (o: number, s: number, d: number, pad: number, taps: number, size: number): [number, number] => {
    let [a, b] = [0, taps];
    while (a < b && o * s + a * d - pad < 0) a++;
    while (b > a && o * s + (b - 1) * d - pad >= size) b--;
    return [a, b];
  };
  for (let oy = 0, at = 0; oy < oh; oy++) {
    const [ky0, ky1] = inside(oy, sy, dy, pt, kh, h);
    for (let ox = 0; ox < ow; ox++, at += DEPTHWISE_DESCRIPTOR_BYTES / 4) {
      const [kx0, kx1] = inside(ox, sx, dx, pl, kw, w);
      desc[at] = xAt + ((oy * sy + ky0 * dy - pt) * w + ox * sx + kx0 * dx - pl) * cp * 4;
      desc[at + 1] = ky1 - ky0;
      desc[at + 2] = kx1 - kx0;
      desc[at + 3] = (ky0 * kw + kx0) * cp * 4;
      desc[at + 4] = yAt + (oy * ow + ox) * cp * 4;
    }
  }
  wasm.depthwise(descAt, oh * ow, vecs, dy * w * cp * 4, dx * cp * 4, kw * cp * 4, wasm.kernelAt, wasm.kernelAt + cp * 4);
  const computed = new Float32Array(wasm.memory, yAt, oh * ow * cp);
  if (cp === cin) return Float64Array.from(computed);
  const y = new Float64Array(oh * ow * cin);
  for (let p = 0; p < oh * ow; p++) for (let c = 0; c < cin; c++) y[p * cin + c] = computed[p * cp + c]!;
  return y;
}

/** Whether leaving out a zero input's terms gives the same sums: finite weights (no ∞·0) and no −0 bias (the only way to a −0 sum). */
function zeroTermsExact(n: NodeOf<'conv2d'>): boolean {
  return n.kernel.data.every(Number.isFinite) && !(n.bias?.data.some((b) => Object.is(b, -0)) ?? false);
}

/**
 * Direct convolution with hoisted indices (dilated convolutions; a depthwise one whose kernel is not one per channel), float32 like the
 * blocked one: Math.fround after each double multiply and add gives exactly float32's rounding (a
 * product of two floats is exact in a double, and a double sum of two floats rounded to float32
 * is the correctly rounded float32 sum). A zero input is skipped only where that is exact: with
 * finite weights its terms are ±0, and adding ±0 changes no sum unless the sum is −0, which needs
 * a −0 bias.
 */
function directConv(n: NodeOf<'conv2d'>, x: Float64Array, inShape: Shape, outShape: Shape): Float64Array {
  const [kh, kw, cin, cout] = n.kernel.shape as [number, number, number, number];
  const [h, w] = inShape as [number, number];
  const [oh, ow, oc] = outShape as [number, number, number];
  const [sy, sx] = n.strides;
  const [dy, dx] = n.dilations ?? [1, 1];
  const [padTop, padLeft] = n.pads;
  const kernel = Float64Array.from(n.kernel.data, Math.fround);
  const f = Math.fround;
  const skipZeros = zeroTermsExact(n);
  const y = new Float64Array(oh * ow * oc);
  for (let p = 0; p < oh * ow; p++) for (let c = 0; c < oc; c++) y[p * oc + c] = f(n.bias?.data[c] ?? 0);
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
            for (let ci = 0; ci < cin; ci++) y[yAt + ci] = f(y[yAt + ci]! + f(f(x[xAt + ci]!) * kernel[tap * cin + ci]!));
            continue;
          }
          for (let ci = 0; ci < cin; ci++) {
            const xv = f(x[xAt + ci]!);
            if (xv === 0 && skipZeros) continue;
            const wAt = (tap * cin + ci) * cout;
            for (let co = 0; co < cout; co++) y[yAt + co] = f(y[yAt + co]! + f(xv * kernel[wAt + co]!));
          }
        }
      }
    }
  return y;
}
