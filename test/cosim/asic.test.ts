// SPDX-License-Identifier: MIT
/**
 * The generic ASIC flow (targets/asic): yosys maps the logic to its internal gate library with abc
 * and reports the cell count and a CMOS transistor estimate; buffers and the program ROM are
 * reported as memory bits (SRAM macros in a real flow). No place and route.
 */
import { describe, expect, test } from 'vitest';
import { synthesize } from '../../src/backends/verilog/synth.js';
import { compileGraph } from '../helpers/compile.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { haveTools } from './tools.js';

describe.skipIf(!haveTools('yosys', 'make'))('ASIC flow', () => {
  test('a 2x2 design: gate count, transistor estimate, memory bits', async () => {
    const p = compileGraph(randomMlp([16, 12, 6], 5), randomSamples(8, 16, 6), { rows: 2, cols: 2, actDepth: 64, wgtDepth: 8, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 2, thresholdPasses: 8 });
    const r = await synthesize(p, { target: 'asic' });
    process.stdout.write(`asic 2x2: ${r.cells} cells, ${r.transistors ?? '?'} transistors (logic), ${r.memoryBits} memory bits\n`);
    expect(r.cells).toBeGreaterThan(1000);
    expect(r.transistors).toBeGreaterThan(r.cells);
    expect(r.memoryBits).toBeGreaterThan(0);
    expect(r.placed).toBe(false);
    expect(r.note).toMatch(/no place and route/);
  }, 300_000);
});
