// SPDX-License-Identifier: MIT
/**
 * Chaining in the RTL (nnchip_controller's CHAIN flags: a chained matmul takes the running load's
 * token once the load wrote its first row, src/isa/timing.ts chainedTokenAt): the digits CNN and two
 * 3×3 convolutions on ideal DRAM, chained by the compiler, and the convolutions on slow DRAM with
 * latency (rows of several beats) chained by force wherever the race check takes it. Bit- and
 * cycle-exact against interpret() and scheduleTimes(): the forced chains in Icarus and Verilator, the
 * convolutions on ideal DRAM in Icarus, the digits CNN in Verilator (31 s in Icarus; the digits CNN
 * on the default machine, chained too, is test/cosim/examples.test.ts's in Icarus). And a 1×1 stride-2
 * convolution whose windows load line by line, its tokens moved to the first loads before them, and
 * a matmul chained by force to its weight tile's load, which preloads each entry the cycle after the
 * DMA wrote it.
 */
import { describe, expect, test } from 'vitest';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { loadBufferOf, type InstructionOf } from '../../src/isa/spec.js';
import { chainedTokenAt, scheduleTimes } from '../../src/isa/timing.js';
import { compile } from '../../src/passes/pipeline.js';
import { chainedCount, chainOnWeights, chainWherever, convPair, stridedShortcut } from '../helpers/chain.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { randomSamples, rng } from '../helpers/random-graph.js';
import { expectExact, haveTools } from './tools.js';

const IDEAL = { dramBytesPerCycle: 4096, dramLatency: 0, accBanks: 2 } as const;

function digitsCnn(): Program {
  const g = loadModel('examples/digits-cnn/model.json');
  return compileGraph(g, calibrationSamples().slice(0, 4), { rows: 8, cols: 8, ...IDEAL });
}

function convolutions(config: Partial<ArrayConfig>): Program {
  const graph = convPair(5, 12, 8, 8);
  return compile(graph, { config: makeConfig(config), calibration: { samples: randomSamples(3, 12 * 12 * 8, 6, -1, 1) } }).program;
}

/** A 1×1 stride-2 convolution on 32x8, ideal DRAM, with matmuls chained by force to their weight tiles' loads, one right at its token (a preload one cycle behind the DMA). */
function shortcutOnWeights(): Program {
  const graph = stridedShortcut(3, 12, 8, 32);
  const p = chainOnWeights(compile(graph, { config: makeConfig({ rows: 32, cols: 8, actDepth: 4096, accDepth: 512, ...IDEAL }), calibration: { samples: randomSamples(3, 12 * 12 * 8, 6, -1, 1) } }).program);
  const s = scheduleTimes(p.instructions, p.config);
  const pushers: number[] = [];
  let tight = 0;
  p.instructions.forEach((insn, i) => {
    if (insn.op === 'load' && insn.pushNext) pushers.push(i);
    if (insn.op !== 'matmul' || !insn.popPrev) return;
    const ld = pushers.shift()!;
    const load = p.instructions[ld] as InstructionOf<'load'>;
    if (insn.chain === 1 && loadBufferOf(load.buf) === 'wgt' && s.timings[i]!.start === chainedTokenAt(load, s.timings[ld]!.start, p.config)) tight++;
  });
  expect(tight, 'a matmul preloading right behind its weight tile\'s load').toBeGreaterThan(0);
  return p;
}

const CASES: readonly [string, () => Program][] = [
  ['the digits CNN on 8x8, ideal DRAM', digitsCnn],
  ['two 3×3 convolutions on 32x8, ideal DRAM', () => convolutions({ rows: 32, cols: 8, ...IDEAL })],
  ['two 3×3 convolutions on 8x4, 3 B/cycle and latency 5, chained by force', () => chainWherever(convolutions({ rows: 8, cols: 4, dramBytesPerCycle: 3, dramLatency: 5 }))],
  ['a 1×1 stride-2 convolution on 32x8, ideal DRAM, a preload right behind its weight tile', shortcutOnWeights],
];

async function exact(p: Program, simulator: 'iverilog' | 'verilator', what: string): Promise<void> {
  expect(chainedCount(p), what).toBeGreaterThan(0);
  const r = rng(chainedCount(p));
  const inputs = [0, 1].map(() => Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128));
  const sim = await buildRtlSim(p, { simulator, inputs });
  try {
    expectExact(p, inputs, await sim.run(p, inputs), what);
  } finally {
    sim.dispose();
  }
}

describe.skipIf(!haveTools('iverilog', 'vvp'))('chained matmuls in Icarus', () => {
  test.each(CASES.slice(1))('%s: bit- and cycle-exact', (what, make) => exact(make(), 'iverilog', what), 600_000);
});

describe.skipIf(!haveTools('verilator'))('chained matmuls in Verilator', () => {
  test.each([CASES[0]!, CASES[2]!, CASES[3]!])('%s: bit- and cycle-exact', (what, make) => exact(make(), 'verilator', what), 600_000);
});
