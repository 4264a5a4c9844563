// SPDX-License-Identifier: MIT
/**
 * simulate() as the CLI runs it: fast mode computes matmul values on the runtime's WebAssembly
 * SIMD GEMM (src/backends/wasm/gemm-module.ts), and after a few runs of a race-free program takes
 * its values from the program compiled by the WebAssembly back end, built once per program
 * (sim/compiled-values.ts); sim/ may not import the back ends, so both are wired here. Cycles,
 * counters and the trace do not depend on either; the values are the same as the plain JS path's
 * (test/property/sim-gemm.test.ts, test/property/sim-compiled.test.ts).
 */
import { wasmGemm } from '../backends/wasm/gemm-module.js';
import { emitWasm } from '../backends/wasm/emit.js';
import { instantiateSync } from '../backends/wasm/instance.js';
import type { Program } from '../isa/program.js';
import { simulate, type CompiledProgram, type SimulateFn } from '../../sim/index.js';

/** The program as the `wasm` back end runs it (SIMD kernels), instantiated once. */
export function compiledWasm(program: Program): CompiledProgram {
  return instantiateSync(emitWasm(program)).runRaw;
}

export const simulateWasm: SimulateFn = (program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, compiled: compiledWasm, ...opts });
