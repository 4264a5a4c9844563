// SPDX-License-Identifier: MIT
/**
 * A convolution of one matmul per tile (a 1×1 stride-2 shortcut whose Cin fits the rows, one column
 * tile) on a two-bank 4x4 with ideal DRAM: each tile's threshold follows the next tile's matmul, on
 * the other acc bank, and the tiles' windows take turns in three act slots (lower-tile-choice.ts
 * chooseLines `oneMatmulBeside`, kept by lower.ts because the whole program is faster).
 */
import type { Graph } from '../../src/ir/graph.js';
import { LOAD_BUFFERS, type Instruction } from '../../src/isa/spec.js';
import type { Program } from '../../src/isa/program.js';
import { compileGraph } from './compile.js';
import { builder } from './random-cnn.js';
import { randomSamples } from './random-graph.js';

export const ONE_MATMUL_MACHINE = { rows: 4, cols: 4, dramBytesPerCycle: 16, dramLatency: 0, actDepth: 4096, wgtDepth: 4096, accDepth: 4096, outDepth: 4096, qntDepth: 8 };

export function oneMatmulShortcut(accBanks: 1 | 2): Program {
  const b = builder(19);
  b.add({ name: 'shortcut', op: 'conv2d', inputs: ['input'], output: 'shortcut', kernel: b.tensor([1, 1, 4, 4], 0.6), bias: b.tensor([4], 0.2), strides: [2, 2], pads: [0, 0, 0, 0], depthwise: false, activation: 'relu' });
  const graph: Graph = { name: 'shortcut', inputs: [{ name: 'input', shape: [16, 16, 4] }], nodes: b.nodes, outputs: ['shortcut'], notes: [] };
  return compileGraph(graph, randomSamples(4, 16 * 16 * 4, 19), { ...ONE_MATMUL_MACHINE, accBanks });
}

/** How the program orders its compute: thresholds that come after a later tile's matmul, and the act addresses its matmuls read. */
export function besideShape(p: Program): { matmuls: number; thresholds: number; besideThresholds: number; actSlots: number; actLoadBases: number } {
  const compute = p.instructions.filter((i): i is Extract<Instruction, { op: 'matmul' | 'threshold' }> => i.op === 'matmul' || i.op === 'threshold');
  const matmuls = compute.filter((i) => i.op === 'matmul');
  // a threshold whose own tile's matmul is not the matmul just before it (one matmul per tile: the same acc rows)
  const besideThresholds = compute.filter((i, k) => i.op === 'threshold' && compute[k - 1]?.op === 'matmul' && compute[k - 1]!.acc !== i.acc).length;
  const actLoadBases = new Set(p.instructions.flatMap((i) => (i.op === 'load' && i.buf === LOAD_BUFFERS.act ? [i.sram] : []))).size;
  return { matmuls: matmuls.length, thresholds: compute.length - matmuls.length, besideThresholds, actSlots: new Set(matmuls.map((m) => (m.op === 'matmul' ? m.act : -1))).size, actLoadBases };
}
