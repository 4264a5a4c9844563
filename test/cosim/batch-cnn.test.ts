// SPDX-License-Identifier: MIT
/**
 * Batched convolutional networks (passes/batch.ts) on RTL: the samples stacked along the lines,
 * each with its own border, computed by the design exactly as interpret() computes them in exactly
 * scheduleTimes() cycles — and every sample as the unbatched program computes it alone. The MNIST
 * CNN (unpadded input: read in place, taps packed) and a random CNN with every op the lowering
 * knows (padded input: the host places each sample between the border lines, DramTensor sampleStride).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { buildRtlSim, type RtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeBatches, quantizeInput, splitOutputs } from '../../src/isa/program.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { randomCnn } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';
import { expectExact, haveTools } from './tools.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;

describe.skipIf(!haveTools('iverilog', 'vvp'))('batched convolutional networks in Icarus (4x4)', () => {
  const sims: RtlSim[] = [];
  afterAll(() => sims.forEach((s) => s.dispose()));
  const cases: [string, () => { graph: Graph; samples: Float32Array[] | number[][] }, Partial<ArrayConfig>][] = [
    ['the MNIST CNN, batch 2', () => ({ graph: loadModel(ex('digits-cnn/model.json')), samples: calibrationSamples(ex('digits-cnn/calibration.json')) }), {}],
    ['a random CNN with a padded input, batch 2', () => ({ graph: randomCnn(7), samples: randomSamples(4, 9 * 8 * 3, 7, -1, 1) }), {}],
    // its dense layer's samples (vectors) load channel tile by channel tile (lower-emit.ts perTile)
    ['a random CNN, batch 2, DRAM of no latency', () => ({ graph: randomCnn(7), samples: randomSamples(4, 9 * 8 * 3, 7, -1, 1) }), { dramLatency: 0 }],
  ];
  test.each(cases)('%s: bit- and cycle-exact, every sample as alone', async (_, make, machine) => {
    const { graph, samples } = make();
    const batched = compileGraph(graph, samples, { rows: 4, cols: 4, ...machine }, 2);
    const single = compileGraph(graph, samples, { rows: 4, cols: 4, ...machine });
    const sim = await buildRtlSim(batched, { simulator: 'iverilog' });
    sims.push(sim);
    const two = samples.slice(-2);
    const inputs = quantizeBatches(batched, two);
    const runs = await sim.run(batched, inputs);
    expectExact(batched, inputs, runs, 'icarus');
    expect(splitOutputs(batched, runs.map((r) => r.raw), 2).map((o) => Array.from(o))).toEqual(two.map((x) => Array.from(interpret(single, quantizeInput(single, x)))));
  }, 600_000);
});
