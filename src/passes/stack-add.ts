// SPDX-License-Identifier: MIT
/**
 * Stacked residual adds: a + b, two diagonal terms of c channels each, becomes ONE term of 2c weight
 * rows when 2c ≤ R — the later-written input is stored in the other one's pixels at channel offset c
 * (as a concat slice), so one act entry holds both inputs' channels and one matmul per column tile
 * sums them: weights [wa·I; wb·I]. The sum, and so every output code, is the two-term one's.
 */
import { appendTo, maxOf, minOf } from '../ir/graph.js';
import { isOutput, type GemmOp, type GemmProgram, type PhysicalTensor, type Term } from './gemm-types.js';
import { denseMatrix, writeRows } from './weight-matrix.js';

/** Whether a term reads its source pixel for pixel (no shift, no stride, no packed rows). */
const plain = (t: Term): boolean => t.dy === 0 && t.dx === 0 && t.sy === 1 && t.sx === 1 && t.rows === undefined;

/** The ops writing each tensor, by index. */
function writersOf(ops: readonly GemmOp[]): Map<string, number[]> {
  const writers = new Map<string, number[]>();
  ops.forEach((op, i) => appendTo(writers, op.out, i));
  return writers;
}

/** How many terms of every op read each tensor. */
function readsOf(ops: readonly GemmOp[]): Map<string, number> {
  const reads = new Map<string, number>();
  for (const op of ops) for (const t of op.terms) reads.set(t.src, (reads.get(t.src) ?? 0) + 1);
  return reads;
}

/**
 * The add's two inputs as [first, later]: `later` is written only after every write of `first`, is
 * read by this add alone and has no border, so it can live at channel offset c of `first`'s pixels
 * (its stores, C lanes wide, then overwrite `first`'s unused lanes only). Null when the add does not stack.
 */
function stackable(gp: GemmProgram, op: GemmOp, R: number, writers: ReadonlyMap<string, number[]>, reads: ReadonlyMap<string, number>, kept: ReadonlySet<string>): [PhysicalTensor, PhysicalTensor] | null {
  if (!op.label.startsWith('add') || op.terms.length !== 2 || !op.terms.every(plain) || op.samples !== undefined) return null;
  const [a, b] = op.terms.map((t) => gp.tensors.get(t.src)) as [PhysicalTensor | undefined, PhysicalTensor | undefined];
  if (a === undefined || b === undefined || a === b || 2 * a.c > R || b.c !== a.c || op.n !== a.c) return null;
  if (a.h !== b.h || a.w !== b.w || a.h !== op.oh || a.w !== op.ow) return null;
  const wa = writers.get(a.name) ?? [];
  const wb = writers.get(b.name) ?? [];
  if (wa.length === 0 || wb.length === 0) return null;
  const [first, later, wl] = maxOf(wa) < minOf(wb) ? [a, b, wb] : maxOf(wb) < minOf(wa) ? [b, a, wa] : [null, null, []];
  if (first === null || later === null) return null;
  for (const t of [first, later]) if (t.name === gp.input.name || isOutput(gp, t.name) || kept.has(t.name) || t.samples !== undefined) return null;
  if (reads.get(later.name) !== 1 || later.pads.some((p) => p > 0)) return null;
  // the later input's writers fill whole c-channel pixels from channel 0
  if (wl.some((i) => gp.ops[i]!.channelOffset !== 0 || gp.ops[i]!.n !== later.c)) return null;
  return [first, later];
}

/** One term reading `first`'s pixels, 2c lanes: rows 0 … c − 1 its own weights, c … 2c − 1 the later input's. */
function stackedTerm(op: GemmOp, first: PhysicalTensor, c: number): Term {
  const [tf, tl] = op.terms[0]!.src === first.name ? [op.terms[0]!, op.terms[1]!] : [op.terms[1]!, op.terms[0]!];
  const codes = new Int8Array(2 * c * op.n);
  writeRows(tf.matrix, codes, 0, c);
  writeRows(tl.matrix, codes, c * op.n, c);
  return { src: first.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: denseMatrix(codes, op.n), rows: 2 * c };
}

/**
 * Every add that stacks (stackable) becomes one term over its first input's pixels, and the writers
 * of its later input store at channel offset c of those pixels. `kept`: tensors whose layout is fixed
 * (a packed or windowed input).
 */
export function stackAdds(gp: GemmProgram, R: number, kept: ReadonlySet<string> = new Set()): GemmProgram {
  const writers = writersOf(gp.ops);
  const reads = readsOf(gp.ops);
  const ops = [...gp.ops];
  const tensors = new Map(gp.tensors);
  // a tensor holds at most one later input (its lanes c … 2c − 1)
  const hosts = new Set<string>();
  gp.ops.forEach((op, i) => {
    const pair = stackable(gp, op, R, writers, reads, kept);
    if (pair === null) return;
    const [first, later] = pair;
    if (hosts.has(first.name) || hosts.has(later.name) || !tensors.has(later.name)) return;
    hosts.add(first.name);
    for (const w of writers.get(later.name)!) ops[w] = { ...ops[w]!, out: first.name, channelOffset: first.c };
    ops[i] = { ...op, terms: [stackedTerm(op, first, first.c)] };
    tensors.delete(later.name);
  });
  return hosts.size === 0 ? gp : { ...gp, ops, tensors };
}
