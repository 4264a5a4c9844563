// SPDX-License-Identifier: MIT
/**
 * The TF.js Layers merge layers (Add, Concatenate, Subtract, Maximum, Minimum, Average, Multiply) as
 * graph IR nodes: sums, per-channel scales and ReLUs, exact, the per-channel product of
 * squeeze-excite and element-wise products; tfjs-layer-ops.ts dispatches to them.
 */
import type { Node } from '../ir/graph.js';
import { Layer } from './tfjs-layer.js';
import { broadcastNodes, broadcastsOver } from '../ir/broadcast.js';
import { channelSpread } from '../ir/product.js';
import { spatialConcatNode } from '../ir/concat-spatial.js';
import { shownValue } from '../diagnostics/error.js';
import { extremumNodes, scaledNode, sumNodes } from '../ir/merge.js';

/** Add of n ≥ 2 inputs as a chain of two-input adds. */
export function add(x: Layer, name = x.l.name): Node[] {
  if (x.inputs.length < 2) throw x.fail('NN107', `${x.l.className} has ${x.inputs.length} input(s); it needs at least two`);
  return sumNodes(name, x.inputs, { name, output: name });
}

export function concat(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.inputs[0] ?? '');
  const axis = x.get('axis') ?? -1;
  // Keras counts the batch: the channels are axis 3 of an image, 1 of a vector, 2 of a sequence [L, C] (held as [1, L, C])
  const sequenceChannels = axis === 2 && x.ctx.sequenceInput && shape.length === 3 && shape[0] === 1;
  if (x.inputs.length < 2) throw x.fail('NN107', `Concatenate has ${x.inputs.length} input(s); it needs at least two`);
  // along H (axis 1 of an image) or W (axis 2 of an image, 1 of a sequence [L, C])
  const spatial = shape.length !== 3 || sequenceChannels ? undefined : x.ctx.sequenceInput && shape[0] === 1 ? ((axis === 1 ? 1 : undefined) as 1 | undefined) : axis === 1 ? 0 : axis === 2 ? 1 : undefined;
  if (spatial !== undefined) return spatialConcat(x, spatial);
  if (axis !== -1 && axis !== shape.length && !sequenceChannels) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the channel axis, -1, and H or W of a map)`);
  return [{ ...x.base(), op: 'concat' }];
}

/** Concatenate along H (a = 0) or W (a = 1) of maps (ir/concat-spatial.ts). */
function spatialConcat(x: Layer, a: 0 | 1): Node[] {
  const shapes = x.inputs.map((t) => x.ctx.shapeOf(t));
  const other = 1 - a;
  if (shapes.some((s) => s.length !== 3 || s[other] !== shapes[0]![other] || s[2] !== shapes[0]![2])) throw x.fail('NN110', `inputs have shapes ${shapes.map((s) => JSON.stringify(s)).join(', ')}; a Concatenate along ${a === 0 ? 'H' : 'W'} needs maps of one ${a === 0 ? 'width' : 'height'} and channel count`);
  return [spatialConcatNode(x.inputs, a, x.l.name)];
}

/** −x: a per-channel scale of −1 (also Keras 3's ops.negative, keras-ops.ts). */
export function negated(x: Layer, input: string, name: string): Node {
  return scaledNode(name, input, x.ctx.shapeOf(x.inputs[0]!).at(-1) ?? 1, -1);
}

function sameShapes(x: Layer): void {
  const shapes = x.inputs.map((t) => JSON.stringify(x.ctx.shapeOf(t)));
  if (shapes.some((s) => s !== shapes[0])) throw x.fail('NN110', `inputs have shapes ${shapes.join(', ')}; ${x.l.className} needs equal shapes (no broadcasting)`);
}

/** Subtract: a − b = a + (−b). */
export function subtract(x: Layer): Node[] {
  if (x.inputs.length !== 2) throw x.fail('NN107', `Subtract has ${x.inputs.length} input(s); it needs exactly two`);
  sameShapes(x);
  const neg = negated(x, x.inputs[1]!, `${x.l.name}/neg`);
  return [neg, { ...x.base(), inputs: [x.inputs[0]!, neg.output], op: 'add' }];
}

/** Maximum / Minimum of n ≥ 2 inputs, pairwise: max(a, b) = a + relu(b − a), min(a, b) = a − relu(a − b), exact. */
export function extremum(x: Layer, max: boolean): Node[] {
  if (x.inputs.length < 2) throw x.fail('NN107', `${x.l.className} has ${x.inputs.length} input(s); it needs at least two`);
  sameShapes(x);
  const c = x.ctx.shapeOf(x.inputs[0]!).at(-1) ?? 1;
  const nodes: Node[] = [];
  let acc = x.inputs[0]!;
  for (let i = 1; i < x.inputs.length; i++) {
    const n = i === x.inputs.length - 1 ? x.l.name : `${x.l.name}/${i}`;
    nodes.push(...extremumNodes(n, acc, x.inputs[i]!, c, max, { name: n, output: n }));
    acc = n;
  }
  return nodes;
}

/** Average of n ≥ 2 inputs: their sum (a chain of adds), scaled by 1/n. */
export function average(x: Layer): Node[] {
  const sum = add(x, `${x.l.name}/sum`);
  const c = x.ctx.shapeOf(x.inputs[0]!).at(-1) ?? 1;
  return [...sum, { ...x.base(), inputs: [`${x.l.name}/sum`], op: 'batchNorm', scale: new Float32Array(c).fill(1 / x.inputs.length), offset: new Float32Array(c) }];
}

/**
 * Multiply of a map and a per-channel gate — squeeze-excite's Multiply([x, Reshape((1, 1, C))(gate)]),
 * either order —: the per-channel product channelMul. Of n ≥ 2 tensors of one shape (a gated convolution's
 * halves, two vectors), or of a map and a one-channel map [H, W, 1] (a spatial gate, repeated over the
 * channels first): a chain of element-wise products (IR `mul`, quarter squares: ir/product.ts).
 */
export function multiply(x: Layer): Node[] {
  if (x.inputs.length < 2) throw x.fail('NN107', `Multiply has ${x.inputs.length} input(s); it needs at least two`);
  const shapes = x.inputs.map((t) => x.ctx.shapeOf(t));
  const [[a, b], [sa, sb]] = [x.inputs, shapes] as [string[], (readonly number[])[]];
  const gate = (s: readonly number[], other: readonly number[]): boolean => s.at(-1) === other.at(-1) && s.slice(0, -1).every((d) => d === 1) && other.length === 3;
  const pair = x.inputs.length !== 2 ? null : gate(sb!, sa!) ? [a!, b!] : gate(sa!, sb!) ? [b!, a!] : null;
  if (pair !== null && JSON.stringify(sa) !== JSON.stringify(sb)) return [{ ...x.base(), inputs: pair, op: 'channelMul' }];
  // the map's shape: a one-channel map [H, W, 1] beside it is spread over its channels
  const map = shapes.find((s) => s.at(-1) !== 1) ?? shapes[0]!;
  const nodes: Node[] = [];
  const inputs = x.inputs.map((t, i) => {
    const s = shapes[i]!;
    if (JSON.stringify(s) === JSON.stringify(map)) return t;
    if (s.length !== 3 || map.length !== 3 || s[0] !== map[0] || s[1] !== map[1] || s[2] !== 1) {
      throw x.fail('NN110', `inputs have shapes ${shapes.map((v) => JSON.stringify(v)).join(', ')}; Multiply is supported for tensors of one shape, a map and a per-channel gate of its channels ([1, 1, C] or [C]), or a map and a one-channel map [H, W, 1]`);
    }
    const spread = channelSpread(t, map[2]!, `${x.l.name}/spread${i}`);
    nodes.push(spread);
    return spread.output;
  });
  let acc = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const out = i === inputs.length - 1 ? x.l.name : `${x.l.name}/product${i}`;
    nodes.push({ name: out, op: 'mul', inputs: [acc, inputs[i]!], output: out });
    acc = out;
  }
  return nodes;
}

/**
 * An element-wise merge (Add, Subtract, Average, Maximum, Minimum) of a map and per-channel vectors of its
 * channels ([1, 1, C], or [C], which Keras expands at axis 1), as Keras and tfjs broadcast them: each vector
 * repeated over the map first (ir/broadcast.ts), then `merge` of inputs of one shape. They were refused.
 */
export function broadcasting(x: Layer, merge: (x: Layer) => Node[]): Node[] {
  const shapes = x.inputs.map((t) => x.ctx.shapeOf(t));
  const map = shapes.find((s) => s.length === 3 && shapes.some((o) => broadcastsOver(o, s)));
  if (map === undefined) return merge(x);
  const nodes: Node[] = [];
  const spread = new Set<string>();
  const inputs = x.inputs.map((t, i) => {
    if (!broadcastsOver(shapes[i]!, map) || JSON.stringify(shapes[i]) === JSON.stringify(map)) return t;
    const b = broadcastNodes(t, shapes[i]!, map, `${x.l.name}/broadcast${i}`);
    nodes.push(...b.nodes);
    spread.add(b.output);
    return b.output;
  });
  const ctx = { ...x.ctx, shapeOf: (t: string) => (spread.has(t) ? map : x.ctx.shapeOf(t)) };
  return [...nodes, ...merge(new Layer(x.l, inputs, ctx))];
}
