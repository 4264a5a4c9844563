// SPDX-License-Identifier: MIT
/**
 * A GemmOp's constants in DRAM: its R×C weight tiles (one per term, column tile and channel tile;
 * all-zero tiles are skipped), per-column bias and requantization parameters, activation step tables.
 */
import { internal } from '../diagnostics/error.js';
import type { GemmOp, GemmProgram, PhysicalTensor, Term } from './gemm-types.js';
import { ceilDiv, contentKey, tileAlign, type ContentKey, type Dram } from './lower-dram.js';
import { channelTileRange, cutTile, type WeightMatrix } from './weight-matrix.js';

/** A weight tile in DRAM: channel tile ct of its column tile, at `at`; its rows past `rows` are all zero. */
export interface PlacedTile {
  readonly ct: number;
  readonly at: number;
  readonly rows: number;
}

/** DRAM addresses of an op's constants; tiles[term][nt] are the term's tiles of column tile nt that hold a weight, by ct. */
export interface OpConstants {
  readonly tiles: readonly (readonly (readonly PlacedTile[])[])[];
  readonly bias: number;
  /** -1 when the op uses a step table instead */
  readonly qnt: number;
  readonly table: number;
  /** a channel sum's two act entries of ones (onesEntries); -1 otherwise */
  readonly ones: number;
  /** a per-channel product's zero-point correction: an act entry of R lanes of its value (GemmOp.scaleBy); -1 otherwise */
  readonly correction: number;
}

/** Rows of a term's matrix: packed pixels × channels, else the source's channels. */
export function termRows(gp: GemmProgram, term: Term): number {
  return term.rows ?? gp.tensors.get(term.src)!.c;
}

function columnParams(op: GemmOp, C: number): { bias: Uint8Array; qnt: Uint8Array } {
  const NT = ceilDiv(op.n, C);
  const bias = new DataView(new ArrayBuffer(NT * 4 * C));
  const qnt = new DataView(new ArrayBuffer(NT * 4 * C));
  for (let n = 0; n < op.n; n++) {
    bias.setInt32(4 * n, op.bias[n]!, true);
    qnt.setUint16(4 * n, op.mult[n]!, true);
    qnt.setUint8(4 * n + 2, op.shift[n]!);
  }
  return { bias: new Uint8Array(bias.buffer), qnt: new Uint8Array(qnt.buffer) };
}

/** Column tile nt's step table as acc entries: step i is entry 2i (thresholds) and 2i + 1 (codes), C int32 lanes each. */
function tableTiles(op: GemmOp, C: number): Uint8Array | null {
  const t = op.table;
  if (t === undefined) return null;
  const NT = ceilDiv(op.n, C);
  const view = new DataView(new ArrayBuffer(NT * 2 * t.steps * 4 * C));
  for (let n = 0; n < op.n; n++) {
    const [nt, c] = [Math.floor(n / C), n % C];
    for (let i = 0; i < t.steps; i++) {
      const entry = (nt * t.steps + i) * 2;
      view.setInt32((entry * C + c) * 4, t.thresholds[n * t.steps + i]!, true);
      view.setInt32(((entry + 1) * C + c) * 4, t.codes[n * t.steps + i]!, true);
    }
  }
  return new Uint8Array(view.buffer);
}

/** A weight tile that holds a weight: its channel tile, bytes and content key (Dram.constant's). */
interface CutTile {
  readonly ct: number;
  /** rows up to its last one holding a weight (the rest are zero) */
  readonly rows: number;
  readonly bytes: Uint8Array;
  readonly key: ContentKey;
}

/**
 * Weight tiles already cut, by term matrix (never changed once built), with their content keys: the
 * lowerings of one GemmProgram for one array (the windowed and the plain input) cut and hash each
 * shared term's tiles once.
 */
export type TileCache = WeakMap<WeightMatrix, { readonly shape: string; readonly tiles: readonly (readonly CutTile[])[] }>;

/**
 * The term's tiles holding a weight, [nt] in ct order, from `cache` when this shape of it was cut already.
 * Only the tiles the matrix can hold a weight in are cut (weight-matrix.ts channelTileRange): all of a
 * dense one, the diagonal's of a diagonal one, so a depthwise tap costs O(cin), not O(cin²).
 */
function termTiles(gp: GemmProgram, t: Term, n: number, R: number, C: number, cache: TileCache): readonly (readonly CutTile[])[] {
  const k = termRows(gp, t);
  const shape = `${k}x${n}/${R}x${C}`;
  const known = cache.get(t.matrix);
  if (known !== undefined && known.shape === shape) return known.tiles;
  if (t.matrix.k !== k || t.matrix.n !== n) throw internal(`a term of ${k} × ${n} weights holds a ${t.matrix.k} × ${t.matrix.n} matrix`);
  const NT = ceilDiv(n, C);
  const ranges = Array.from({ length: NT }, (_, nt) => channelTileRange(t.matrix, nt, R, C));
  // every candidate tile of the term in one buffer (a 2×2 array's quarter million 4-byte tiles: no ArrayBuffer each)
  const buffer = new Int8Array(ranges.reduce((a, [lo, hi]) => a + hi - lo, 0) * R * C);
  let at = 0;
  const tiles = ranges.map(([lo, hi], nt) => {
    const cut: CutTile[] = [];
    for (let ct = lo; ct < hi; ct++, at += R * C) {
      if (!cutTile(t.matrix, ct, nt, R, C, buffer, at)) continue;
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset + at, R * C);
      cut.push({ ct, rows: weightRows(bytes, R, C), bytes, key: contentKey(bytes) });
    }
    return cut;
  });
  cache.set(t.matrix, { shape, tiles });
  return tiles;
}

/** Each placed weight tile's rows up to its last non-zero one, by DRAM address (a tile shared by content has one address). */
export function tileRowsOf(constants: readonly OpConstants[]): Map<number, number> {
  const rows = new Map<number, number>();
  for (const k of constants) for (const byNt of k.tiles) for (const cut of byNt) for (const t of cut) rows.set(t.at, t.rows);
  return rows;
}

/** Rows of an R×C tile up to its last one that holds a non-zero byte. */
function weightRows(bytes: Uint8Array, R: number, C: number): number {
  for (let i = R * C - 1; i >= 0; i--) if (bytes[i] !== 0) return Math.floor(i / C) + 1;
  return 0;
}

/** Place one op's constants (deduplicated by content) and return their addresses. */
export function placeConstants(gp: GemmProgram, op: GemmOp, dram: Dram, R: number, C: number, cache: TileCache = new WeakMap()): OpConstants {
  const tiles = op.terms.map((t) => termTiles(gp, t, op.n, R, C, cache));
  const cols = columnParams(op, C);
  const table = tableTiles(op, C);
  const wgtName = `wgt:${op.layer}`;
  const align = tileAlign(R, C);
  // placed in the order the matmuls take them (lower-emit.ts: column tile, then term, then channel
  // tile), so the tiles one weight group loads follow each other in DRAM (lower-emit-slots.ts wgtSlotOf)
  const placed = tiles.map((byNt) => byNt.map((): PlacedTile[] => []));
  const columnTiles = Math.max(0, ...tiles.map((byNt) => byNt.length));
  for (let nt = 0; nt < columnTiles; nt++)
    tiles.forEach((byNt, ti) => {
      for (const b of byNt[nt] ?? []) placed[ti]![nt]!.push({ ct: b.ct, at: dram.constant(wgtName, b.bytes, b.key, align), rows: b.rows });
    });
  return {
    tiles: placed,
    bias: dram.constant(`bias:${op.layer}`, cols.bias),
    qnt: table === null ? dram.constant(`qnt:${op.layer}`, cols.qnt) : -1,
    table: table === null ? -1 : dram.constant(`table:${op.layer}`, table),
    ones: op.channelSum ? dram.constant(`ones:${op.layer}`, onesEntries(channelSumRuns(gp.tensors.get(op.terms[0]!.src)!).pixels, R)) : -1,
    correction: op.scaleBy?.correction ? dram.constant(`correction:${op.layer}`, new Uint8Array(R).fill(op.scaleBy.correction.value & 0xff)) : -1,
  };
}

/**
 * How a channel sum walks a sample's map: `runs` runs of `pixels` pixels that follow each other in
 * DRAM — the whole map as one run when its lines have no x padding between them (the pixels of line
 * y + 1 continue where line y's ended), else one run per line.
 */
export function channelSumRuns(t: PhysicalTensor): { runs: number; pixels: number } {
  const lines = t.samples?.lines ?? t.h;
  return t.pads[1] === 0 && t.pads[3] === 0 ? { runs: 1, pixels: lines * t.w } : { runs: lines, pixels: t.w };
}

/** Two act entries of R lanes: all ones, and ones in the first (w mod R) lanes (a run's last pixels). */
function onesEntries(w: number, R: number): Uint8Array {
  const bytes = new Uint8Array(2 * R).fill(1, 0, R);
  bytes.fill(1, R, R + (w % R));
  return bytes;
}
