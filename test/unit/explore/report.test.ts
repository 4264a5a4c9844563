/** renderReport: deterministic, self-contained, escaped; per-layer figures add up to the certificate. */
import { describe, expect, test } from 'vitest';
import { gridPoints, type Grid } from '../../../src/explore/grid.js';
import { layerStats, renderReport } from '../../../src/explore/report.js';
import { resultOf, summarize } from '../../../src/explore/results.js';
import { sweep } from '../../../src/explore/sweep.js';
import { certify } from '../../../src/isa/cost.js';
import { DEFAULT_CONFIG, makeConfig } from '../../../src/isa/config.js';
import { OPCODE_LIST } from '../../../src/isa/spec.js';
import { compile } from '../../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const graph = randomMlp([48, 32, 16, 10], 21);
const calibration = { samples: randomSamples(6, 48, 2) };
const grid: Grid = { arrays: [{ rows: 4, cols: 4 }, { rows: 4, cols: 8 }], sramKiB: [0.25, 2], bandwidth: [4, 8] };
const explore = resultOf(sweep({ model: 'mlp48', graph, calibration, grid }));
// the report's machine is one grid point (4x8, 2 KiB, 8 B/cycle), so the scatter rings it
const chosen = gridPoints(grid, DEFAULT_CONFIG).find((p) => p.rows === 4 && p.cols === 8 && p.sramKiB === 2 && p.bandwidth === 8)!;
const { program } = compile(graph, { config: chosen.config!, calibration });

const count = (html: string, re: RegExp): number => html.match(re)?.length ?? 0;

describe('renderReport', () => {
  const html = renderReport({ model: 'mlp48', program, explore, calibration: '6 random samples' });

  test('is the same bytes every time', () => {
    expect(renderReport({ model: 'mlp48', program, explore, calibration: '6 random samples' })).toBe(html);
  });

  test('is self-contained: no scripts, no external URLs, a CSP that forbids fetching', () => {
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|<img|<iframe/i);
    expect(html).not.toMatch(/(?:src|href)="(?!data:)/);
    expect(html.match(/https?:\/\/[^"\s<]*/g) ?? []).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
    expect(html).toContain(`content="default-src 'none'`);
  });

  test('one bar and one roofline point per layer; the explore scatter has one point per feasible grid point', () => {
    expect(count(html, /<g class="bar" data-layer=/g)).toBe(program.layers.length);
    expect(count(html, /<g class="roof-layer"/g)).toBe(program.layers.length);
    const feasible = explore.points.filter((p) => p.feasible).length;
    expect(count(html, /<circle class="point[ "]/g)).toBe(2 * feasible); // two panels: against PEs and against SRAM
    expect(count(html, /<circle class="point pareto"/g)).toBe(2 * explore.pareto.length);
    expect(count(html, /<circle class="chosen"/g)).toBe(2); // one ring per panel
    expect(count(renderReport({ model: 'm', program: compile(graph, { config: makeConfig({ rows: 4, cols: 8 }), calibration }).program, explore }), /<circle class="chosen"/g)).toBe(0); // default depths: not on the grid
  });

  test('without --explore there is no Pareto section', () => {
    expect(renderReport({ model: 'mlp48', program })).not.toContain('pareto-chart');
  });

  test('names from the model file are escaped everywhere', () => {
    const evil = '<script>alert("x")</script>&\'';
    const hostile = { ...program, layers: program.layers.map((l) => ({ ...l, name: evil })) };
    const out = renderReport({ model: evil, program: hostile });
    expect(out).not.toContain('<script');
    expect(out).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;');
  });

  test('with no feasible point the explore section says so instead of plotting', () => {
    const none = summarize(explore.meta, explore.points.map((p) => ({ ...p, feasible: false, cycles: null, latencyUs: null, macs: null, utilization: null, dramBytesRead: null, dramBytesWritten: null, peakSramBytes: null, layerCycles: null, programHash: null, error: 'NN403: x' })));
    expect(renderReport({ model: 'm', program, explore: none })).toContain('No feasible point to plot');
  });
});

describe('layerStats', () => {
  const cert = certify(program);
  const stats = layerStats(program, cert);

  test('per-layer DRAM bytes and instruction counts add up to the certificate', () => {
    expect(stats.reduce((a, s) => a + s.dramBytes, 0)).toBe(cert.dramBytesRead + cert.dramBytesWritten);
    for (const op of OPCODE_LIST.filter((o) => o !== 'halt' && o !== 'sync')) expect(stats.reduce((a, s) => a + s.instructions[op], 0), op).toBe(cert.instructions[op]);
  });

  test('intensity = MACs / DRAM bytes and achieved = MACs / cycles, per layer', () => {
    stats.forEach((s, i) => {
      expect(s.cycles).toBe(cert.layers[i]!.cycles);
      expect(s.intensity).toBe(program.layers[i]!.macs / s.dramBytes);
      expect(s.achieved).toBe(program.layers[i]!.macs / s.cycles);
    });
  });
});
