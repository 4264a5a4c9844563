// SPDX-License-Identifier: MIT
/**
 * The input stored as its first convolution's windows (im2col): row r = output pixel (oy, ox) of
 * that convolution holds the kh·kw·c codes of its window, tap (ky, kx) major and channel minor,
 * with the code of real 0 (the zero point) where the window reads the convolution's padding. The
 * first layer then reduces over the whole window on the array's rows (⌈kh·kw·c / R⌉ folds)
 * instead of one tap (or one x-run of taps) per matmul. The one owner of this layout: every back
 * end turns input codes into stored rows through storedInputRows (the WASM module runs the same
 * walk in its own code, backends/wasm/kernels/windows.ts). Self-contained on purpose.
 */

/** How the input's codes [h, w, c] (the tensor's shape) become its stored rows. */
export interface InputWindows {
  /** kernel taps [kh, kw] */
  readonly kernel: readonly [number, number];
  /** window step between output pixels [sy, sx] */
  readonly strides: readonly [number, number];
  /** tap spacing [dh, dw] */
  readonly dilations: readonly [number, number];
  /** input pixel of output pixel (0, 0)'s tap (0, 0) is (−top, −left) */
  readonly pads: readonly [number, number];
  /** stored rows (output pixels), `width` per output line */
  readonly rows: number;
  readonly width: number;
  /** bytes between stored rows of a line (≥ kh·kw·c) and between lines */
  readonly rowStride: number;
  readonly lineStride: number;
}

/** Stored bytes per row: one window. */
export function windowBytes(win: InputWindows, channels: number): number {
  return win.kernel[0] * win.kernel[1] * channels;
}

/**
 * One piece of the stored rows: `count` consecutive rows of one output line from stored row `row`
 * on, each getting `bytes` bytes at byte `lane` of the row: the input codes from index `src` on,
 * `srcStep` more per row, or (src −1: the window reads padding there) the zero point's code.
 */
export interface WindowSegment {
  readonly row: number;
  readonly lane: number;
  readonly count: number;
  readonly bytes: number;
  readonly src: number;
  readonly srcStep: number;
}

/** The stored rows as segments, one tap and output line at a time (what windowRows writes and the WASM module copies). */
export function windowSegments(win: InputWindows, shape: readonly number[]): WindowSegment[] {
  const [h = 1, w = 1, c = 1] = shape;
  const [kh, kw] = win.kernel;
  const [sy, sx] = win.strides;
  const [dh, dw] = win.dilations;
  const [top, left] = win.pads;
  const ow = win.width;
  const out: WindowSegment[] = [];
  const piece = (row: number, lane: number, count: number, src: number): void => void (count > 0 && out.push({ row, lane, count, bytes: c, src, srcStep: src < 0 ? 0 : sx * c }));
  for (let line = 0; line * ow < win.rows; line++) {
    const r0 = line * ow;
    const n = Math.min(ow, win.rows - r0);
    for (let ky = 0; ky < kh; ky++) {
      const iy = line * sy + ky * dh - top;
      for (let kx = 0; kx < kw; kx++) {
        const lane = (ky * kw + kx) * c;
        const x0 = kx * dw - left;
        // output pixels ox in [a, b) read input x = ox·sx + x0 inside [0, w)
        const a = iy < 0 || iy >= h ? n : Math.min(n, Math.max(0, Math.ceil(-x0 / sx)));
        const b = iy < 0 || iy >= h ? n : Math.max(a, Math.min(n, Math.floor((w - 1 - x0) / sx) + 1));
        piece(r0, lane, a, -1);
        piece(r0 + a, lane, b - a, (iy * w + a * sx + x0) * c);
        piece(r0 + b, lane, n - b, -1);
      }
    }
  }
  return out;
}

/** windowSegments, kept per windows object: the interpreter writes one input per run (`--prove` on many samples). */
const segmentCache = new WeakMap<InputWindows, { shape: string; segments: WindowSegment[] }>();

function segmentsOf(win: InputWindows, shape: readonly number[]): WindowSegment[] {
  const key = shape.join(',');
  let hit = segmentCache.get(win);
  if (hit === undefined || hit.shape !== key) segmentCache.set(win, (hit = { shape: key, segments: windowSegments(win, shape) }));
  return hit.segments;
}

/**
 * Input codes [h, w, c] (pixel-major) → the stored rows, kh·kw·c codes each, back to back; taps
 * outside the input hold `zp`.
 */
export function windowRows(win: InputWindows, shape: readonly number[], codes: Int8Array, zp: number): Int8Array {
  const K = windowBytes(win, shape[2] ?? 1);
  const out = new Int8Array(win.rows * K);
  for (const s of segmentsOf(win, shape)) {
    for (let i = 0; i < s.count; i++) {
      const at = (s.row + i) * K + s.lane;
      if (s.src < 0) out.fill(zp, at, at + s.bytes);
      else {
        // a byte loop, not a subarray view per row: segments are often one pixel of one byte (28×28×1)
        const from = s.src + i * s.srcStep;
        for (let b = 0; b < s.bytes; b++) out[at + b] = codes[from + b]!;
      }
    }
  }
  return out;
}
