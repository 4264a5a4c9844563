/**
 * A small residual CNN (passes/stack-add.ts): conv3x3 + relu (c channels) → an identity block
 * (conv3x3 + relu → conv3x3 → add the block input → relu) → a downsampling block (the same, stride 2,
 * with a 1×1/2 shortcut conv written after the branch) → global average pool → dense.
 */
import type { Graph } from '../../src/ir/graph.js';
import type { Program } from '../../src/isa/program.js';
import { LOAD_BUFFERS } from '../../src/isa/spec.js';
import { builder } from './random-cnn.js';

export const RESIDUAL_INPUT = [6, 6, 3] as const;

/** `c` channels per map; `keep`: the first block's branch is read again (its global pool joins the dense layer's input), so its add cannot stack. */
export function residualCnn(c: number, keep = false, seed = 5): Graph {
  const b = builder(seed);
  const conv = (name: string, x: string, k: number, cin: number, cout: number, stride: number, relu: boolean): string =>
    b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([k, k, cin, cout], 0.6), bias: b.tensor([cout], 0.2), strides: [stride, stride], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], depthwise: false, activation: relu ? 'relu' : 'linear' });
  const x0 = conv('stem', 'input', 3, RESIDUAL_INPUT[2], c, 1, true);
  const y1 = conv('b1c2', conv('b1c1', x0, 3, c, c, 1, true), 3, c, c, 1, false);
  const x1 = b.add({ name: 'b1r', op: 'activation', fn: 'relu', inputs: [b.add({ name: 'b1add', op: 'add', inputs: [y1, x0], output: 'b1add' })], output: 'b1r' });
  const y2 = conv('b2c2', conv('b2c1', x1, 3, c, c, 2, true), 3, c, c, 1, false);
  const s2 = conv('b2s', x1, 1, c, c, 2, false);
  const x2 = b.add({ name: 'b2r', op: 'activation', fn: 'relu', inputs: [b.add({ name: 'b2add', op: 'add', inputs: [y2, s2], output: 'b2add' })], output: 'b2r' });
  const gap = b.add({ name: 'gap', op: 'globalAvgPool', inputs: [x2], output: 'gap' });
  const features = keep ? b.add({ name: 'cat', op: 'concat', inputs: [gap, b.add({ name: 'gap1', op: 'globalAvgPool', inputs: [y1], output: 'gap1' })], output: 'cat' }) : gap;
  const out = b.add({ name: 'out', op: 'dense', inputs: [features], output: 'out', kernel: b.tensor([keep ? 2 * c : c, 5], 0.5), bias: b.tensor([5], 0.1), activation: 'linear' });
  return { name: 'residual', inputs: [{ name: 'input', shape: [...RESIDUAL_INPUT] }], nodes: b.nodes, outputs: [out], notes: [] };
}

/**
 * A 3×3 convolution, then a 1×1 one (one matmul per column tile), 3 channels each on an h × h input:
 * on a two-bank 4x4 the 1×1 convolution's second tile's bias loads before its first tile's windows
 * (lower-emit.ts). (3 channels fill too much of a 4-lane act entry to be packed: pack-taps.ts.)
 */
export function pointwiseAfterConv(h: number, seed = 5): Graph {
  const b = builder(seed);
  const conv = (name: string, x: string, k: number): string =>
    b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([k, k, 3, 3], 0.6), bias: b.tensor([3], 0.2), strides: [1, 1], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], depthwise: false, activation: 'relu' });
  return { name: 'pointwise', inputs: [{ name: 'input', shape: [h, h, 3] }], nodes: b.nodes, outputs: [conv('pw', conv('a', 'input', 3), 1)], notes: [] };
}

/** Acc-buffer loads (bias rows) of a layer before its first act load: 2 when its second tile's constants load ahead of its first tile's windows. */
export function accLoadsBeforeWindows(p: Program, layer: string): number {
  const li = p.layers.findIndex((l) => l.name === layer);
  const loads = p.instructions.filter((i, n) => p.insnLayer[n] === li && i.op === 'load');
  const first = loads.findIndex((i) => i.op === 'load' && i.buf === LOAD_BUFFERS.act);
  return loads.slice(0, first).filter((i) => i.op === 'load' && i.buf === LOAD_BUFFERS.acc).length;
}
