// SPDX-License-Identifier: MIT
/**
 * simulate() as the CLI runs it: fast mode computes matmul values on the runtime's WebAssembly
 * SIMD GEMM (src/backends/wasm/gemm-module.ts) and runs the trace pass's hot loops in WebAssembly
 * (trace-kernels.ts); sim/ may not import the back ends or the encoder, so they are wired here. Commands that simulate many inputs of one program take manyRunsSimulate() instead, which
 * also takes a race-free program's values from its compiled WebAssembly program after a few runs
 * (src/cli/compiled-wasm.ts, sim/compiled-values.ts): that loads the WebAssembly back end, which
 * one inference never uses (its first run is always the machine's), so it loads only then.
 * Cycles, counters and the trace do not depend on either; the values are the same as the plain
 * JS path's (test/property/sim-gemm.test.ts, test/property/sim-compiled.test.ts).
 * Each refuses a program whose simulation would not fit node's heap (checkSimHeap), before planning it.
 */
import { wasmGemm } from '../backends/wasm/gemm-module.js';
import type { Program } from '../isa/program.js';
import { simulatorWith, type SimulateFn } from '../../sim/simulator.js';
import { checkHeap, HEAP_BYTES_PER_INSTRUCTION } from './heap.js';
import { wasmTraceKernels } from './trace-kernels.js';

/** Bytes the simulator holds per instruction, at least (cli/heap.ts): a 2.1M-instruction program peaked at 1.5 GB. */
export const SIM_BYTES_PER_INSTRUCTION = HEAP_BYTES_PER_INSTRUCTION.sim;

const fitting = new WeakSet<Program>();

/** NN406 when simulating `p` would need more memory than node's heap holds (`heapBytes`, V8's limit), naming `file` if given; checked once per program. */
export function checkSimHeap(p: Program, heapBytes?: number, file?: string): void {
  if (fitting.has(p)) return;
  checkHeap(p, 'sim', heapBytes, file);
  fitting.add(p);
}

const guarded =
  (simulate: SimulateFn): SimulateFn =>
  (program, inputCodes, opts) => {
    checkSimHeap(program);
    return simulate(program, inputCodes, opts);
  };

const fastOnly = simulatorWith(null);

/** Fast mode only: the register-level machine (sim/step.ts) is not loaded; stepModeSimulate() has it. */
export const simulateWasm: SimulateFn = guarded((program, inputCodes, opts = {}) => fastOnly(program, inputCodes, { gemm: wasmGemm, traceKernels: wasmTraceKernels, ...opts }));

/** simulateWasm with step mode too (--mode step, --vcd), which loads only then. */
export async function stepModeSimulate(): Promise<SimulateFn> {
  const { simulate } = await import('../../sim/simulate.js');
  return guarded((program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, traceKernels: wasmTraceKernels, ...opts }));
}

/** simulateWasm with step mode (prove()'s step check), plus the values from the compiled program once that pays (many inputs of one program). */
export async function manyRunsSimulate(): Promise<SimulateFn> {
  const [{ compiledWasm }, { simulate }] = await Promise.all([import('./compiled-wasm.js'), import('../../sim/simulate.js')]);
  return guarded((program, inputCodes, opts = {}) => simulate(program, inputCodes, { gemm: wasmGemm, compiled: compiledWasm, traceKernels: wasmTraceKernels, ...opts }));
}
