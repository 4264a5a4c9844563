/**
 * Honest exploration: the area model against nnchip's own iCE40 figures, bandwidth and area on the
 * front, thresholdPasses and batch swept, illegal machines infeasible with their reason, and the
 * default machine on the default grid.
 */
import { describe, expect, test } from 'vitest';
import { AREA_MODEL, estimateArea } from '../../../src/explore/area.js';
import { DEFAULT_GRID, gridPoints, type Grid } from '../../../src/explore/grid.js';
import { OBJECTIVES, resultOf } from '../../../src/explore/results.js';
import { sweep } from '../../../src/explore/sweep.js';
import { DEFAULT_CONFIG, makeConfig } from '../../../src/isa/config.js';
import { compile } from '../../../src/passes/pipeline.js';
import { certify } from '../../../src/isa/cost.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';
import { randomCnn } from '../../helpers/random-cnn.js';

describe('area model', () => {
  // docs/hardware.md "On an FPGA": yosys 0.23 synth_ice40 + nextpnr on the HX8K
  const measured: [string, number, number, number, number][] = [
    ['2x2, 1 lane 4-bit digits', 2, 2, 8, 2769],
    ['2x2, 2 full lanes', 2, 2, 1, 5663],
    ['4x4, 1 lane 4-bit digits', 4, 4, 16, 5614],
    ['8x8, 1 lane 4-bit digits', 8, 8, 32, 15746],
  ];
  test.each(measured)('%s: within 3%% of the measured LUTs', (_name, rows, cols, thresholdPasses, luts) => {
    const est = estimateArea(makeConfig({ rows, cols, thresholdPasses })).logicLuts;
    expect(Math.abs(est - luts) / luts).toBeLessThan(0.03);
  });

  test('PEs, threshold lanes and SRAM blocks add up as documented', () => {
    const a = estimateArea(makeConfig({ rows: 16, cols: 16, thresholdPasses: 4 }));
    expect(a.peLuts).toBe(256 * AREA_MODEL.peLuts);
    expect(a.thresholdLuts).toBe(4 * AREA_MODEL.fullLaneLuts); // 16/4 lanes
    expect(a.logicLuts).toBe(a.peLuts + a.thresholdLuts + a.controlLuts);
    const d = estimateArea(DEFAULT_CONFIG);
    // default depths: act 4096×8, wgt 1024×8, acc 1024×32, qnt 64×32, out 1024×8 bytes, 512 per block
    expect(d.sramBlocks).toBe(64 + 16 + 64 + 4 + 16);
  });
});

describe('the sweep', () => {
  const graph = randomMlp([24, 16, 8], 5);
  const calibration = { samples: randomSamples(4, 24, 3) };
  const grid: Grid = { arrays: [{ rows: 4, cols: 4 }, { rows: 4, cols: 8 }], sramKiB: [4], bandwidth: [2, 16], thresholdPasses: [1, 3, 8], batch: [1, 4] };
  const run = sweep({ model: 'mlp', graph, calibration, grid });
  const result = resultOf(run);

  test('thresholdPasses and batch are axes; each feasible point is its compiled program', () => {
    expect(run.points).toHaveLength(2 * 1 * 2 * 3 * 2 + 1);
    for (const p of run.points.filter((q) => q.feasible && !q.base)) {
      const config = gridPoints(grid, DEFAULT_CONFIG)[p.index]!.config!;
      expect(config.thresholdPasses).toBe(p.thresholdPasses);
      expect(certify(compile(graph, { config, calibration, batch: p.batch }).program).cycles).toBe(p.cycles);
    }
  });

  test('a thresholdPasses illegal for the array is infeasible with its reason, the sweep goes on', () => {
    // 3 divides neither 4 nor 8, and is not cols × 2|4|8|16
    const bad = run.points.filter((p) => p.thresholdPasses === 3);
    expect(bad).toHaveLength(2 * 2 * 2);
    for (const p of bad) {
      expect(p.feasible).toBe(false);
      expect(p.error).toMatch(/^NN402: config field "thresholdPasses" is 3; with cols = [48]/);
      expect(p.areaLuts).toBeNull();
    }
    // 8 = 4 × 2 on the 4-column array (one serial lane), 8 divides 8 on the other: both legal
    expect(run.points.filter((p) => p.thresholdPasses === 8).every((p) => p.feasible)).toBe(true);
  });

  test('a convolutional model takes a batch (the same MACs per sample); one it refuses is infeasible (NN306), not a crash', () => {
    const cnn = randomCnn(1);
    const grid = { arrays: [{ rows: 8, cols: 8 }], sramKiB: [64], bandwidth: [8], batch: [1, 2] };
    const r = sweep({ model: 'cnn', graph: cnn, calibration: { samples: randomSamples(2, 9 * 8 * 3, 4) }, grid });
    const [one, two] = [1, 2].map((b) => r.points.find((p) => p.batch === b && !p.base)!);
    expect([one!.feasible, two!.feasible]).toEqual([true, true]);
    expect(two!.macs).toBe(2 * one!.macs!);
    // a channel-major (ONNX) feature-map input: the batch would take its samples pixel-major
    const chw = { ...cnn, inputs: cnn.inputs.map((x) => ({ ...x, layout: 'chw' as const })) };
    const refused = sweep({ model: 'cnn', graph: chw, calibration: { samples: randomSamples(2, 9 * 8 * 3, 4) }, grid }).points.filter((p) => p.batch === 2);
    expect(refused.length).toBe(1);
    expect(refused[0]!.error).toMatch(/^NN306: .*channel-major/);
  });

  test('a batch whose lowering would outgrow --max-memory on a machine is infeasible there (NN308), found from the shapes', () => {
    const cnn = randomCnn(1);
    const grid = { arrays: [{ rows: 8, cols: 8 }], sramKiB: [64], bandwidth: [8], batch: [65536] };
    const huge = sweep({ model: 'cnn', graph: cnn, calibration: { samples: randomSamples(2, 9 * 8 * 3, 4) }, grid }).points.filter((p) => !p.base);
    expect(huge.map((p) => p.feasible)).toEqual([false]);
    expect(huge[0]!.error).toMatch(/^NN308: a batch of 65,536 lowers to at least [\d,]+ instructions, which take at least [\d,]+ bytes of compiler memory, over the limit of [\d,]+ \(--max-memory\); the largest batch within it is \d+$/);
  });

  test('the front is non-dominated on cycles per sample, area, SRAM and bandwidth, and keeps a low-bandwidth point', () => {
    const objectives = Object.values(OBJECTIVES);
    const feasible = result.points.filter((p) => p.feasible);
    for (const i of result.pareto) {
      const p = result.points[i]!;
      expect(feasible.some((q) => q !== p && objectives.every((f) => f(q) <= f(p)) && objectives.some((f) => f(q) < f(p)))).toBe(false);
    }
    for (const p of feasible.filter((q) => !result.pareto.includes(q.index))) {
      expect(feasible.some((q) => objectives.every((f) => f(q) <= f(p)) && objectives.some((f) => f(q) < f(p)))).toBe(true);
    }
    // bandwidth is an objective: the cheapest-bandwidth points cannot all be beaten by 16 B/cycle ones
    expect(result.pareto.some((i) => result.points[i]!.bandwidth === 2)).toBe(true);
    // batch 4 streams 4 samples per weight tile: fewer cycles per sample than batch 1 at the same machine
    const same = (b: number) => feasible.find((p) => p.rows === 4 && p.cols === 8 && p.bandwidth === 16 && p.thresholdPasses === 1 && p.batch === b && !p.base)!;
    expect(same(4).cycles! / 4).toBeLessThan(same(1).cycles!);
  });

  test('the default grid holds the default machine as its last point, marked', () => {
    const pts = gridPoints(DEFAULT_GRID, DEFAULT_CONFIG);
    const last = pts[pts.length - 1]!;
    expect(last.base).toBe(true);
    expect(last.config).toEqual(DEFAULT_CONFIG);
    expect(pts.filter((p) => p.base)).toHaveLength(1);
    expect(result.points.filter((p) => p.base).map((p) => p.index)).toEqual([run.points.length - 1]);
  });
});
