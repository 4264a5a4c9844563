// SPDX-License-Identifier: MIT
/**
 * THE pass order. Graph passes are pure Graph → Graph functions (checkGraph runs after each one
 * when `verify` is set, as the tests do); then quantize, lower, schedule and emit a Program.
 */
import type { Graph } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';
import type { ArrayConfig } from '../isa/config.js';
import { checkProgram } from '../isa/interpret.js';
import type { LayerInfo, Program } from '../isa/program.js';
import { internal } from '../diagnostics/error.js';
import { lowerToIsa } from './lower.js';
import { quantize, type Calibration, type QuantizedModel } from './quantize.js';
import { hoistLoads, insertTokens } from './schedule.js';
import { activationToDense, checkLowerable, dropFinalSoftmax, fuseActivation, removeNoOps } from './simplify.js';

export const GRAPH_PASSES: readonly { readonly name: string; readonly run: (g: Graph) => Graph }[] = [
  { name: 'remove-no-ops', run: removeNoOps },
  { name: 'drop-final-softmax', run: dropFinalSoftmax },
  { name: 'fuse-activation', run: fuseActivation },
  { name: 'activation-to-dense', run: (g) => activationToDense(g, checkGraph(g)) },
  { name: 'check-lowerable', run: checkLowerable },
];

export interface CompileOptions {
  readonly config: ArrayConfig;
  readonly calibration: Calibration;
  /** Run checkGraph after every graph pass and checkProgram at the end (tests). */
  readonly verify?: boolean;
}

export function prepareGraph(g: Graph, verify = false): Graph {
  return GRAPH_PASSES.reduce((acc, p) => {
    const next = p.run(acc);
    if (verify) checkGraph(next);
    return next;
  }, g);
}

export interface Compiled {
  readonly graph: Graph;
  readonly quantized: QuantizedModel;
  readonly program: Program;
}

export function compile(graph: Graph, opts: CompileOptions): Compiled {
  const g = prepareGraph(graph, opts.verify ?? false);
  const quantized = quantize(g, opts.calibration);
  const lowered = lowerToIsa(quantized, opts.config);
  const tagged = lowered.instructions.map((insn, i) => ({ insn, layer: lowered.layerOf[i]! }));
  const scheduled = insertTokens(hoistLoads(tagged, opts.config), opts.config, lowered.memoryMap.filter((r) => r.space === 'dram'));
  const layers: LayerInfo[] = lowered.layers.map((l, li) => {
    const idx = scheduled.flatMap((t, i) => (t.layer === li && t.insn.op !== 'halt' ? [i] : []));
    const first = idx.length > 0 ? Math.min(...idx) : 0;
    return { ...l, firstInsn: first, insnCount: idx.length > 0 ? Math.max(...idx) - first + 1 : 0 };
  });
  const program: Program = {
    config: lowered.config,
    instructions: scheduled.map((t) => t.insn),
    dramSize: lowered.dramSize,
    constants: lowered.constants,
    input: lowered.input,
    output: lowered.output,
    layers,
    memoryMap: lowered.memoryMap,
    notes: lowered.notes,
  };
  const problem = checkProgram(program);
  if (problem !== null) throw internal(`the compiler produced an invalid program: ${problem}`);
  return { graph: g, quantized, program };
}
