// SPDX-License-Identifier: MIT
/**
 * A fused 3×3/2 max pool's threshold reads 6 acc rows per pooled pixel, 1.5 per matmul row, and
 * outlasts the matmul after it, which must complete after it (timing.ts thresholdTailReach): beside
 * the next column tile's matmuls, it held one of them back every tile (ResNet-18's stem on 32x32 at
 * matched settings: ~580 cycles each), and so does any threshold of a unit of P beats a row
 * (`thresholdPasses`). lower-threshold-pieces.ts cuts it into pieces (of whole pooled lines when it
 * pools), one after each of the next matmuls; they must read and write exactly what it did.
 */
import { expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import { encodePoolGeometry, poolOf, poolReadRow, poolReads, THRESHOLD_TAIL_FROM } from '../../../src/isa/ops/threshold.js';
import type { InstructionOf } from '../../../src/isa/spec.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import type { Graph } from '../../../src/ir/graph.js';
import { compile } from '../../../src/passes/pipeline.js';
import { thresholdPieces } from '../../../src/passes/lower-threshold-pieces.js';
import { mulberry32 } from '../../../src/util/prng.js';
import { loadModel } from '../../../src/importers/index.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { calibrationSamples } from '../../helpers/compile.js';
import { MATCHED } from '../../helpers/matched.js';

/** Every out row's acc reads, by out entry: what a (pooling) threshold reads and where it writes. */
function readsByOut(ths: readonly InstructionOf<'threshold'>[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const th of ths) {
    const p = poolOf(th);
    for (let r = 0; r < th.rows; r++) {
      expect(m.has(th.out + r)).toBe(false);
      m.set(th.out + r, p === null ? [th.acc + r] : Array.from({ length: poolReads(th) }, (_, k) => th.acc + poolReadRow(p, r, k)));
    }
  }
  return m;
}

const threshold = (rows: number, padTop: number, kh = 3, sh = 2, padLeft = 1): InstructionOf<'threshold'> => ({
  op: 'threshold', popPrev: false, popNext: false, pushPrev: false, pushNext: false, acc: 100, out: 40, qnt: 3, rows, zp: -3, lo: -3, hi: 127, table: 16,
  steps: encodePoolGeometry({ overlapH: kh - sh, overlapW: 1, padTop, padLeft }), poolH: kh - 1, poolW: 2,
});

test.each([
  ['a 3×3/2 pool with padding above', threshold(8 * 7, 1)],
  ['a 3×3/2 pool of a tile past the first (no padding above)', threshold(8 * 5, 0)],
  ['a 3×3/1 pool with padding above', threshold(14 * 6, 1, 3, 1, 1)],
])('%s in pieces reads and writes what it did as one threshold', (_, th) => {
  const cfg = makeConfig({ rows: 32, cols: 32, ...MATCHED });
  // matmuls of a few rows, so the threshold outlasts the next one
  const pieces = thresholdPieces(th, 40, 4, cfg);
  expect(pieces.length).toBeGreaterThan(1);
  expect(pieces.length).toBeLessThanOrEqual(4);
  expect(readsByOut(pieces)).toEqual(readsByOut([th]));
});

test('a threshold that does not outlast the next matmul, or has nowhere to go, stays whole', () => {
  const cfg = makeConfig({ rows: 32, cols: 32, ...MATCHED });
  const plain = { ...threshold(8 * 7, 1), poolH: 0, poolW: 0, steps: 0 };
  expect(thresholdPieces(threshold(8 * 7, 1), 4000, 4, cfg)).toHaveLength(1);
  expect(thresholdPieces(plain, 40, 4, cfg)).toHaveLength(1);
  expect(thresholdPieces(threshold(8 * 7, 1), 40, 1, cfg)).toHaveLength(1);
  // a step table's threshold is never beside
  expect(thresholdPieces({ ...plain, rows: 400, steps: 3 }, 4, 4, cfg)).toHaveLength(1);
});

test('a threshold unit of several beats per row: a plain threshold that outlasts the next matmul goes in pieces of rows', () => {
  // 8 beats a row: 56 rows take 452 cycles, a matmul of 40 rows on 8x8 64
  const cfg = makeConfig({ rows: 8, cols: 8, ...MATCHED, thresholdPasses: 8 });
  const plain = { ...threshold(56, 0), poolH: 0, poolW: 0, steps: 0 };
  const pieces = thresholdPieces(plain, 40, 4, cfg);
  expect(pieces).toHaveLength(4);
  expect(readsByOut(pieces)).toEqual(readsByOut([plain]));
});

/** ResNet's stem at a small size: a 7×7/2 convolution of 3 channels (10 folds on 16 rows), a 3×3/2 max pool with padding 1. */
function stem(): Graph {
  const rnd = mulberry32(5);
  const w = (n: number, fanIn: number): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * Math.sqrt(2 / fanIn));
  return {
    name: 'stem',
    inputs: [{ name: 'input', shape: [48, 48, 3] }],
    nodes: [
      { name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: { shape: [7, 7, 3, 16], data: w(7 * 7 * 3 * 16, 147) }, bias: { shape: [16], data: w(16, 100) }, strides: [2, 2], pads: [3, 3, 3, 3], depthwise: false, activation: 'relu' },
      { name: 'pool', op: 'pool2d', inputs: ['conv'], output: 'pool', kind: 'max', size: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    ],
    outputs: ['pool'],
    notes: [],
  } as unknown as Graph;
}

test('the stem on 16x16 at matched settings: no matmul waits for a threshold before it, and the program is exact', () => {
  const config = makeConfig({ rows: 16, cols: 16, ...MATCHED });
  const { program } = compile(stem(), { config, calibration: { inputRange: [0, 1] } });
  const { timings } = scheduleTimes(program.instructions, config);
  const compute = program.instructions.map((insn, i) => ({ insn, t: timings[i]! })).filter(({ insn }) => insn.op === 'matmul' || insn.op === 'threshold');
  const thresholds = program.instructions.filter((i) => i.op === 'threshold');
  // pieces: more thresholds than tiles (a tile's first matmul starts from the bias; 16 channels, one column tile), each pooled pixel written once
  const tiles = program.instructions.filter((i) => i.op === 'matmul' && i.bias === 1).length;
  expect(tiles).toBeGreaterThan(1);
  expect(thresholds.length).toBeGreaterThan(tiles);
  expect(thresholds.reduce((a, i) => a + i.rows, 0)).toBe(12 * 12);
  compute.forEach(({ insn, t }, k) => {
    const prev = compute[k - 1];
    // a matmul after a threshold issues as soon as the threshold has started (THRESHOLD_TAIL_FROM), not at its tail
    if (insn.op === 'matmul' && prev?.insn.op === 'threshold') expect(t.free - prev.t.start).toBeLessThanOrEqual(THRESHOLD_TAIL_FROM);
  });
  const x = new Int8Array(program.input.rows * program.input.rowBytes).map((_, i) => ((i * 37) % 256) - 128);
  expectSimExact(program, x);
});

test('the digits CNN on a two-bank 8x8 with a threshold unit of 8 beats a row: its thresholds in pieces, faster, exact', () => {
  const model = new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname;
  const samples = calibrationSamples(new URL('../../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 8);
  const config = makeConfig({ rows: 8, cols: 8, accBanks: 2, thresholdPasses: 8 });
  const { program } = compile(loadModel(model), { config, calibration: { samples } });
  const tiles = program.instructions.filter((i) => i.op === 'matmul' && i.bias === 1).length;
  expect(program.instructions.filter((i) => i.op === 'threshold').length).toBeGreaterThan(tiles);
  // each threshold whole: 11,439 cycles; in pieces 10,369 (conv_1's pooled pairs of lines still
  // outlast its matmuls a little: a piece is at least a pooled line)
  expect(scheduleTimes(program.instructions, config).cycles).toBeLessThan(10_700);
  expectSimExact(program, quantizeInput(program, samples[0]!));
});
