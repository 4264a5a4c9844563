/** Programs with their dependency tokens stripped (races), for the simulator's race tests. */
import { makeConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { NO_TOKENS } from '../../src/isa/spec.js';
import { compile } from '../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from './random-graph.js';
import { randomProgram } from '../unit/backends/wasm/random-program.js';

export const noTokens = (p: Program): Program => ({ ...p, instructions: p.instructions.map((i) => ({ ...i, ...NO_TOKENS })) });

/** A compiled 16-8-5 MLP on 4x4, the same with its tokens stripped, and an input on which they part ways. */
export function strippedMlp(): { p: Program; racy: Program; x: Int8Array } {
  const p = compile(randomMlp([16, 8, 5], 3), { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples: randomSamples(8, 16, 4) } }).program;
  return { p, racy: noTokens(p), x: Int8Array.from({ length: 16 }, (_, i) => 7 * i - 50) };
}

/** A random program (test/unit/backends/wasm/random-program.ts) with no tokens at all, at the given DRAM latency. */
export function racyRandomProgram(seed: number, dramLatency: number): Program {
  const raw = randomProgram(seed, undefined, { tables: true });
  return noTokens({ ...raw, config: { ...raw.config, dramLatency } });
}
