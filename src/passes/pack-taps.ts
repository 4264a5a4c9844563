// SPDX-License-Identifier: MIT
/**
 * Tap packing: when the network's input has fewer channels c than the array has rows R, it is
 * stored with its pixels c bytes apart, so the R bytes of one act entry hold ⌊R/c⌋ adjacent pixels
 * (the DMA reads overlapping rows: im2col along x for free). Terms of an op that read x-adjacent
 * pixels of the same input line then merge into one term of G·c weight rows (G ≤ ⌊R/c⌋), and one
 * matmul reduces over G taps × c channels instead of c. The entry's lanes past G·c meet zero weights.
 * Only the input is packed: it is written by the host, never by a C-lane store, which would spill
 * into the next pixel.
 */
import type { GemmOp, GemmProgram, Term } from './gemm.js';

export interface Packing {
  readonly gp: GemmProgram;
  /** packed tensors and their pixel stride in bytes (their channel count) */
  readonly stride: ReadonlyMap<string, number>;
}

export function packTaps(gp: GemmProgram, R: number): Packing {
  const x = gp.input;
  const perEntry = Math.floor(R / x.c);
  if (perEntry < 2 || gp.output.name === x.name || (gp.batch ?? 1) > 1) return { gp, stride: new Map() };
  const ops = gp.ops.map((op) => packOp(op, x.name, x.c, perEntry));
  if (ops.every((op, i) => op === gp.ops[i])) return { gp, stride: new Map() };
  return { gp: { ...gp, ops }, stride: new Map([[x.name, x.c]]) };
}

/** The op with each run of x-adjacent terms on `src` (same line, same strides) merged, at most `perEntry` per run. */
function packOp(op: GemmOp, src: string, c: number, perEntry: number): GemmOp {
  const lines = new Map<string, Term[]>();
  for (const t of op.terms) {
    if (t.src !== src || t.rows !== undefined) continue;
    const key = `${t.dy},${t.sy},${t.sx}`;
    lines.set(key, [...(lines.get(key) ?? []), t]);
  }
  const merged = new Map<Term, Term | null>();
  for (const terms of lines.values()) {
    const byX = [...terms].sort((a, b) => a.dx - b.dx);
    for (let i = 0; i < byX.length; ) {
      let g = 1;
      while (g < perEntry && i + g < byX.length && byX[i + g]!.dx === byX[i]!.dx + g) g++;
      if (g > 1) {
        const run = byX.slice(i, i + g);
        run.forEach((t, j) => merged.set(t, j === 0 ? mergeRun(run, c, op.n) : null));
      }
      i += g;
    }
  }
  if (merged.size === 0) return op;
  const terms = op.terms.flatMap((t) => (merged.has(t) ? (merged.get(t) === null ? [] : [merged.get(t)!]) : [t]));
  return { ...op, terms };
}

/** One term reading pixels dx .. dx + G − 1 as one entry: weight row j·c + k is pixel j's channel k. */
function mergeRun(run: readonly Term[], c: number, n: number): Term {
  const matrix = new Int8Array(run.length * c * n);
  run.forEach((t, j) => matrix.set(t.matrix.subarray(0, c * n), j * c * n));
  return { ...run[0]!, matrix, rows: run.length * c };
}
