/** Seeded random convolutional graphs (IR built directly) covering every op the lowering knows. */
import type { Activation, Graph, Node, Pads, Tensor } from '../../src/ir/graph.js';
import { rng } from './random-graph.js';

export interface CnnBuilder {
  readonly nodes: Node[];
  tensor(shape: number[], scale?: number): Tensor;
  add(node: Node): string;
}

export function builder(seed: number): CnnBuilder {
  const r = rng(seed);
  const nodes: Node[] = [];
  return {
    nodes,
    tensor: (shape, scale = 0.5) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale) }),
    add: (node) => (nodes.push(node), node.output),
  };
}

const conv = (b: CnnBuilder, name: string, x: string, k: number, cin: number, cout: number, opts: { stride?: number; pads?: Pads; depthwise?: boolean; activation?: Activation } = {}): string =>
  b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([k, k, cin, opts.depthwise ? 1 : cout], 0.6), bias: b.tensor([opts.depthwise ? cin : cout], 0.2), strides: [opts.stride ?? 1, opts.stride ?? 1], pads: opts.pads ?? [0, 0, 0, 0], depthwise: opts.depthwise ?? false, activation: opts.activation ?? 'relu' });

/** conv(pad, stride) → bn → relu6 → dwconv → maxpool(pad) ⊕ concat with avgpool branch → add → gap/flatten → dense. */
export function randomCnn(seed: number, h = 9, w = 8, c = 3): Graph {
  const b = builder(seed);
  const c1 = conv(b, 'c1', 'input', 3, c, 5, { pads: [1, 1, 1, 1], activation: 'linear' });
  const bn = b.add({ name: 'bn', op: 'batchNorm', inputs: [c1], output: 'bn', scale: b.tensor([5], 1).data.map((v) => 1 + v * 0.5), offset: b.tensor([5], 0.3).data });
  const r6 = b.add({ name: 'r6', op: 'activation', fn: 'relu6', inputs: [bn], output: 'r6' });
  const dw = conv(b, 'dw', r6, 3, 5, 5, { depthwise: true, pads: [1, 1, 1, 1] });
  const mp = b.add({ name: 'mp', op: 'pool2d', kind: 'max', size: [2, 2], strides: [2, 2], pads: [0, 0, 1, 0], inputs: [dw], output: 'mp' });
  const c2 = conv(b, 'c2', r6, 2, 5, 4, { stride: 2, pads: [0, 0, 1, 0] });
  const ap = b.add({ name: 'ap', op: 'pool2d', kind: 'avg', size: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], inputs: [c2], output: 'ap' });
  const cat = b.add({ name: 'cat', op: 'concat', inputs: [mp, ap], output: 'cat' });
  const c3 = conv(b, 'c3', cat, 1, 9, 9, { activation: 'linear' });
  const sum = b.add({ name: 'sum', op: 'add', inputs: [cat, c3], output: 'sum' });
  const relu = b.add({ name: 'relu', op: 'activation', fn: 'relu', inputs: [sum], output: 'relu' });
  const gap = b.add({ name: 'gap', op: 'globalAvgPool', inputs: [relu], output: 'gap' });
  const fl = b.add({ name: 'fl', op: 'flatten', inputs: [relu], output: 'fl', order: 'chw' });
  const d1 = b.add({ name: 'd1', op: 'dense', inputs: [fl], output: 'd1', kernel: b.tensor([5 * 4 * 9, 6], 0.2), bias: b.tensor([6], 0.1), activation: 'relu' });
  const cat2 = b.add({ name: 'cat2', op: 'concat', inputs: [gap, d1], output: 'cat2' });
  const out = b.add({ name: 'out', op: 'dense', inputs: [cat2], output: 'out', kernel: b.tensor([15, 4], 0.5), bias: b.tensor([4], 0.1), activation: 'linear' });
  return { name: `cnn${seed}`, inputs: [{ name: 'input', shape: [h, w, c] }], nodes: b.nodes, outputs: [out], notes: [] };
}
