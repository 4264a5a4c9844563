// SPDX-License-Identifier: MIT
/**
 * A program where a matmul follows a threshold and overwrites (accumulate = 0) the very acc rows
 * that threshold reads: the matmul may start in the threshold's tail (timing.ts) only because the
 * threshold has read every row before the matmul's first acc access. A second threshold thresholds
 * the new rows; one store writes both thresholds' out rows.
 */
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { listingProgram } from './listing-program.js';
import { encodePoolGeometry } from '../../src/isa/ops/threshold.js';
import type { Program } from '../../src/isa/program.js';
import { rng } from './random-graph.js';

/** How the first threshold runs: requantize, max pooling 2×2 (lines of 4 acc entries), or a table of `steps` steps. */
/** `bytes` random weight bytes at W and C requantization entries at Q (scale 2^13 + 97c, shift 20), in `size` bytes. */
function tailConstants(size: number, W: number, bytes: number, Q: number, C: number, seed: number): Uint8Array {
  const r = rng(seed);
  const constants = new Uint8Array(size);
  for (let i = 0; i < bytes; i++) constants[W + i] = Math.floor(r() * 256);
  const view = new DataView(constants.buffer);
  for (let c = 0; c < C; c++) {
    view.setUint16(Q + 4 * c, 2 ** 13 + 97 * c, true);
    constants[Q + 4 * c + 2] = 20;
  }
  return constants;
}

export type TailMode = 'requantize' | 'pool' | 'table';

export interface TailCase {
  readonly R: number;
  readonly C: number;
  /** acc rows the matmuls write (a multiple of 8 for 'pool': lines of 4, two lines per pooled line) */
  readonly rows: number;
  readonly passes: number;
  readonly mode: TailMode;
}

/**
 * Where the two matmul/threshold pairs keep their acc rows: both at 0 (the tail rule), or on a
 * machine with two acc banks (accBanks 2, split at accDepth/2 = rows + 4) the first pair in one half
 * and the second in the other: 'up' (first low, second high) or 'down'; 'same' is a two-bank machine
 * with both pairs in the low half (the tail rule again).
 */
export type TailBanks = 'one' | 'same' | 'up' | 'down';

export function thresholdTailProgram({ R, C, rows, passes, mode }: TailCase, seed: number, machine: Partial<ArrayConfig> = {}, banks: TailBanks = 'one'): Program {
  const split = rows + 4;
  const [acc1, acc2] = banks === 'up' ? [0, split] : banks === 'down' ? [split, 0] : [0, 0];
  const W = 0;
  const Q = W + 2 * R * C;
  const IN = Q + 4 * C;
  const outRows = mode === 'pool' ? rows / 4 : rows;
  const OUT = IN + rows * R;
  const first =
    mode === 'pool'
      ? `threshold acc=${acc1} out=0 qnt=0 rows=${outRows} zp=3 lo=-100 hi=90 table=4 steps=${encodePoolGeometry({ overlapH: 0, overlapW: 0, padTop: 0, padLeft: 0 })} poolH=1 poolW=1`
      : mode === 'table'
        ? `threshold acc=${acc1} out=0 qnt=0 rows=${outRows} zp=0 lo=0 hi=0 table=${rows} steps=2 poolH=0 poolW=0`
        : `threshold acc=${acc1} out=0 qnt=0 rows=${outRows} zp=3 lo=-100 hi=90 table=0 steps=0 poolH=0 poolW=0`;
  const asm = `
    load buf=0 sram=0 rows=${rows} dram=${IN} stride=${R}
    load buf=3 sram=0 rows=1 dram=${Q} stride=0
    load buf=1 sram=0 rows=${2 * R} dram=${W} stride=${C} | pushNext
    matmul wgt=0 act=0 actStride=1 acc=${acc1} rows=${rows} accumulate=0 inner=${rows} actOuter=0 | popPrev
    ${first}
    matmul wgt=${R} act=0 actStride=1 acc=${acc2} rows=${rows} accumulate=0 inner=${rows} actOuter=0
    threshold acc=${acc2} out=${outRows} qnt=0 rows=${rows} zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext
    store sram=0 rows=${outRows + rows} dram=${OUT} stride=${C} | popPrev
    halt`;
  const constants = tailConstants(IN, W, 2 * R * C, Q, C, seed);
  const depth = 2 * rows + 8;
  return listingProgram(asm, makeConfig({ rows: R, cols: C, thresholdPasses: passes, dramBytesPerCycle: 64, dramLatency: 2, actDepth: depth, wgtDepth: depth, accDepth: depth, outDepth: depth, ...(banks === 'one' ? {} : { accBanks: 2 }), ...machine }), constants, { IN: IN, inRows: rows, OUT: OUT, outRows: outRows + rows });
}

/** Shapes that put the matmul at the threshold's start + 2 (short thresholds), inside its tail, and after a table-mode one. */
export const TAIL_CASES: readonly TailCase[] = [
  { R: 1, C: 1, rows: 1, passes: 1, mode: 'requantize' },
  { R: 2, C: 3, rows: 2, passes: 1, mode: 'requantize' },
  { R: 4, C: 4, rows: 9, passes: 1, mode: 'requantize' },
  { R: 4, C: 4, rows: 13, passes: 16, mode: 'requantize' },
  { R: 3, C: 4, rows: 24, passes: 2, mode: 'requantize' },
  { R: 4, C: 4, rows: 16, passes: 16, mode: 'pool' },
  { R: 2, C: 2, rows: 8, passes: 1, mode: 'pool' },
  { R: 4, C: 4, rows: 5, passes: 1, mode: 'table' },
];

/**
 * Tokens of besideProgram's matmul B and first threshold: none (the threshold may complete before
 * B); `toLoad`, the threshold pushes toward the load unit (a load at the end pops it); `bothToStore`,
 * both push toward the store unit (a store of a scratch out row pops B's, one store per threshold
 * pops theirs). With either the threshold completes after B (timing.ts besideCompletesAfter).
 */
export type BesideTokens = 'none' | 'toLoad' | 'bothToStore';

/**
 * Two acc banks: matmul A writes the low half, matmul B (issued right after it, so in flight) the
 * high half, then a threshold reads A's rows: it may start beside B's drain (timing.ts
 * thresholdBesideFrom) once A completed — and, with `tokens` that make it complete after B, once B
 * completes within its rows — and a matmul C after it on the high half starts in its reach. `rows`
 * rows each; a second threshold reads B's and C's sums.
 */
export function besideProgram({ R, C, rows, passes }: Pick<TailCase, 'R' | 'C' | 'rows' | 'passes'>, seed: number, tokens: BesideTokens = 'none'): Program {
  const W = 0;
  const Q = W + 3 * R * C;
  const IN = Q + 4 * C;
  const OUT = IN + rows * R;
  const split = rows + 4;
  const toStore = tokens === 'bothToStore';
  const stores = toStore
    ? `store sram=${2 * rows} rows=1 dram=${OUT + 2 * rows * C} stride=${C} | popPrev
    store sram=0 rows=${rows} dram=${OUT} stride=${C} | popPrev
    store sram=${rows} rows=${rows} dram=${OUT + rows * C} stride=${C} | popPrev`
    : `store sram=0 rows=${2 * rows} dram=${OUT} stride=${C} | popPrev`;
  const asm = `
    load buf=0 sram=0 rows=${rows} dram=${IN} stride=${R}
    load buf=3 sram=0 rows=1 dram=${Q} stride=0
    load buf=1 sram=0 rows=${3 * R} dram=${W} stride=${C} | pushNext
    matmul wgt=0 act=0 actStride=1 acc=0 rows=${rows} accumulate=0 inner=${rows} actOuter=0 | popPrev
    matmul wgt=${R} act=0 actStride=1 acc=${split} rows=${rows} accumulate=0 inner=${rows} actOuter=0${toStore ? ' | pushNext' : ''}
    threshold acc=0 out=0 qnt=0 rows=${rows} zp=3 lo=-100 hi=90 table=0 steps=0 poolH=0 poolW=0${toStore ? ' | pushNext' : tokens === 'toLoad' ? ' | pushPrev' : ''}
    matmul wgt=${2 * R} act=0 actStride=1 acc=${split} rows=${rows} accumulate=1 inner=${rows} actOuter=0
    threshold acc=${split} out=${rows} qnt=0 rows=${rows} zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext
    ${stores}${tokens === 'toLoad' ? `
    load buf=0 sram=${rows} rows=1 dram=${IN} stride=${R} | popNext` : ''}
    halt`;
  const constants = tailConstants(IN, W, 3 * R * C, Q, C, seed);
  const depth = 2 * rows + 8;
  // bothToStore: one more output row, the scratch row (never written: zeros out of both runs)
  return listingProgram(asm, makeConfig({ rows: R, cols: C, thresholdPasses: passes, dramBytesPerCycle: 64, dramLatency: 2, actDepth: depth, wgtDepth: Math.max(depth, 3 * R), accDepth: depth, outDepth: depth, accBanks: 2 }), constants, { IN: IN, inRows: rows, OUT: OUT, outRows: 2 * rows + (toStore ? 1 : 0) });
}

/**
 * Shapes for besideProgram: short and long rows against the drain, one and several passes; the last
 * two with rows + 4 under the issue interval, so that a threshold that pushes on no channel B pushes
 * on completes before B (besideCompletesAfter).
 */
export const BESIDE_CASES = [
  { R: 4, C: 4, rows: 9, passes: 1 },
  { R: 2, C: 3, rows: 2, passes: 1 },
  { R: 4, C: 4, rows: 30, passes: 1 },
  { R: 3, C: 4, rows: 12, passes: 2 },
  { R: 8, C: 8, rows: 3, passes: 1 },
  { R: 8, C: 5, rows: 2, passes: 1 },
] as const;
