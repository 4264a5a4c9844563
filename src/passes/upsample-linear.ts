// SPDX-License-Identifier: MIT
/**
 * Linear (bilinear) upsampling by an integer factor f, as taps with integer weights: output
 * position f·i + r reads source coordinate i + c_r, c_r = (2r + 1 − f)/(2f) (half_pixel) or r/f
 * (asymmetric), clamped to the map, between the two nearest pixels. Every weight is a whole number of
 * 1/(2f), so a phase's taps are integers summing to 2f, and a 2-D phase's products sum to (2f)²:
 * exact on the array, with the division by (2f)² in the requantization. The clamp makes the first
 * or last positions of a phase read one pixel with the whole weight: each phase is cut into runs of
 * positions with the same taps (at most three), one GemmOp per run pair (passes/gemm.ts).
 */

export type LinearMode = 'half_pixel' | 'asymmetric';

/** Taps of one run: output positions f·i + r for i in [from, from + count), reading pixel i + d with weight w. */
export interface LinearRun {
  readonly from: number;
  readonly count: number;
  readonly taps: readonly { readonly d: number; readonly w: number }[];
}

/** The weights' sum along one axis (a tap's w is in units of 1/denominator). */
export const linearDenominator = (f: number): number => 2 * f;

/** The runs of phase r (0 ≤ r < f) over a source of n pixels. */
export function linearRuns(f: number, r: number, n: number, mode: LinearMode): LinearRun[] {
  const den = 2 * f;
  // c_r in units of 1/den: its floor d0 and the weight of d0 + 1
  const num = mode === 'half_pixel' ? 2 * r + 1 - f : 2 * r;
  const d0 = Math.floor(num / den);
  const t = num - d0 * den;
  const runs: LinearRun[] = [];
  for (let i = 0; i < n; i++) {
    const weights = new Map<number, number>();
    const add = (d: number, w: number): void => {
      if (w === 0) return;
      const at = Math.min(n - 1, Math.max(0, i + d)) - i;
      weights.set(at, (weights.get(at) ?? 0) + w);
    };
    add(d0, den - t);
    add(d0 + 1, t);
    const taps = [...weights].sort((a, b) => a[0] - b[0]).map(([d, w]) => ({ d, w }));
    const last = runs[runs.length - 1];
    if (last !== undefined && JSON.stringify(last.taps) === JSON.stringify(taps)) runs[runs.length - 1] = { ...last, count: last.count + 1 };
    else runs.push({ from: i, count: 1, taps });
  }
  return runs;
}

/**
 * Resizing along one axis of n pixels to m per output line (passes/gemm.ts lineResize). align_corners: output o reads
 * source o·(n − 1)/(m − 1), between pixels
 * ⌊·⌋ and the next with weights (D − t, t) in units of 1/D, D = m − 1 (t = o·(n − 1) mod D). The weights do not
 * repeat with a phase, so each output line is its own op (passes/gemm.ts): one pass along W, one along H. A weight
 * over int8's 127 is written as several terms of the same tap (each ≤ 127), so the sums stay exact.
 */
export function lineTaps(n: number, m: number, align: boolean): { den: number; taps: { d: number; w: number }[][] } {
  // nearest (asymmetric, floor): output o is pixel ⌊o·n/m⌋ with the whole weight
  if (!align) return { den: 1, taps: Array.from({ length: m }, (_, o) => [{ d: Math.floor((o * n) / m), w: 1 }]) };
  const den = Math.max(1, m - 1);
  const taps = Array.from({ length: m }, (_, o) => {
    const num = o * (n - 1);
    const i0 = Math.floor(num / den);
    const t = num - i0 * den;
    const split = (d: number, w: number): { d: number; w: number }[] => Array.from({ length: Math.ceil(w / 127) }, (_, k) => ({ d, w: Math.min(127, w - 127 * k) }));
    return [...split(i0, den - t), ...(t > 0 ? split(i0 + 1, t) : [])];
  });
  return { den, taps };
}
