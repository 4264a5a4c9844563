// SPDX-License-Identifier: MIT
/** Instance and group normalization blocks as graph IR (ir/normalize.ts), for the agreement and property tests. */
import type { Graph, Node } from '../../src/ir/graph.js';
import { normalizeNodes } from '../../src/ir/normalize.js';
import { rng } from './random-graph.js';

export interface NormOptions {
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  /** the normalized map's channels (a multiple of `groups`) */
  readonly c: number;
  readonly groups: number;
  /** a random γ, β after it */
  readonly affine: boolean;
  /** a ReLU after the normalization, then a 3x3 convolution to this many channels (else the normalization is the output) */
  readonly project?: number | undefined;
  readonly seed: number;
}

/** input → conv 3x3 = x → normalize (groups, γ β) [→ relu → conv 3x3]. */
export function normGraph(o: NormOptions): Graph {
  const r = rng(o.seed);
  const weights = (n: number, fan: number): Float32Array => Float32Array.from({ length: n }, () => ((r() * 2 - 1) * 1.5) / Math.sqrt(fan));
  const around = (n: number, mid: number, k: number): Float32Array => Float32Array.from({ length: n }, () => mid + (r() * 2 - 1) * k);
  const conv = (name: string, input: string, output: string, cin: number, cout: number): Node => ({ name, op: 'conv2d', inputs: [input], output, kernel: { shape: [3, 3, cin, cout], data: weights(9 * cin * cout, 9 * cin) }, bias: { shape: [cout], data: around(cout, 0, 0.5) }, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' });
  const affine = o.affine ? { scale: around(o.c, 1, 0.5), offset: around(o.c, 0, 0.3) } : {};
  const nodes: Node[] = [conv('conv', 'input', 'x', o.cin, o.c), ...normalizeNodes('norm', 'x', 'y', [o.h, o.w, o.c], { eps: 1e-5, groups: o.groups, ...affine })];
  if (o.project !== undefined) nodes.push({ name: 'relu', op: 'activation', inputs: ['y'], output: 'a', fn: 'relu' }, conv('project', 'a', 'z', o.c, o.project));
  return { name: 'norm', inputs: [{ name: 'input', shape: [o.h, o.w, o.cin] }], nodes, outputs: [o.project === undefined ? 'y' : 'z'], notes: [] };
}
