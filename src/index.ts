// SPDX-License-Identifier: MIT
/** The typed library API of nnchip: re-exports only (the one barrel file). */
export { loadModel, DEFAULT_LIMITS, type Limits } from './importers/index.js';
export type { Graph, Node, Tensor } from './ir/graph.js';
export { checkGraph } from './ir/verify.js';
export { evaluateGraph, evaluateOutput } from './ir/evaluate.js';
export { compile, prepareGraph, GRAPH_PASSES, type CompileOptions, type Compiled } from './passes/pipeline.js';
export type { Calibration } from './passes/quantize.js';
export { NnchipError } from './diagnostics/error.js';
export { CODES, EXIT } from './diagnostics/codes.js';
export * as isa from './isa/index.js';
export * as explore from './explore/index.js';
export { main } from './cli/main.js';
export { emitWasm, buildWasm, type WasmOptions } from './backends/wasm/emit.js';
export { emitLoader } from './backends/wasm/loader/loader.js';
export { simulate, prove } from '../sim/index.js';
export { emitVerilog, type EmitOptions } from './backends/verilog/emit.js';
