/**
 * The static explore figures (certificate) equal a full simulation at every grid point of a small
 * model: cycles, MACs, utilization, DRAM bytes and per-layer cycles, in both simulator modes.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_GRID, gridPoints, type Grid } from '../../../src/explore/grid.js';
import { layerStats } from '../../../src/explore/report.js';
import { sweep } from '../../../src/explore/sweep.js';
import { loadModel } from '../../../src/importers/index.js';
import { DEFAULT_CONFIG } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { simulate } from '../../../sim/index.js';
import { calibrationSamples, DIGITS_MLP } from '../../helpers/compile.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const graph = randomMlp([40, 24, 10], 3);
const calibration = { samples: randomSamples(8, 40, 9) };
// Shapes with R ≠ C both ways, SRAM from too small to roomy, bandwidth below and above an entry per cycle.
const grid: Grid = { arrays: [{ rows: 2, cols: 2 }, { rows: 4, cols: 8 }, { rows: 8, cols: 4 }, { rows: 3, cols: 5 }], sramKiB: [0.25, 1, 4], bandwidth: [1, 3, 8] };
const base = { ...DEFAULT_CONFIG, dramLatency: 5, queueDepth: 4 };
const run = sweep({ model: 'mlp40', graph, calibration, grid, base });
const configs = gridPoints(grid, base);
const sample = randomSamples(1, 40, 77)[0]!;

describe('explore figures = simulation, every grid point', () => {
  test('the grid has infeasible points, and they really do not compile', () => {
    const infeasible = run.points.filter((p) => !p.feasible);
    expect(infeasible.length).toBeGreaterThan(0);
    expect(run.points.length - infeasible.length).toBeGreaterThan(run.points.length / 2);
    for (const p of infeasible) expect(() => compile(graph, { config: configs[p.index]!.config!, calibration })).toThrow(/NN403|cannot hold|must hold/);
  });

  test.each(run.points.filter((p) => p.feasible).map((p) => [`${p.rows}x${p.cols} ${p.sramKiB} KiB ${p.bandwidth} B/c`, p] as const))('%s', (_name, point) => {
    const { program } = compile(graph, { config: configs[point.index]!.config!, calibration });
    const codes = quantizeInput(program, sample);
    for (const mode of ['fast', 'step'] as const) {
      const sim = simulate(program, codes, { mode, trace: false });
      expect(Array.from(sim.output), mode).toEqual(Array.from(interpret(program, codes)));
      expect({ cycles: point.cycles, macs: point.macs, utilization: point.utilization, dramBytesRead: point.dramBytesRead, dramBytesWritten: point.dramBytesWritten, latencyUs: point.latencyUs }, mode).toEqual({
        cycles: sim.cycles,
        macs: sim.stats.macs,
        utilization: sim.stats.utilization,
        dramBytesRead: sim.stats.dramBytesRead,
        dramBytesWritten: sim.stats.dramBytesWritten,
        latencyUs: sim.stats.latencyUs,
      });
      expect(point.layerCycles, mode).toEqual(sim.stats.layers.map((l) => l.cycles));
    }
    // the report's per-layer DRAM bytes (roofline x-axis) are what the simulator counts per layer
    const sim = simulate(program, codes, { trace: false });
    expect(layerStats(program).map((l) => l.dramBytes)).toEqual(sim.stats.layers.map((l) => l.dramBytesRead + l.dramBytesWritten));
  });
});

describe('the shipped digits MLP, default grid: explore cycles = fast simulation', () => {
  const digits = loadModel(DIGITS_MLP);
  const cal = { samples: calibrationSamples() };
  const r = sweep({ model: 'digits-mlp', graph: digits, calibration: cal, grid: DEFAULT_GRID });
  const pts = gridPoints(DEFAULT_GRID, DEFAULT_CONFIG);

  test('every point', () => {
    expect(r.points).toHaveLength(4 * 3 * 3 + 1); // and the default machine, last
    for (const p of r.points) {
      expect(p.feasible, p.error ?? '').toBe(true);
      const { program } = compile(digits, { config: pts[p.index]!.config!, calibration: cal });
      const sim = simulate(program, quantizeInput(program, cal.samples[0]!), { trace: false });
      expect([p.cycles, p.utilization, p.dramBytesRead], `point ${p.index}`).toEqual([sim.cycles, sim.stats.utilization, sim.stats.dramBytesRead]);
    }
  });
});
