// SPDX-License-Identifier: MIT
/**
 * A hand-built program of matmuls with the `bias` bit (spec.ts FORMATS.matmul): every row starts
 * from acc[acc] as the matmul found it. The acc rows past each bias entry are first loaded with
 * junk far larger than any sum (±2^24, requantized it clamps), so a back end that adds what it reads
 * there, not the held entry, changes the output bytes. Three acc regions:
 *   A  a bias matmul of `rows` rows, then an accumulating one on the same rows (in flight behind it);
 *   B  two one-row bias matmuls back to back (the held entry changes between them), one accumulating;
 *   D  an overwriting one-row matmul, then a bias matmul of `rows` rows whose entry is that row,
 *      written while the bias matmul is already in flight ("as found": the value written, not loaded).
 * With `accBanks` 2, A lies in the lower acc half and B, D in the upper one, so B's matmuls may start
 * beside A's threshold (timing.ts thresholdTailReach).
 */
import { listingProgram } from '../helpers/listing-program.js';
import { makeConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { rng } from '../helpers/random-graph.js';

export interface BiasCase {
  readonly R: number;
  readonly C: number;
  /** rows of the many-row matmuls (regions A and D) */
  readonly rows: number;
  readonly accBanks: 1 | 2;
  readonly thresholdPasses: number;
  readonly dramBytesPerCycle: number;
  readonly dramLatency: number;
}

export const biasCaseName = (c: BiasCase): string => `${c.R}x${c.C} rows=${c.rows} banks${c.accBanks} tp${c.thresholdPasses} bw${c.dramBytesPerCycle} lat${c.dramLatency}`;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

export function biasProgram(c: BiasCase, seed: number): Program {
  const { R, C, rows: N } = c;
  // the lower half holds A at 1 .. N, the upper one B, B + 1 and D .. D + N - 1 (accSplit = accDepth / 2)
  const accDepth = 2 * (N + 2);
  const split = accDepth / 2;
  const A = 1; // not 0: the bias entry is acc[acc], not acc[0]
  const B = split; // B, B + 1
  const D = split + 2; // D .. D + N - 1
  const tiles = 3;
  // DRAM: weight tiles, requantization entries, acc rows (A's N, B's 2, D's N), the input, the output
  const W = 0;
  const Q = align16(W + tiles * R * C);
  const ACC = align16(Q + 4 * C);
  const accRows = 2 * N + 2;
  const IN = align16(ACC + accRows * 4 * C);
  const outRows = 2 * N + 2;
  const OUT = align16(IN + N * R);
  const r = rng(seed);
  const constants = new Uint8Array(IN);
  for (let i = 0; i < tiles * R * C; i++) constants[W + i] = Math.floor(r() * 256);
  const view = new DataView(constants.buffer);
  for (let lane = 0; lane < C; lane++) {
    view.setUint16(Q + 4 * lane, 2 ** 13 + 97 * lane, true);
    constants[Q + 4 * lane + 2] = 21;
  }
  // the first acc row of each region is its bias entry (±2^14); the rest of A and D junk (±2^24)
  const biasRow = new Set([0, N, N + 1, N + 2]);
  for (let row = 0; row < accRows; row++) {
    const range = biasRow.has(row) ? 2 ** 15 : 2 ** 25;
    for (let lane = 0; lane < C; lane++) view.setInt32(ACC + (row * C + lane) * 4, Math.floor(r() * range) - range / 2, true);
  }
  const rowBytes = 4 * C;
  const th = (acc: number, out: number, rows: number, zp: number): string => `threshold acc=${acc} out=${out} qnt=0 rows=${rows} zp=${zp} lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0`;
  const mm = (wgt: number, act: number, acc: number, rows: number, mode: 'bias' | 'accumulate' | 'overwrite'): string =>
    `matmul wgt=${wgt * R} act=${act} actStride=1 acc=${acc} rows=${rows} accumulate=${mode === 'accumulate' ? 1 : 0} inner=${rows} actOuter=0${mode === 'bias' ? ' bias=1' : ''}`;
  const asm = `
    load buf=act sram=0 rows=${N} dram=${IN} stride=${R}
    load buf=qnt sram=0 rows=1 dram=${Q} stride=0
    load buf=wgt sram=0 rows=${tiles * R} dram=${W} stride=${C}
    load buf=acc sram=${A} rows=${N} dram=${ACC} stride=${rowBytes}
    load buf=acc sram=${B} rows=2 dram=${ACC + N * rowBytes} stride=${rowBytes}
    load buf=acc sram=${D} rows=${N} dram=${ACC + (N + 2) * rowBytes} stride=${rowBytes} | pushNext
    ${mm(0, 0, A, N, 'bias')} | popPrev
    ${mm(1, 0, A, N, 'accumulate')}
    ${th(A, 0, N, 3)}
    ${mm(2, N - 1, B, 1, 'bias')}
    ${mm(0, 0, B + 1, 1, 'bias')}
    ${mm(1, 0, B, 1, 'accumulate')}
    ${mm(2, 0, D, 1, 'overwrite')}
    ${mm(1, 0, D, N, 'bias')}
    ${th(B, N, N + 2, -5)} | pushNext
    store sram=0 rows=${outRows} dram=${OUT} stride=${C} | popPrev
    halt`;
  return listingProgram(asm, makeConfig({
      rows: R, cols: C, thresholdPasses: c.thresholdPasses, dramBytesPerCycle: c.dramBytesPerCycle, dramLatency: c.dramLatency,
      actDepth: N + 4, wgtDepth: tiles * R, accDepth, outDepth: outRows + 2, qntDepth: 1, ...(c.accBanks === 2 ? { accBanks: 2 } : {}),
    }), constants, { IN: IN, inRows: N, OUT: OUT, outRows: outRows });
}
