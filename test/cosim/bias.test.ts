// SPDX-License-Identifier: MIT
/**
 * The matmul `bias` bit in the RTL (nnchip_matmul.v: row 0's acc read held in `bias_q` for the later
 * rows of a bias matmul, which still read their own stale entries): hand-built programs of bias
 * matmuls (bias-program.ts: many rows and one, acc not 0, accumulating matmuls on top, back to back
 * in flight, an entry written by the matmul before it; one and two acc banks) and the MNIST CNN
 * rewritten to load each column tile's bias once and start its first matmul from it are bit-exact
 * against interpret() and cycle-exact against scheduleTimes(), in Icarus and in Verilator.
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { LOAD_BUFFERS } from '../../src/isa/spec.js';
import { validateProgram } from '../../src/isa/validate.js';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { rng } from '../helpers/random-graph.js';
import { biasCaseName, biasProgram, type BiasCase } from './bias-program.js';
import { CAPACITY, expectExact, expectRtlExact, haveTools } from './tools.js';

const CASES: readonly BiasCase[] = [
  { R: 1, C: 1, rows: 1, accBanks: 1, thresholdPasses: 1, dramBytesPerCycle: 1, dramLatency: 0 },
  { R: 1, C: 1, rows: 5, accBanks: 2, thresholdPasses: 1, dramBytesPerCycle: 4, dramLatency: 1 },
  { R: 2, C: 2, rows: 3, accBanks: 2, thresholdPasses: 4, dramBytesPerCycle: 2, dramLatency: 3 },
  { R: 4, C: 4, rows: 2, accBanks: 1, thresholdPasses: 1, dramBytesPerCycle: 16, dramLatency: 0 },
  { R: 4, C: 4, rows: 9, accBanks: 1, thresholdPasses: 16, dramBytesPerCycle: 16, dramLatency: 2 },
  { R: 4, C: 4, rows: 9, accBanks: 2, thresholdPasses: 16, dramBytesPerCycle: 16, dramLatency: 2 },
  { R: 4, C: 8, rows: 6, accBanks: 2, thresholdPasses: 2, dramBytesPerCycle: 3, dramLatency: 1 },
  { R: 8, C: 8, rows: 11, accBanks: 1, thresholdPasses: 8, dramBytesPerCycle: 16, dramLatency: 5 },
];

const inputOf = (p: Program, seed: number): Int8Array => {
  const r = rng(seed);
  return Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
};

/** The program with its bias matmuls read another way (the bias ignored, or the stale row read added): the outputs must differ. */
const misread = (p: Program, as: 'overwrite' | 'accumulate'): Program => ({
  ...p,
  instructions: p.instructions.map((i) => (i.op === 'matmul' && i.bias === 1 ? { ...i, bias: 0, accumulate: as === 'accumulate' ? 1 : 0 } : i)),
});

describe('the hand-built bias programs', () => {
  test.each(CASES.map((c) => [biasCaseName(c), c] as const))('%s: valid, and a back end misreading the bias bit computes other bytes', (_, c) => {
    const p = validateProgram(biasProgram(c, c.R * 31 + c.rows));
    const x = inputOf(p, c.rows);
    const out = Array.from(interpret(p, x));
    expect(Array.from(interpret(misread(p, 'overwrite'), x))).not.toEqual(out);
    if (c.rows > 1) expect(Array.from(interpret(misread(p, 'accumulate'), x))).not.toEqual(out);
  });

  test('two acc banks change the schedule (a matmul beside the threshold on the other half)', () => {
    const [one, two] = ([1, 2] as const).map((accBanks) => biasProgram({ ...CASES[5]!, accBanks }, 1));
    expect(scheduleTimes(two!.instructions, two!.config).cycles).toBeLessThan(scheduleTimes(one!.instructions, one!.config).cycles);
  });
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('bias matmuls in Icarus', () => {
  test.each(CASES.map((c) => [biasCaseName(c), c] as const))('%s: bit- and cycle-exact', (name, c) => expectRtlExact(biasProgram(c, c.R * 31 + c.rows), 'iverilog', c.rows, name), 120_000);
});

describe.skipIf(!haveTools('verilator'))('bias matmuls in Verilator', () => {
  test.each([CASES[4]!, CASES[6]!].map((c) => [biasCaseName(c), c] as const))('%s: bit- and cycle-exact', (name, c) => expectRtlExact(biasProgram(c, c.R * 31 + c.rows), 'verilator', c.rows, name), 300_000);
});

/** The MNIST CNN on a 4x4 (acc banks 1 or 2) as the compiler lowers it: each column tile's bias one acc entry, its first matmul a bias matmul. */
function mnistWithBias(accBanks: 1 | 2): { program: Program; inputs: Int8Array[] } {
  const model = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
  const samples = calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 4);
  const program = compileGraph(loadModel(model), samples, { rows: 4, cols: 4, dramLatency: 2, actDepth: 2048, wgtDepth: 512, accDepth: 512, outDepth: 512, qntDepth: 8, accBanks });
  validateProgram(program);
  // every acc load but the step tables' is a one-row bias entry, and each is read by a bias matmul
  const biasLoads = program.instructions.filter((i) => i.op === 'load' && i.buf === LOAD_BUFFERS.acc && i.stride === 0);
  expect(biasLoads.length).toBeGreaterThan(10);
  expect(biasLoads.every((i) => i.op === 'load' && i.rows === 1)).toBe(true);
  expect(program.instructions.filter((i) => i.op === 'matmul' && i.bias === 1 && i.rows > 1).length).toBeGreaterThan(10);
  const inputs = samples.slice(0, 1).map((x) => quantizeInput(program, x));
  return { program, inputs };
}

const mnistExact = async (accBanks: 1 | 2, simulator: 'iverilog' | 'verilator'): Promise<void> => {
  const { program, inputs } = mnistWithBias(accBanks);
  const sim = await buildRtlSim(program, { simulator, capacity: CAPACITY });
  try {
    expectExact(program, inputs, await sim.run(program, inputs), `MNIST CNN with bias matmuls, ${accBanks} acc bank(s), ${simulator}`);
  } finally {
    sim.dispose();
  }
};

describe.skipIf(!haveTools('iverilog', 'vvp'))('the MNIST CNN with bias matmuls on a two-bank 4x4, in Icarus', () => {
  test('bit- and cycle-exact', () => mnistExact(2, 'iverilog'), 300_000);
});

describe.skipIf(!haveTools('verilator'))('the MNIST CNN with bias matmuls on a one-bank 4x4, in Verilator', () => {
  test('bit- and cycle-exact', () => mnistExact(1, 'verilator'), 300_000);
});
