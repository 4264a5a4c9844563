/** A hand-built one-tile dense layer for the simulator tests (closed-form cycles, register-level checks). */
import { parseListing } from '../../../src/isa/asm.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import type { Program } from '../../../src/isa/program.js';
import { rng } from '../../helpers/random-graph.js';

export interface Layer {
  readonly R: number;
  readonly C: number;
  readonly M: number;
  readonly L: number;
  readonly B: number;
}

/**
 * One R×C weight tile applied to M input rows: y = threshold(x·W + b). DRAM: qnt (4C bytes), bias
 * (4C), W (R rows of C), x (M rows of R), y (M rows of C). Tokens: the last load hands the tile to
 * the matmul, the threshold hands out to the store.
 */
export function oneTile(l: Layer, seed: number, accumulate = 1): Program {
  const { R, C, M } = l;
  const r = rng(seed);
  const qntAt = 0;
  const biasAt = 4 * C;
  const wAt = 8 * C;
  const xAt = wAt + R * C;
  const yAt = xAt + M * R;
  const constants = new Uint8Array(xAt);
  const view = new DataView(constants.buffer);
  for (let c = 0; c < C; c++) {
    view.setUint16(qntAt + 4 * c, 2 ** 14 + Math.floor(r() * 2 ** 14), true);
    view.setUint8(qntAt + 4 * c + 2, 9 + Math.floor(r() * 6));
    view.setInt32(biasAt + 4 * c, Math.floor(r() * 4000) - 2000, true);
  }
  for (let i = 0; i < R * C; i++) view.setInt8(wAt + i, Math.floor(r() * 256) - 128);
  const config: ArrayConfig = makeConfig({ rows: R, cols: C, dramLatency: l.L, dramBytesPerCycle: l.B, queueDepth: 4 });
  const asm = `
    load buf=3 sram=0 rows=1 dram=${qntAt} stride=0
    load buf=2 sram=0 rows=${M} dram=${biasAt} stride=0
    load buf=0 sram=0 rows=${M} dram=${xAt} stride=${R}
    load buf=1 sram=0 rows=${R} dram=${wAt} stride=${C} | pushNext
    matmul wgt=0 act=0 actStride=1 acc=0 rows=${M} accumulate=${accumulate} inner=${M} actOuter=0 | popPrev
    threshold acc=0 out=0 qnt=0 rows=${M} zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext
    store sram=0 rows=${M} dram=${yAt} stride=${C} | popPrev
    halt`;
  return {
    config,
    instructions: parseListing(asm),
    dramSize: yAt + M * C,
    constants,
    input: { name: 'x', shape: [M, R], dram: xAt, rows: M, rowBytes: R, rowStride: R, scale: 1, zp: 0 },
    outputs: [{ name: 'y', shape: [M, C], dram: yAt, rows: M, rowBytes: C, rowStride: C, scale: 1, zp: 0 }],
    layers: [{ name: 'dense', op: 'dense', shape: `${R}→${C}`, firstInsn: 0, insnCount: 7, macs: M * R * C, weightBytes: R * C }],
    insnLayer: parseListing(asm).map(() => 0),
    memoryMap: [
      { space: 'dram', name: 'all', start: 0, size: yAt + M * C },
      { space: 'act', name: 'x', start: 0, size: M },
      { space: 'wgt', name: 'W', start: 0, size: R },
      { space: 'acc', name: 'acc', start: 0, size: M },
      { space: 'qnt', name: 'qnt', start: 0, size: 1 },
      { space: 'out', name: 'y', start: 0, size: M },
    ],
    notes: [],
  };
}

