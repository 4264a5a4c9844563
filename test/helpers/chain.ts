// SPDX-License-Identifier: MIT
/** Chaining in tests: programs with long loads (convPair), and chains set by force where the race check takes them (chainWherever). */
import { NnchipError } from '../../src/diagnostics/error.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Program } from '../../src/isa/program.js';
import { loadBufferOf } from '../../src/isa/spec.js';
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

/**
 * The program with matmuls chained by force to the weight tile's load before the act load they pop
 * (its token moved there), where the race check takes it: a preload a cycle behind the DMA, which the
 * compiler does not choose itself (its first-load tokens skip over several act loads only).
 */
export function chainOnWeights(p: Program): Program {
  let q = p;
  const pushers: number[] = [];
  let popped = 0;
  for (let i = 0; i < p.instructions.length; i++) {
    const insn = q.instructions[i]!;
    if (insn.op === 'load' && insn.pushNext) pushers.push(i);
    if (insn.op !== 'matmul' || !insn.popPrev) continue;
    const previous = popped > 0 ? pushers[popped - 1]! : -1;
    const load = pushers[popped++]!;
    let wgt = -1;
    for (let k = previous + 1; k < load; k++) {
      const at = q.instructions[k]!;
      if (at.op === 'load' && loadBufferOf(at.buf) === 'wgt') wgt = k;
    }
    if (wgt < 0) continue;
    const moved = q.instructions.map((x, k) => (k === i ? { ...insn, chain: 1 } : k === wgt ? { ...x, pushNext: true } : k === load ? { ...x, pushNext: false } : x));
    const trial: Program = { ...q, instructions: moved };
    if (validates(trial)) {
      q = trial;
      pushers[popped - 1] = wgt;
    }
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
