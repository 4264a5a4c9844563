// SPDX-License-Identifier: MIT
/**
 * Computed tensors stored packed (passes/pack-taps.ts): the residual CNN of 4 channels on a 16x16,
 * where ⌊16/4⌋ = 4 pixels share an act entry, so its 3×3 convolutions merge their taps, and its
 * maps are written by stores whose 16 lanes spill onto the next pixels.
 */
import type { Program } from '../../src/isa/program.js';
import { compileGraph } from './compile.js';
import { randomSamples } from './random-graph.js';
import { RESIDUAL_INPUT, residualCnn } from './residual-cnn.js';

export const PACKED_MACHINE = { rows: 16, cols: 16, dramBytesPerCycle: 16, dramLatency: 2, accDepth: 512, actDepth: 2048, wgtDepth: 512, outDepth: 512, qntDepth: 8 };

export const residualSamples = (count: number, seed: number): Float32Array[] => randomSamples(count, RESIDUAL_INPUT.reduce((a, b) => a * b, 1), seed, -1, 1);

/** The residual CNN of 4 channels compiled for `machine` (PACKED_MACHINE: its maps packed), its adds ops of their own (not folded into their convolutions). */
export function packedResidual(machine: Record<string, number> = PACKED_MACHINE): Program {
  return compileGraph(residualCnn(4), residualSamples(4, 21), machine, 1, 'auto', false);
}

/** The DRAM regions of computed maps stored packed: the stores into them put rows (pixels or pixel groups) less than C bytes apart. */
export function packedRegions(p: Program): string[] {
  const names = new Set<string>();
  for (const insn of p.instructions) {
    if (insn.op !== 'store' || insn.rows < 2 || insn.stride >= p.config.cols) continue;
    const region = p.memoryMap.find((r) => r.space === 'dram' && r.start <= insn.dram && insn.dram < r.start + r.size);
    if (region !== undefined) names.add(region.name);
  }
  return [...names].sort();
}
