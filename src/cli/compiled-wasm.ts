// SPDX-License-Identifier: MIT
/**
 * A program's values from the WebAssembly back end (`run --backend wasm`'s own code), for the
 * simulator's fast mode once that pays (sim/compiled-values.ts); loaded by
 * simulate-wasm.ts manyRunsSimulate() only, since it loads the whole back end.
 */
import { emitWasm } from '../backends/wasm/emit.js';
import { instantiateSync } from '../backends/wasm/instance.js';
import type { Program } from '../isa/program.js';
import type { CompiledProgram } from '../../sim/compiled-values.js';

/** The program as the `wasm` back end runs it (SIMD kernels), instantiated once. */
export function compiledWasm(program: Program): CompiledProgram {
  return instantiateSync(emitWasm(program)).runRaw;
}
