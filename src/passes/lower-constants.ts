// SPDX-License-Identifier: MIT
/**
 * A GemmOp's constants in DRAM: its R×C weight tiles (one per term, column tile and channel tile;
 * all-zero tiles are skipped), per-column bias and requantization parameters, activation step tables.
 */
import type { GemmOp, GemmProgram, Term } from './gemm.js';
import { ceilDiv, type Dram } from './lower-dram.js';

/** DRAM addresses of an op's constants; tiles[term][nt][ct] is null where the tile is all zero. */
export interface OpConstants {
  readonly tiles: readonly (readonly (readonly (number | null)[])[])[];
  readonly bias: number;
  /** -1 when the op uses a step table instead */
  readonly qnt: number;
  readonly table: number;
}

/** Rows of a term's matrix: packed pixels × channels, else the source's channels. */
export function termRows(gp: GemmProgram, term: Term): number {
  return term.rows ?? gp.tensors.get(term.src)!.c;
}

function tile(term: Term, k: number, n: number, ct: number, nt: number, R: number, C: number): Uint8Array | null {
  const out = new Int8Array(R * C);
  let any = false;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const row = ct * R + r;
      const col = nt * C + c;
      if (row < k && col < n) {
        const v = term.matrix[row * n + col]!;
        out[r * C + c] = v;
        any ||= v !== 0;
      }
    }
  return any ? new Uint8Array(out.buffer) : null;
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

/** Place one op's constants (deduplicated by content) and return their addresses. */
export function placeConstants(gp: GemmProgram, op: GemmOp, dram: Dram, R: number, C: number): OpConstants {
  const NT = ceilDiv(op.n, C);
  const tiles = op.terms.map((t) => {
    const k = termRows(gp, t);
    return Array.from({ length: NT }, (_, nt) => Array.from({ length: ceilDiv(k, R) }, (_, ct) => tile(t, k, op.n, ct, nt, R, C)));
  });
  const cols = columnParams(op, C);
  const table = tableTiles(op, C);
  return {
    tiles: tiles.map((byNt) => byNt.map((byCt) => byCt.map((b) => (b === null ? null : dram.constant(`wgt:${op.layer}`, b))))),
    bias: dram.constant(`bias:${op.layer}`, cols.bias),
    qnt: table === null ? dram.constant(`qnt:${op.layer}`, cols.qnt) : -1,
    table: table === null ? -1 : dram.constant(`table:${op.layer}`, table),
  };
}
