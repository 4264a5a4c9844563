// SPDX-License-Identifier: MIT
/**
 * The first convolution as a GEMM over its whole window: when the network input (c channels,
 * fewer than the array's R rows) feeds exactly one op, a convolution whose taps form a kh × kw grid,
 * the input can be stored as that op's windows (im2col, isa/input-windows.ts: one row of kh·kw·c
 * codes per output pixel, the padding as the zero point's code). The op then reads one 1×1 term of
 * kh·kw·c channels, ⌈kh·kw·c / R⌉ matmuls per column tile, where tap packing (pack-taps.ts) needs
 * ⌈kw / G⌉ per kernel line. It costs DRAM (about kh·kw / (sy·sx) times the input's bytes, written
 * by the host) and act entries; lower.ts keeps it only where the cost model says it pays.
 */
import type { InputWindows } from '../isa/input-windows.js';
import { isOutput, type GemmOp, type GemmProgram, type PhysicalTensor, type Term } from './gemm-types.js';
import { denseMatrix, writeRows } from './weight-matrix.js';

/** The windowed program and the windows' geometry (rows … lineStride are filled in at placement). */
export interface Windowing {
  readonly gp: GemmProgram;
  readonly windows: Omit<InputWindows, 'rows' | 'width' | 'rowStride' | 'lineStride'>;
  /** the op reading the windows */
  readonly op: number;
}

/** The program with its input stored as its first convolution's windows, or null when that does not apply. */
export function windowInput(gp: GemmProgram, R: number): Windowing | null {
  const x = gp.input;
  if ((gp.batch ?? 1) > 1 || x.c >= R || isOutput(gp, x.name)) return null;
  const readers = gp.ops.flatMap((op, i) => (op.terms.some((t) => t.src === x.name) ? [i] : []));
  if (readers.length !== 1) return null;
  const oi = readers[0]!;
  const op = gp.ops[oi]!;
  const grid = tapGrid(op, x.name);
  if (grid === null || op.channelSum || grid.taps.length < 2) return null;
  const { sy, sx, ys, xs } = grid;
  const K = grid.taps.length * x.c;
  // row (ky·kw + kx)·c + k of the window's weights: tap (ky, kx)'s channel k
  const codes = new Int8Array(K * op.n);
  grid.taps.forEach((t, i) => writeRows(t.matrix, codes, i * x.c * op.n, x.c));
  const stored: PhysicalTensor = { name: x.name, h: op.oh, w: op.ow, c: K, params: x.params, pads: [0, 0, 0, 0], fill: null };
  const term: Term = { src: x.name, dy: 0, dx: 0, sy: 1, sx: 1, matrix: denseMatrix(codes, op.n) };
  const ops = gp.ops.map((o, i) => (i === oi ? { ...o, terms: [term] } : o));
  const tensors = new Map([...gp.tensors].map(([name, t]) => [name, name === x.name ? stored : t]));
  const step = (v: readonly number[]): number => (v.length > 1 ? v[1]! - v[0]! : 1);
  return { gp: { ...gp, input: stored, tensors, ops }, op: oi, windows: { kernel: [ys.length, xs.length], strides: [sy, sx], dilations: [step(ys), step(xs)], pads: [-ys[0]!, -xs[0]!] } };
}

/** The op's terms as a full kh × kw grid of evenly spaced taps with one stride (row-major), or null. */
function tapGrid(op: GemmOp, src: string): { taps: Term[]; sy: number; sx: number; ys: number[]; xs: number[] } | null {
  const terms = op.terms;
  const t0 = terms[0]!;
  if (terms.some((t) => t.src !== src || t.rows !== undefined || t.sy !== t0.sy || t.sx !== t0.sx)) return null;
  const ys = [...new Set(terms.map((t) => t.dy))].sort((a, b) => a - b);
  const xs = [...new Set(terms.map((t) => t.dx))].sort((a, b) => a - b);
  const even = (v: number[]): boolean => v.every((d, i) => i < 2 || d - v[i - 1]! === v[1]! - v[0]!);
  if (!even(ys) || !even(xs) || ys.length * xs.length !== terms.length) return null;
  const at = new Map(terms.map((t) => [`${t.dy},${t.dx}`, t]));
  const taps = ys.flatMap((dy) => xs.map((dx) => at.get(`${dy},${dx}`)));
  if (taps.some((t) => t === undefined)) return null;
  return { taps: taps as Term[], sy: t0.sy, sx: t0.sx, ys, xs };
}
