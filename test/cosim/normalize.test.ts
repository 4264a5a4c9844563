// SPDX-License-Identifier: MIT
/**
 * Instance and group normalization on RTL (ir/normalize.ts: nothing new for the hardware — global
 * pools, a dense, upsampling copies, an add, square and rsqrt step tables, the squeeze-excite
 * product): in Icarus the design computes what interpret() computes in exactly scheduleTimes()
 * cycles, on a random group-norm block and on the torch-exported InstanceNorm2d net (pytorch-zoo inorm).
 */
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { compileGraph } from '../helpers/compile.js';
import { normGraph } from '../helpers/norm-graph.js';
import { randomSamples } from '../helpers/random-graph.js';
import { expectExact, expectRtlExact, haveTools } from './tools.js';

describe.skipIf(!haveTools('iverilog', 'vvp'))('normalization in Icarus', () => {
  test('group norm (2 groups of 3), γ β, relu, conv on 4x4: bit- and cycle-exact', () => {
    const graph = normGraph({ h: 3, w: 4, cin: 2, c: 6, groups: 2, affine: true, project: 3, seed: 5 });
    return expectRtlExact(compileGraph(graph, randomSamples(12, 3 * 4 * 2, 7, -1, 1), { rows: 4, cols: 4, dramBytesPerCycle: 4, dramLatency: 3 }), 'iverilog', 33, 'group norm 4x4 in Icarus');
  }, 600_000);

  test('pytorch-zoo inorm-op17 (InstanceNorm2d affine and not) on 8x8: bit- and cycle-exact', async () => {
    const inputs = randomSamples(12, 3 * 8 * 6, 5, 0, 1);
    const p = compileGraph(loadModel(join(import.meta.dirname, '../fixtures/pytorch-zoo/inorm-op17.onnx')), inputs);
    const sim = await buildRtlSim(p, { simulator: 'iverilog' });
    try {
      const codes = [quantizeInput(p, inputs[0]!)];
      expectExact(p, codes, await sim.run(p, codes), 'inorm 8x8 in Icarus');
    } finally {
      sim.dispose();
    }
  }, 900_000);
});
