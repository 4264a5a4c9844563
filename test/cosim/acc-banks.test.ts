// SPDX-License-Identifier: MIT
/**
 * The RTL's two acc banks (ACC_BANKS 2: nnchip_acc_mem's halves, the threshold's `reach`, the
 * controller's mm_apart): a matmul whose acc rows lie in the other half from the threshold before it
 * starts beside that threshold, once it ends within the matmul's duration − 1 (timing.ts
 * thresholdTailReach); on the same half it waits for the tail as on a one-bank machine. Icarus runs
 * every shape of the tail tests, both directions and the same half, a threshold started beside the
 * matmuls in flight on the other half (timing.ts thresholdBesideFrom), and the MNIST CNN compiled for
 * a two-bank 4x4 (its column tiles alternating halves); Verilator three of them. Each is
 * bit- and cycle-exact against interpret() and scheduleTimes() (test/unit/sim/threshold-tail.test.ts
 * holds the schedule to the rule).
 */
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { BESIDE_CASES, besideProgram, TAIL_CASES, thresholdTailProgram, type TailBanks, type TailCase } from '../helpers/threshold-tail.js';
import { CAPACITY, expectExact, expectRtlExact, haveTools } from './tools.js';

const exact = (c: TailCase, banks: TailBanks, simulator: 'iverilog' | 'verilator', name: string): Promise<void> =>
  expectRtlExact(thresholdTailProgram(c, c.R * 100 + c.rows, {}, banks), simulator, c.rows + 1, name);

const name = (c: TailCase, banks: TailBanks): string => `${c.R}x${c.C} rows=${c.rows} passes=${c.passes} ${c.mode} ${banks}`;

describe.skipIf(!haveTools('iverilog', 'vvp'))('a matmul beside a threshold on the other acc bank, in Icarus', () => {
  const cases = TAIL_CASES.flatMap((c) => (['up', 'down', 'same'] as const).map((banks) => [name(c, banks), c, banks] as const));
  test.each(cases)('%s: bit- and cycle-exact', (n, c, banks) => exact(c, banks, 'iverilog', n), 120_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('a threshold beside the matmuls in flight on the other acc bank, in Icarus', () => {
  test.each(BESIDE_CASES.map((c) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes}`, c] as const))('%s: bit- and cycle-exact', (name, c) => expectRtlExact(besideProgram(c, c.rows * 7 + c.R), 'iverilog', c.rows + 3, name), 120_000);
});

describe.skipIf(!haveTools('verilator'))('a matmul beside a threshold on the other acc bank, in Verilator', () => {
  const cases = [TAIL_CASES[3]!, TAIL_CASES[5]!].map((c, i) => [name(c, i === 0 ? 'up' : 'down'), c, i === 0 ? 'up' : 'down'] as const);
  test.each(cases)('%s: bit- and cycle-exact', (n, c, banks) => exact(c, banks, 'verilator', n), 300_000);

  test('a threshold beside the matmuls in flight: bit- and cycle-exact', () => {
    const c = BESIDE_CASES[0];
    return expectRtlExact(besideProgram(c, c.rows * 7 + c.R), 'verilator', c.rows + 3, 'beside, verilator');
  }, 300_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp'))('the MNIST CNN on a two-bank 4x4, in Icarus', () => {
  test('bit- and cycle-exact, in fewer cycles than on one bank', async () => {
    const model = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
    const samples = calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 4);
    const machine = { rows: 4, cols: 4, dramLatency: 2, actDepth: 2048, wgtDepth: 512, accDepth: 512, outDepth: 512, qntDepth: 8 };
    const p = compileGraph(loadModel(model), samples, { ...machine, accBanks: 2 });
    const one = compileGraph(loadModel(model), samples, machine);
    expect(scheduleTimes(p.instructions, p.config).cycles).toBeLessThan(scheduleTimes(one.instructions, one.config).cycles);
    const sim = await buildRtlSim(p, { simulator: 'iverilog', capacity: CAPACITY });
    try {
      const inputs = samples.slice(0, 1).map((x) => quantizeInput(p, x));
      expectExact(p, inputs, await sim.run(p, inputs), 'MNIST CNN, two acc banks');
    } finally {
      sim.dispose();
    }
  }, 300_000);
});
