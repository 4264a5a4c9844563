// SPDX-License-Identifier: MIT
/**
 * Tiling of one GemmOp: which input lines (and, for a packed input read with a stride, which x
 * phases) its terms read, and how many output lines one tile takes so that the act, acc and out
 * buffers hold them. Refuses (NN403) a layer whose single output line does not fit.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import { pooledCount } from '../isa/ops/index.js';
import type { GemmOp } from './gemm-types.js';
import { ceilDiv, type Placed } from './lower-dram.js';

/** Where a tensor's pixels sit, as far as tiling needs: channels, pixel stride, padded width, left pad. */
export type SourceGeometry = Pick<Placed, 'stride' | 'wp'> & { readonly t: { readonly c: number; readonly pads: readonly number[] } };

export interface SourceWindow<P extends SourceGeometry = SourceGeometry> {
  readonly p: P;
  readonly sy: number;
  readonly minDy: number;
  readonly maxDy: number;
  readonly minDx: number;
  readonly maxDx: number;
  /** every term of the op on this source steps x by `sx` */
  readonly sameSx: boolean;
  /** channel tiles: act entries per pixel */
  readonly ct: number;
  /**
   * A packed input read with x stride sx > 1 keeps only the pixels its terms start at: the x phases
   * (padded x mod sx) listed here, each line ⌈wp / sx⌉ entries per phase. Null: every pixel of a line.
   */
  readonly phases: readonly number[] | null;
  readonly sx: number;
  /**
   * A source read by one tap with a stride (a 1×1 stride-2 shortcut) keeps only the pixels that tap
   * reads: `ow` entries per output line, its lines sy apart skipped too, so one matmul streams the
   * tile's rows densely. Null: whole lines (or phases).
   */
  readonly tapPixels: number | null;
}

/** Act entries one input line of the source takes. */
export function lineEntries(s: SourceWindow): number {
  if (s.tapPixels !== null) return s.tapPixels;
  return s.phases === null ? s.p.wp : s.phases.length * ceilDiv(s.p.wp, s.sx);
}

/** Input lines a tile of `lines` output lines reads from the source (a single strided tap: its own lines only). */
export function windowLines(s: SourceWindow, lines: number): number {
  return s.tapPixels !== null ? lines : (lines - 1) * s.sy + s.maxDy - s.minDy + 1;
}

/** The x phase of a term's window start and its offset in that phase's entries. */
export function phaseOf(s: SourceWindow, dx: number): { phase: number; q: number } {
  const x = dx + s.p.t.pads[1]!;
  return { phase: x % s.sx, q: Math.floor(x / s.sx) };
}

export function sourcesOf<P extends SourceGeometry>(op: GemmOp, placed: ReadonlyMap<string, P>, R: number, packed: ReadonlySet<string>): Map<string, SourceWindow<P>> {
  const out = new Map<string, SourceWindow<P>>();
  for (const term of op.terms) {
    const p = placed.get(term.src)!;
    const prev = out.get(term.src);
    out.set(term.src, {
      p, sy: term.sy, sx: term.sx, ct: ceilDiv(p.t.c, R), phases: null, tapPixels: null, sameSx: (prev?.sameSx ?? true) && (prev === undefined || prev.sx === term.sx),
      minDy: Math.min(prev?.minDy ?? Infinity, term.dy), maxDy: Math.max(prev?.maxDy ?? -Infinity, term.dy),
      minDx: Math.min(prev?.minDx ?? Infinity, term.dx), maxDx: Math.max(prev?.maxDx ?? -Infinity, term.dx),
    });
  }
  for (const [name, s] of out) {
    const terms = op.terms.filter((t) => t.src === name);
    const oneTap = terms.every((t) => t.dx === s.minDx && t.dy === s.minDy && t.sx === s.sx && t.sy === s.sy);
    if (!packed.has(name) && oneTap && (s.sx > 1 || s.sy > 1) && s.p.wp > 1 && op.ow > 1) {
      out.set(name, { ...s, tapPixels: op.ow });
      continue;
    }
    if (!packed.has(name) || s.sx < 2 || terms.some((t) => t.sx !== s.sx)) continue;
    const phases = [...new Set(terms.map((t) => (t.dx + s.p.t.pads[1]!) % s.sx))].sort((a, b) => a - b);
    if (phases.length < s.sx) out.set(name, { ...s, phases });
  }
  return out;
}

/** Act entries a tile of `lines` output lines reads, over all its sources. */
export function actEntries(sources: ReadonlyMap<string, SourceWindow>, lines: number): number {
  return [...sources.values()].reduce((a, s) => a + s.ct * windowLines(s, lines) * lineEntries(s), 0);
}

/** Act entries a tile of `pixels` output pixels of one line reads (a line in chunks: whole pixels, no phases). */
export function chunkEntries(sources: ReadonlyMap<string, SourceWindow>, pixels: number): number {
  return [...sources.values()].reduce((a, s) => a + s.ct * (s.maxDy - s.minDy + 1) * chunkWidth(s, pixels), 0);
}

/** Input pixels of one line that `pixels` adjacent output pixels read. */
export function chunkWidth(s: SourceWindow, pixels: number): number {
  return (pixels - 1) * s.sx + s.maxDx - s.minDx + 1;
}

/**
 * How one op is tiled: `lines` whole output lines per tile, or — when not even one line fits the
 * buffers (a wide map, small acc/out/act) — one line in chunks of `chunk` output pixels, each
 * reading its own window of the input lines. Whole lines: chunk = ow.
 */
export interface Tiling {
  readonly lines: number;
  readonly chunk: number;
  readonly chunked: boolean;
}

/** Output lines per tile: as many as the acc, out and act buffers hold; else pixels per chunk of one line. */
export function linesPerTile(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, cfg: ArrayConfig): Tiling {
  // a step table takes 2·steps acc entries after the two slots
  const accFree = cfg.accDepth - 2 * (op.table?.steps ?? 0);
  // a fused max pool's windows stay whole inside a tile (usableLines), never chunked
  let lines = usableLines(op, Math.min(op.oh, Math.floor(accFree / 2 / op.ow), Math.floor(cfg.outDepth / 2 / op.ow)));
  // a per-channel product's correction takes one act entry after the windows
  const actFree = cfg.actDepth - (op.scaleBy?.correction ? 1 : 0);
  while (lines > 0 && actEntries(sources, lines) > actFree) lines = usableLines(op, lines - 1);
  if (lines >= 1) return { lines, chunk: op.ow, chunked: false };
  const chunkable = op.pool === undefined && [...sources.values()].every((s) => s.sameSx && s.p.wp > 1);
  let chunk = chunkable ? Math.min(op.ow, Math.floor(accFree / 2), Math.floor(cfg.outDepth / 2)) : 0;
  while (chunk > 0 && chunkEntries(sources, chunk) > actFree) chunk--;
  if (chunk >= 1) return { lines: 1, chunk, chunked: true };
  throw tooSmall(op, sources, cfg, accFree, chunkable);
}

/**
 * The most output lines at most `lines` that hold whole windows of a fused max pool: kh lines, then
 * sh more per further window line (every count without a pool). 0: not even one window.
 */
export function usableLines(op: GemmOp, lines: number): number {
  if (op.pool === undefined) return lines;
  const [kh] = op.pool.size;
  const [sh] = op.pool.strides;
  return lines < kh ? 0 : Math.floor((lines - kh) / sh) * sh + kh;
}

/**
 * One tile of output lines [oy0, oy1): its out lines [py0, py1) — pooled lines for a fused max pool
 * (whose windows then start padTop lines above oy0), else the same lines.
 */
export interface LineTile {
  readonly oy0: number;
  readonly oy1: number;
  readonly py0: number;
  readonly py1: number;
  readonly padTop: number;
}

/**
 * The tiles of an op, at most `lines` (usableLines) output lines each. A fused pool's tiles take
 * whole pooled lines; where its windows overlap (stride < window), neighbouring tiles compute the
 * window − stride lines they share each (the acc slots do not outlive a tile).
 */
export function lineTiles(op: GemmOp, lines: number): LineTile[] {
  const tiles: LineTile[] = [];
  if (op.pool === undefined) {
    for (let oy0 = 0; oy0 < op.oh; oy0 += lines) tiles.push({ oy0, oy1: Math.min(op.oh, oy0 + lines), py0: oy0, py1: Math.min(op.oh, oy0 + lines), padTop: 0 });
    return tiles;
  }
  const [kh] = op.pool.size;
  const [sh] = op.pool.strides;
  const [top] = op.pool.pads;
  // whole pooled lines a tile of `lines` conv lines holds
  const per = pooledCount(lines, kh, sh, 0);
  const ph = pooledCount(op.oh, kh, sh, top);
  for (let py0 = 0; py0 < ph; py0 += per) {
    const py1 = Math.min(ph, py0 + per);
    tiles.push({ oy0: Math.max(0, py0 * sh - top), oy1: Math.min(op.oh, (py1 - 1) * sh - top + kh), py0, py1, padTop: Math.max(0, top - py0 * sh) });
  }
  return tiles;
}

/** Pooled pixels per line of a fused max pool (output pixels per line without one). */
export function pooledWidth(op: GemmOp, ow = op.ow): number {
  return op.pool === undefined ? ow : pooledCount(ow, op.pool.size[1], op.pool.strides[1], op.pool.pads[1]);
}

function tooSmall(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, cfg: ArrayConfig, accFree: number, chunkable: boolean): NnchipError {
  // the least a tile can take: one pixel when a line can be chunked, else a whole line
  const least = chunkable ? 1 : op.ow;
  const need = Math.max(2 * least, 0);
  const unit = chunkable ? 'pixels (double-buffered)' : 'pixels (one output line, double-buffered)';
  const entries = chunkable ? chunkEntries(sources, 1) : actEntries(sources, 1);
  const what = need > Math.min(accFree, cfg.outDepth) && accFree < cfg.accDepth ? `accDepth = ${cfg.accDepth} must hold the ${2 * op.table!.steps}-entry step table and 2 × ${least} ${unit}` : need > Math.min(cfg.accDepth, cfg.outDepth) ? `accDepth/outDepth must hold 2 × ${least} ${unit}` : `actDepth = ${cfg.actDepth} entries cannot hold the ${entries} input entries one output ${chunkable ? 'pixel' : 'line'} reads`;
  return new NnchipError('NN403', need > 0 ? what : 'empty layer', { layer: op.layer });
}
