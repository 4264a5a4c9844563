// SPDX-License-Identifier: MIT
/** Public entry point of the simulator (`nnchip/sim`): simulate() and prove(), with their types. */
export { simulate, type SimMode, type SimOptions, type SimResult, type SimulateFn } from './simulate.js';
export { prove, type ProveOptions, type ProveReport } from './prove.js';
export type { Counters, LayerStats, SimStats, StallStats } from './stats.js';
export type { VcdSink } from './vcd.js';
export type { Int8Gemm, Int8GemmFactory } from './matmul-values.js';
export type { CompiledProgram, CompiledProgramFactory } from './compiled-values.js';
