// SPDX-License-Identifier: MIT
/**
 * Device fit, end to end: a 2x2 design whose buffers need more block RAM than an iCE40-HX8K has (the
 * default act and wgt buffers: 20 of its 32, 36 with the others and the program ROM) is not placed:
 * synthesize() reports the overuse; the config notFitting() suggests (every candidate compiled, block
 * RAMs from the model) is then synthesized and must fit. The acc and out buffers are small: with every
 * buffer at its default the first synthesis alone took 55 s (yosys maps a 1,024-entry acc buffer slowly).
 */
import { describe, expect, test } from 'vitest';
import { FPGA_DEVICES } from '../../src/backends/verilog/devices.js';
import { notFitting } from '../../src/backends/verilog/fit.js';
import { synthesize } from '../../src/backends/verilog/synth.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { compileGraph } from '../helpers/compile.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { haveTools } from './tools.js';

const graph = randomMlp([16, 12, 6], 5);
const samples = randomSamples(8, 16, 6);
const TOO_BIG: Partial<ArrayConfig> = { rows: 2, cols: 2, thresholdPasses: 8, queueDepth: 2, accDepth: 256, outDepth: 256 };

describe.skipIf(!haveTools('yosys', 'make'))('iCE40 device fit', () => {
  test('a design over the HX8K block RAMs is not placed; the suggested config fits', async () => {
    const p = compileGraph(graph, samples, TOO_BIG);
    const r = await synthesize(p, { target: 'ice40', device: 'hx8k' });
    const hx8k = FPGA_DEVICES.hx8k;
    expect(r.available?.brams).toBe(hx8k.brams);
    expect(r.over.map((o) => o.resource)).toContain('brams');
    expect(r.placed).toBe(false);
    const fix = notFitting(r.over, hx8k, p.config, p.instructions.length, (config) => {
      try {
        return { instructions: compileGraph(graph, samples, config).instructions.length };
      } catch (e) {
        if (e instanceof NnchipError) return null;
        throw e;
      }
    });
    process.stdout.write(`HX8K fit: ${fix.line}\n`);
    expect(fix.verified).toBe(true);
    const smaller = compileGraph(graph, samples, { ...TOO_BIG, ...fix.change });
    // synthesis's counts decide the fit; placing and routing a 2x2 on the HX8K is board-pnr's and ice40's
    const again = await synthesize(smaller, { target: 'ice40', device: 'hx8k', noPnr: true });
    process.stdout.write(`HX8K with ${JSON.stringify(fix.change)}: ${again.luts} LUTs, ${again.brams} block RAMs\n`);
    expect(again.over).toEqual([]);
    expect(again.brams).toBeLessThanOrEqual(hx8k.brams);
  }, 900_000);
});
