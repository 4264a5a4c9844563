// SPDX-License-Identifier: MIT
/**
 * Tap packing: a tensor of fewer channels c than the array has rows R is stored with its pixels c
 * bytes apart, so the R bytes of one act entry hold ⌊R/c⌋ adjacent pixels (the DMA reads overlapping
 * rows: im2col along x for free). Terms of an op that read x-adjacent pixels of the same input line
 * then merge into one term of G·c weight rows (G ≤ ⌊R/c⌋), and one matmul reduces over G taps × c
 * channels instead of c. The entry's lanes past G·c meet zero weights.
 *
 * The network's input is written by the host. A tensor an op computes is written by C-lane stores,
 * which spill C − c bytes past each pixel; it is packed only where that spill is harmless
 * (`storesPacked`): its one writer stores its pixels in address order (one column tile, no concat
 * slice, no region or phase of another tensor, no batch), so each pixel's own store comes last and
 * the last one's spill lands in the slack after the tensor (lower-dram.ts); and the lanes past its c
 * channels hold clamp(zp, lo, hi) (zero weights, bias and multiplier there; no step table), which
 * is the code its border holds, so a spill into the border writes what is there.
 */
import { appendTo } from '../ir/graph.js';
import type { ArrayConfig } from '../isa/config.js';
import { isOutput, type GemmOp, type GemmProgram, type PhysicalTensor, type Term } from './gemm-types.js';
import { sourcesOf, type SourceGeometry, type SourceWindow } from './lower-tiling.js';
import { groupOf, groupPixels, pixelwise, plainGemm } from './group-pixels.js';
import { denseMatrix, writeRows } from './weight-matrix.js';

export interface Packing {
  readonly gp: GemmProgram;
  /** packed tensors and their pixel stride in bytes (their channel count) */
  readonly stride: ReadonlyMap<string, number>;
}

export function packTaps(gp: GemmProgram, R: number, C: number): Packing {
  const writers = new Map<string, GemmOp[]>();
  // the ops reading each map, by index (a search of every op per map was quadratic: a pool of
  // thousands of ops took minutes)
  const readers = new Map<string, number[]>();
  gp.ops.forEach((op, i) => {
    appendTo(writers, op.out, op);
    for (const src of new Set(op.terms.map((t) => t.src))) appendTo(readers, src, i);
  });
  const tensors = new Map<string, PhysicalTensor>([[gp.input.name, gp.input], ...gp.tensors]);
  // the maps that may be packed: the input, and computed maps whose stores may overlap, read by plain ops only
  const packable = new Set<string>();
  for (const t of tensors.values()) {
    if (Math.floor(R / t.c) < 2 || isOutput(gp, t.name)) continue;
    const plainReaders = (readers.get(t.name) ?? []).every((i) => plainGemm(gp.ops[i]!));
    if (t === gp.input || (plainReaders && storesPacked(t, writers.get(t.name) ?? [], C))) packable.add(t.name);
  }
  const stride = new Map<string, number>();
  const ops = [...gp.ops];
  const merge = (t: PhysicalTensor): boolean => {
    let merged = false;
    for (const i of readers.get(t.name) ?? []) {
      const next = packOp(ops[i]!, t.name, t.c, Math.floor(R / t.c));
      if (next !== ops[i]) [ops[i], merged] = [next, true];
    }
    return merged;
  };
  // packed where some reader merges taps on it
  for (const name of packable) if (merge(tensors.get(name)!)) stride.set(name, tensors.get(name)!.c);
  // and where a pixelwise op on it and its other maps computes pixel groups (group-pixels.ts)
  const channels = (name: string): number => tensors.get(name)!.c;
  const grouped: string[] = [];
  ops.forEach((op, i) => {
    const maps = [op.out, ...op.terms.map((t) => t.src)];
    if (!pixelwise(op, channels) || !maps.every((m) => packable.has(m))) return;
    const g = groupOf(op, op.terms.map((t) => channels(t.src)), R, C);
    if (g < 2) return;
    for (const m of maps) if (!stride.has(m)) (stride.set(m, channels(m)), grouped.push(m));
    ops[i] = groupPixels(op, g);
  });
  // the maps packed for a group: their other readers merge taps on them too
  for (const name of grouped) merge(tensors.get(name)!);
  return stride.size === 0 ? { gp, stride } : { gp: { ...gp, ops }, stride };
}

/**
 * The program with its taps packed and each op's sources as they will be stored, for the checks that
 * tile every op before lowering (lower.ts checkTiles, lower-budget.ts): no DRAM placed.
 */
export function packedSources(gp: GemmProgram, cfg: ArrayConfig): { gp: GemmProgram; sourcesOf: (op: GemmOp) => Map<string, SourceWindow> } {
  const { gp: packed, stride } = packTaps(gp, cfg.rows, cfg.cols);
  const geometry = new Map<string, SourceGeometry>();
  for (const t of packed.tensors.values()) geometry.set(t.name, { t, stride: stride.get(t.name) ?? 0, wp: t.w + t.pads[1] + t.pads[3] });
  // one set for every op (a set per op was quadratic once computed maps are packed: thousands of them)
  const packedMaps = new Set(stride.keys());
  return { gp: packed, sourcesOf: (op) => sourcesOf(op, geometry, cfg.rows, packedMaps) };
}

/**
 * Whether a computed tensor may be stored packed (pixels c bytes apart, its writer's C-lane stores
 * overlapping): see the file comment.
 */
function storesPacked(t: PhysicalTensor, writers: readonly GemmOp[], C: number): boolean {
  const [w] = writers;
  if (writers.length !== 1 || w === undefined || t.role !== undefined || t.samples !== undefined || t.c > C) return false;
  if (w.channelOffset !== 0 || w.n !== t.c || w.at !== undefined || w.step !== undefined || w.table !== undefined || w.samples !== undefined) return false;
  if (!plainGemm(w)) return false;
  const spill = Math.min(w.hi, Math.max(w.lo, w.zp));
  return !t.pads.some((p) => p > 0) || t.fill === spill;
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
