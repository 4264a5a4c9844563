/**
 * Weight tiles that the next matmuls use and that follow each other in DRAM load as one DMA
 * (lower-emit-slots.ts weightGroup): with DRAM latency the latency is paid once per group, so a batch-1
 * MLP, whose matmuls are shorter than one tile's load, gets faster; with ideal DRAM every tile is
 * its own load (a group would only delay the first matmul). Where the load unit bounds the matmuls
 * the op's slot ring grows (weightRing) so groups are long enough that the latency is a small share,
 * as far as the wgt buffer holds two of them; an op of several terms has its tiles in DRAM in the
 * order its matmuls take them. Outputs and cycles stay exact.
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { makeConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const graph = randomMlp([96, 40, 10], 5);
const program = (dramLatency: number, wgtDepth = 1024): Program =>
  compile(graph, { config: makeConfig({ rows: 8, cols: 8, dramLatency, wgtDepth }), calibration: { samples: randomSamples(4, 96, 1, 0, 1) }, verify: true }).program;
const wgtLoads = (p: Program): number[] => p.instructions.flatMap((i) => (i.op === 'load' && i.buf === LOAD_BUFFERS.wgt ? [i.rows] : []));
// 96→40: 12 channel tiles × 5 column tiles; 40→10: 5 × 2
const TILES = 12 * 5 + 5 * 2;

describe('weight tiles grouped per load', () => {
  test('with DRAM latency several tiles share a load, fewer cycles than one tile per load, exact', () => {
    const grouped = program(20);
    const rows = wgtLoads(grouped);
    expect(rows.reduce((a, r) => a + r, 0)).toBe(TILES * 8);
    expect(rows.every((r) => r % 8 === 0)).toBe(true);
    expect(Math.max(...rows)).toBeGreaterThan(8);
    expect(rows.length).toBeLessThan(TILES);
    // the same program with every group split back into one load per tile costs more
    const split: Program = { ...grouped, instructions: grouped.instructions.flatMap((i) => (i.op === 'load' && i.buf === LOAD_BUFFERS.wgt && i.rows > 8 ? Array.from({ length: i.rows / 8 }, (_, t) => ({ ...i, sram: i.sram + 8 * t, rows: 8, dram: i.dram + 64 * t, pushNext: i.pushNext && t === i.rows / 8 - 1, popNext: i.popNext && t === 0 })) : [i])) };
    expect(certify(grouped).cycles).toBeLessThan(certify(split).cycles);
    const x = quantizeInput(grouped, randomSamples(1, 96, 9, 0, 1)[0]!);
    expect(Array.from(interpret(grouped, x))).toEqual(Array.from(interpret(program(0), x)));
    expectSimExact(grouped, x);
  });

  test('with ideal DRAM every tile is its own load', () => {
    expect(wgtLoads(program(0)).every((r) => r === 8)).toBe(true);
  });

  // a tile of R·C bytes aligned to 16 left gaps between a small array's tiles (2×2: 4-byte tiles 16
  // bytes apart), so no two followed each other and every tile took a load of its own
  test.each([
    [2, 2],
    [3, 3],
    [2, 6],
    [4, 6],
  ])('on %ix%i, whose tiles are not whole multiples of 16 bytes, a layer\'s tiles follow each other and share loads', (rows, cols) => {
    const p = compile(graph, { config: makeConfig({ rows, cols, dramLatency: 20 }), calibration: { samples: randomSamples(4, 96, 1, 0, 1) }, verify: true }).program;
    expect(wgtLoads(p).some((r) => r > rows)).toBe(true);
    // each layer's weight region holds its tiles back to back: R·C bytes each (no tile is shared here)
    const regions = p.memoryMap.filter((r) => r.name.startsWith('wgt:'));
    const tiles = (k: number, n: number): number => Math.ceil(k / rows) * Math.ceil(n / cols);
    expect(regions.map((r) => r.size)).toEqual([tiles(96, 40), tiles(40, 10)].map((t) => t * rows * cols));
    expectSimExact(p, quantizeInput(p, randomSamples(1, 96, 9, 0, 1)[0]!));
  });

  test('where the load unit bounds the matmuls, a group takes a whole column tile\'s tiles; the ring stays in the wgt buffer', () => {
    // batch 1 on 8x8, latency 20 at 8 B/cycle: a tile's 8 transfer cycles fill the 8-cycle issue
    // interval, so a group aims at 16·20/8 = 40 tiles: the 96→40 layer's 12 tiles per column tile in one load
    const rows = wgtLoads(program(20));
    expect(Math.max(...rows)).toBe(12 * 8);
    // a wgt buffer of 8 slots: groups of at most 4 tiles, and the memory map's weight region within it
    const small = program(20, 64);
    expect(Math.max(...wgtLoads(small))).toBe(4 * 8);
    const region = small.memoryMap.find((r) => r.space === 'wgt')!;
    expect(region.size).toBeLessThanOrEqual(64);
    expect(region.name).toBe('weight tiles (8 slots)');
    expectSimExact(small, quantizeInput(small, randomSamples(1, 96, 9, 0, 1)[0]!));
  });

  test('a dense layer over a flattened feature map (121 terms, 2 column tiles) loads its tiles in groups too', () => {
    const cnn = loadModel(new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname);
    const p = compile(cnn, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { inputRange: [0, 1] } }).program;
    const dense = p.layers.findIndex((l) => l.name === 'dense');
    const rows = p.instructions.flatMap((insn, i) => (insn.op === 'load' && insn.buf === LOAD_BUFFERS.wgt && p.insnLayer[i] === dense ? [insn.rows] : []));
    // its 242 tiles per column tile followed each other in DRAM only two at a time when they were placed term by term
    expect(Math.max(...rows)).toBeGreaterThan(2 * 8);
    expect(rows.reduce((a, r) => a + r, 0)).toBeLessThanOrEqual(2 * 242 * 8);
    expectSimExact(p, quantizeInput(p, new Float32Array(28 * 28).map((_, i) => (i % 7) / 7)));
  });
});
