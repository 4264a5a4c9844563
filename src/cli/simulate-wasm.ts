// SPDX-License-Identifier: MIT
/**
 * simulate() as the CLI runs it: fast mode computes matmul values on the runtime's WebAssembly
 * SIMD GEMM (src/backends/wasm/gemm-module.ts); sim/ may not import the back ends, so it is wired
 * here. Commands that simulate many inputs of one program take manyRunsSimulate() instead, which
 * also takes a race-free program's values from its compiled WebAssembly program after a few runs
 * (src/cli/compiled-wasm.ts, sim/compiled-values.ts): that loads the WebAssembly back end, which
 * one inference never uses (its first run is always the machine's), so it loads only then.
 * Cycles, counters and the trace do not depend on either; the values are the same as the plain
 * JS path's (test/property/sim-gemm.test.ts, test/property/sim-compiled.test.ts).
 */
import { wasmGemm } from '../backends/wasm/gemm-module.js';
import { simulate, type SimulateFn } from '../../sim/simulate.js';

export const simulateWasm: SimulateFn = (program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, ...opts });

/** simulateWasm, plus the values from the compiled program once that pays (many inputs of one program). */
export async function manyRunsSimulate(): Promise<SimulateFn> {
  const { compiledWasm } = await import('./compiled-wasm.js');
  return (program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, compiled: compiledWasm, ...opts });
}
