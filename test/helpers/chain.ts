// SPDX-License-Identifier: MIT
/** Chaining in tests: programs with long loads (convPair), and chains set by force where the race check takes them (chainWherever). */
import { NnchipError } from '../../src/diagnostics/error.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Program } from '../../src/isa/program.js';
import { validateProgram } from '../../src/isa/validate.js';
import { builder } from './random-cnn.js';

export function validates(p: Program): boolean {
  try {
    validateProgram(p);
    return true;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN404') return false;
    throw e;
  }
}

export function chainWherever(p: Program): Program {
  let q = p;
  for (let i = 0; i < p.instructions.length; i++) {
    const insn = q.instructions[i]!;
    if (insn.op !== 'matmul' || !insn.popPrev || insn.chain === 1) continue;
    const trial: Program = { ...q, instructions: q.instructions.map((x, k) => (k === i ? { ...insn, chain: 1 } : x)) };
    if (validates(trial)) q = trial;
  }
  return q;
}

export const chainedCount = (p: Program): number => p.instructions.filter((i) => i.op === 'matmul' && i.chain === 1).length;

/** Two 3×3 convolutions over a side×side map of c channels: loads of many rows (randomCnn's are short). */
export function convPair(seed: number, side: number, c: number, mid: number): Graph {
  const b = builder(seed);
  const conv = (name: string, x: string, cin: number, cout: number): string =>
    b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([3, 3, cin, cout], 0.6), bias: b.tensor([cout], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  const out = conv('c2', conv('c1', 'input', c, mid), mid, 4);
  return { name: `pair${seed}`, inputs: [{ name: 'input', shape: [side, side, c] }], nodes: b.nodes, outputs: [out], notes: [] };
}

/** A 1×1 stride-2 convolution (a ResNet shortcut) over a side×side map: its window is one load per output line. */
export function stridedShortcut(seed: number, side: number, cin: number, cout: number): Graph {
  const b = builder(seed);
  const out = b.add({ name: 'shortcut', op: 'conv2d', inputs: ['input'], output: 'shortcut', kernel: b.tensor([1, 1, cin, cout], 0.6), bias: b.tensor([cout], 0.2), strides: [2, 2], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  return { name: `shortcut${seed}`, inputs: [{ name: 'input', shape: [side, side, cin] }], nodes: b.nodes, outputs: [out], notes: [] };
}
