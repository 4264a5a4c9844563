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
import { appendTo } from '../ir/graph.js';
import type { GemmOp, GemmProgram, Term } from './gemm-types.js';
import { denseMatrix, writeRows } from './weight-matrix.js';

export interface Packing {
  readonly gp: GemmProgram;
  /** packed tensors and their pixel stride in bytes (their channel count) */
  readonly stride: ReadonlyMap<string, number>;
}

export function packTaps(gp: GemmProgram, R: number): Packing {
  const x = gp.input;
  const perEntry = Math.floor(R / x.c);
  if (perEntry < 2 || gp.output.name === x.name) return { gp, stride: new Map() };
  const ops = gp.ops.map((op) => packOp(op, x.name, x.c, perEntry));
  if (ops.every((op, i) => op === gp.ops[i])) return { gp, stride: new Map() };
  return { gp: { ...gp, ops }, stride: new Map([[x.name, x.c]]) };
}

/** The op with each run of x-adjacent terms on `src` (same line, same strides) merged, at most `perEntry` per run. */
function packOp(op: GemmOp, src: string, c: number, perEntry: number): GemmOp {
  // a per-channel product's tiles are its gate's, diagonal; a gate is read as its channels
  if (op.scaleBy !== undefined || op.spread) return op;
  const lines = new Map<string, Term[]>();
  for (const t of op.terms) {
    if (t.src !== src || t.rows !== undefined) continue;
    const key = `${t.dy},${t.sy},${t.sx}`;
    appendTo(lines, key, t);
  }
  const merged = new Map<Term, Term | null>();
  for (const terms of lines.values()) {
    const byX = [...terms].sort((a, b) => a.dx - b.dx);
    for (let i = 0; i < byX.length; ) {
      let run = 1;
      while (i + run < byX.length && byX[i + run]!.dx === byX[i]!.dx + run) run++;
      const g = groupSize(run, perEntry, byX[i]!.sx);
      for (let j = i; j < i + run; j += g) {
        const group = byX.slice(j, Math.min(j + g, i + run));
        if (group.length > 1) group.forEach((t, k) => merged.set(t, k === 0 ? mergeRun(group, c, op.n) : null));
      }
      i += run;
    }
  }
  if (merged.size === 0) return op;
  const terms = op.terms.flatMap((t) => (merged.has(t) ? (merged.get(t) === null ? [] : [merged.get(t)!]) : [t]));
  return { ...op, terms };
}

/**
 * Taps per merged term for a run of `run` x-adjacent taps: as few groups as ⌊R/c⌋ allows, and among
 * the sizes that keep that count, the one whose groups start at the fewest x phases (mod the stride
 * sx): a strided read then loads fewer act entries per line (lower-tiling.ts), so more lines fit.
 */
function groupSize(run: number, perEntry: number, sx: number): number {
  const groups = Math.ceil(run / perEntry);
  let best = Math.min(run, perEntry);
  let fewest = Infinity;
  for (let g = best; g >= Math.ceil(run / groups); g--) {
    const phases = new Set(Array.from({ length: groups }, (_, i) => (i * g) % sx)).size;
    if (phases < fewest) [best, fewest] = [g, phases];
  }
  return best;
}

/** One term reading pixels dx .. dx + G − 1 as one entry: weight row j·c + k is pixel j's channel k. */
function mergeRun(run: readonly Term[], c: number, n: number): Term {
  const codes = new Int8Array(run.length * c * n);
  run.forEach((t, j) => writeRows(t.matrix, codes, j * c * n, c));
  return { ...run[0]!, matrix: denseMatrix(codes, n), rows: run.length * c };
}
