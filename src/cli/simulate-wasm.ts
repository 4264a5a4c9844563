// SPDX-License-Identifier: MIT
/**
 * simulate() as the CLI runs it: fast mode computes matmul values on the runtime's WebAssembly
 * SIMD GEMM (src/backends/wasm/gemm-module.ts; sim/ may not import the back ends, so it is wired
 * here). Cycles, counters and the trace do not depend on it; the values are the same as the plain
 * JS path's (test/property/sim-gemm.test.ts).
 */
import { wasmGemm } from '../backends/wasm/gemm-module.js';
import { simulate, type SimulateFn } from '../../sim/index.js';

export const simulateWasm: SimulateFn = (program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, ...opts });
