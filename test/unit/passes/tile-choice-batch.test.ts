/**
 * A big batch of vectors is one op of `batch` one-pixel lines. Tile choice tries each number of
 * tiles, but only the ones that change the lines per tile (O(√lines) of them): trying every count
 * estimated O(lines²) tiles, and `--batch 100000` never finished lowering.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import type { GemmOp } from '../../../src/passes/gemm-types.js';
import { chooseLines } from '../../../src/passes/lower-tile-choice.js';
import { denseMatrix } from '../../../src/passes/weight-matrix.js';
import type { SourceWindow } from '../../../src/passes/lower-tiling.js';

const K = 64;
const N = 10;
function denseBatch(oh: number): { op: GemmOp; sources: Map<string, SourceWindow> } {
  const op: GemmOp = {
    layer: 'dense', label: 'dense', out: 'y', oh, ow: 1, n: N, channelOffset: 0,
    terms: [{ src: 'x', dy: 0, dx: 0, sy: 1, sx: 1, matrix: denseMatrix(new Int8Array(K * N), N) }],
    bias: new Int32Array(N), mult: new Uint16Array(N), shift: new Uint8Array(N), zp: 0, lo: -128, hi: 127, macs: K * N * oh, weights: K * N,
  };
  const source: SourceWindow = { p: { stride: K, wp: 1, t: { c: K, pads: [0, 0, 0, 0] } }, sy: 1, sx: 1, minDy: 0, maxDy: 0, minDx: 0, maxDx: 0, sameSx: true, ct: K / 8, phases: null, tapPixels: null };
  return { op, sources: new Map([['x', source]]) };
}

describe('tile choice for a big batch', () => {
  const cfg = makeConfig({ rows: 8, cols: 8 });

  test('200 000 lines: a tile of at most the buffer’s lines is chosen (trying every tile count took hours)', () => {
    const { op, sources } = denseBatch(200_000);
    const { lines } = chooseLines(op, sources, cfg, 512, 4);
    expect(lines).toBeGreaterThanOrEqual(1);
    expect(lines).toBeLessThanOrEqual(512);
  });
});
