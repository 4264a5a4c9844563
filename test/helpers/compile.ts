/** Shared test helpers: compile a model file or graph with the defaults the CLI uses. */
import { readFileSync } from 'node:fs';
import { NnchipError } from '../../src/diagnostics/error.js';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import type { InputWindowsChoice } from '../../src/passes/lower.js';
import { compile } from '../../src/passes/pipeline.js';
import { validateProgram } from '../../src/isa/validate.js';

export const DIGITS_MLP = new URL('../../examples/digits-mlp/model.json', import.meta.url).pathname;
export const DIGITS_CALIBRATION = new URL('../../examples/digits-mlp/calibration.json', import.meta.url).pathname;

export function calibrationSamples(path = DIGITS_CALIBRATION): Float32Array[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { inputs: number[][] }).inputs.map((x) => Float32Array.from(x));
}

/**
 * Compiled as the CLI compiles (and validated as it validates before writing: the memory map's regions
 * too, which compile() itself does not look at: a two-bank map once ran past the acc buffer).
 */
export function compileGraph(graph: Graph, samples: readonly ArrayLike<number>[], config: Partial<ArrayConfig> = {}, batch = 1, inputWindows: InputWindowsChoice = 'auto', foldAdds = true): Program {
  return validateProgram(compile(graph, { config: makeConfig(config), calibration: { samples }, verify: true, batch, inputWindows, foldAdds }).program);
}

/** A fit check's compiler: the graph compiled for another config, or null where it does not lower (an NnchipError). */
export function compilerOf(graph: Graph, samples: readonly ArrayLike<number>[]): (config: ArrayConfig) => Program | null {
  return (config) => {
    try {
      return compile(graph, { config, calibration: { samples } }).program;
    } catch (e) {
      if (e instanceof NnchipError) return null;
      throw e;
    }
  };
}

export function compileDigitsMlp(config: Partial<ArrayConfig> = {}, batch = 1): { graph: Graph; program: Program } {
  const graph = loadModel(DIGITS_MLP);
  return { graph, program: compileGraph(graph, calibrationSamples(), config, batch) };
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Every CROSS_CHECKth input int8Outputs runs on the WASM runtime is also run on interpret(). */
const CROSS_CHECK = 50;

/**
 * The int8 program's output codes per input, from the WASM runtime (SIMD), which test/agreement holds
 * to interpret() bit for bit; every CROSS_CHECKth input is run on interpret() too and must give the
 * same codes, so what an accuracy test measures is the reference semantics'. (interpret() alone took
 * 19 of the LSTM's 21 s on 2,004 digits; the module, built once, 1.9.)
 */
export async function int8Outputs(program: Program, inputs: readonly ArrayLike<number>[]): Promise<Int8Array[]> {
  const codes = inputs.map((x) => quantizeInput(program, x));
  const outputs = await runWasm(program, codes);
  for (let i = 0; i < codes.length; i += CROSS_CHECK) {
    const want = interpret(program, codes[i]!);
    if (want.some((v, k) => v !== outputs[i]![k])) throw new Error(`int8Outputs: input ${i}: the WASM runtime's outputs differ from interpret()'s`);
  }
  return outputs;
}

/** The int8 program's top-1 class per input (int8Outputs). */
export async function int8Predict(program: Program, inputs: readonly ArrayLike<number>[]): Promise<number[]> {
  return (await int8Outputs(program, inputs)).map(argmax);
}
