// SPDX-License-Identifier: MIT
/** The model a command was given, compiled again for other machine configs: what a fit suggestion is checked with. */
import { NnchipError } from '../diagnostics/error.js';
import { loadModel } from '../importers/index.js';
import { product } from '../ir/graph.js';
import type { ArrayConfig } from '../isa/config.js';
import type { Program } from '../isa/program.js';
import { compile } from '../passes/pipeline.js';
import { isProgramPath } from './model-path.js';
import { batchFrom, calibrationFrom, limitsFrom, modelChoiceFrom, type CompileFlags } from './options.js';

/**
 * Compiles the same model (same calibration, batch, limits and add folding) for another config, or null when it
 * does not lower there; no compiler (null) for a lowered program (.nnp, a folder), which holds one config's program.
 */
export function compilerFor(model: string, flags: CompileFlags): ((config: ArrayConfig) => Program | null) | null {
  if (isProgramPath(model)) return null;
  const limits = limitsFrom(flags);
  const graph = loadModel(model, limits, modelChoiceFrom(flags));
  const { calibration } = calibrationFrom(model, flags, product(graph.inputs[0]!.shape));
  const batch = batchFrom(flags);
  return (config) => {
    try {
      return compile(graph, { config, calibration, batch, maxMemory: limits.maxMemory, maxInstructions: limits.maxInstructions, foldAdds: flags.foldAdds !== false }).program;
    } catch (e) {
      if (e instanceof NnchipError) return null;
      throw e;
    }
  };
}
