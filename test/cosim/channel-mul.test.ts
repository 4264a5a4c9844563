// SPDX-License-Identifier: MIT
/**
 * Squeeze-excite on RTL: the gate is stored spread (one channel per pixel), then loaded as the
 * product's diagonal weight tiles, rows P − 1 apart (overlapping DRAM rows), right after the store
 * that wrote them (a DRAM read after write the schedule orders by tokens). In Icarus and Verilator
 * the design computes what interpret() computes in exactly scheduleTimes() cycles, on arrays where
 * R = C, C divides R and neither divides the other (P = R + C − 1, gaps no store writes), and on
 * the MobileNetV3-small-like net torch exports (test/fixtures/pytorch-zoo mnv3: two squeeze-excite
 * blocks, hard-swish and hard-sigmoid tables) on the default 8x8 machine, in Verilator (16 s with its
 * build, where Icarus took 47).
 */
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { quantizeInput } from '../../src/isa/program.js';
import { compileGraph } from '../helpers/compile.js';
import { randomSamples } from '../helpers/random-graph.js';
import { seGraph } from '../helpers/se-graph.js';
import { expectExact, expectRtlExact, haveTools } from './tools.js';

const graph = seGraph({ h: 4, w: 4, cin: 3, c: 12, hidden: 4, act: 'relu', gate: { fn: 'sigmoid' }, seed: 1, project: 5 });
const samples = randomSamples(12, 4 * 4 * 3, 7, -1, 1);
const program = (cfg: Partial<ArrayConfig>) => compileGraph(graph, samples, cfg);

describe.skipIf(!haveTools('iverilog', 'vvp'))('squeeze-excite in Icarus', () => {
  test.each([
    ['4x4', { rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 }],
    ['8x4 bw3 lat1 q2', { rows: 8, cols: 4, dramBytesPerCycle: 3, dramLatency: 1, queueDepth: 2 }],
    ['3x5 tp5', { rows: 3, cols: 5, thresholdPasses: 5 }],
  ] as const)('%s: bit- and cycle-exact', (name, cfg) => expectRtlExact(program(cfg), 'iverilog', 31, `se ${name} in Icarus`), 600_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp', 'verilator'))('squeeze-excite in Verilator', () => {
  test('4x4: bit- and cycle-exact', () => expectRtlExact(program({ rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 }), 'verilator', 32, 'se 4x4 in Verilator'), 900_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp', 'verilator'))('a torch-exported MobileNetV3-small-like net in Verilator', () => {
  test('mnv3-op17 on 8x8: bit- and cycle-exact', async () => {
    const inputs = randomSamples(12, 3 * 16 * 16, 5, 0, 1);
    const p = compileGraph(loadModel(join(import.meta.dirname, '../fixtures/pytorch-zoo/mnv3-op17.onnx')), inputs);
    const sim = await buildRtlSim(p, { simulator: 'verilator' });
    try {
      const codes = [quantizeInput(p, inputs[0]!)];
      expectExact(p, codes, await sim.run(p, codes), 'mnv3 8x8 in Verilator');
    } finally {
      sim.dispose();
    }
  }, 900_000);
});
