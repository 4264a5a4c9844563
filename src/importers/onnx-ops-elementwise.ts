// SPDX-License-Identifier: MIT
/**
 * ONNX element-wise ops → IR: per-channel constants (Add/Sub/Mul/Div, BatchNormalization)
 * become a batchNorm node (folded into a neighbouring conv/dense by the passes), Relu/Clip activations,
 * Pad, Softmax/LogSoftmax (the reductions: onnx-ops-reduce.ts).
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import { isTable, type Activation } from '../ir/graph.js';
import { Op, type Built } from './onnx-op.js';
import { channelSpread, valueSpread } from '../ir/product.js';
import { broadcastNodes } from '../ir/broadcast.js';
import { extremumNodes, scaledNode, sumNodes } from '../ir/merge.js';

/** y = (x − mean)·scale/√(var + ε) + B, reduced to per-channel scale and offset. */
function batchNorm(o: Op): Built[] {
  const x = o.activation(0);
  // the batch statistics as outputs or training_mode 1: exported for training (torch.onnx.export(..., training=TrainingMode.TRAINING),
  // or PRESERVE of a model left in train()); the fix is the export, not the layer
  if (o.n.outputs.slice(1).some((t) => t !== '') || o.n.attrs.int('training_mode', 0) !== 0) {
    throw new NnchipError('NN110', 'BatchNormalization: in training mode (it computes batch statistics: training_mode 1 or its running mean and variance as outputs); nnchip runs a model exported for inference', { layer: o.n.name, hint: 're-export after model.eval(), with torch.onnx.export(..., training=TrainingMode.EVAL)' });
  }
  const c = o.ctx.onnxShape(x)[o.channelAxis(x)]!;
  // opsets 7–8: spatial 0 keeps a mean and variance per element, not per channel. MXNet's exporter wrote spatial 0 over
  // per-channel statistics (the zoo's ArcFace, the first resnet*v1 files): those are read per channel, with a note
  if (o.n.attrs.int('spatial', 1) !== 1) {
    if ([1, 2, 3, 4].some((i) => o.ctx.floats(o.input(i), o.site, 'a statistic').data.length !== c)) throw o.fail('spatial 0 (statistics per element, opsets 7–8) is not supported (only per channel: spatial 1)');
    o.ctx.notes.push(`BatchNormalization "${o.n.name}": spatial 0 over one value per channel (as MXNet's exporter wrote it) is read per channel, as MXNet computed it`);
  }
  const eps = o.n.attrs.float('epsilon', 1e-5);
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => o.perChannel(o.input(i), c, ['scale', 'B', 'mean', 'var'][i - 1]!, { exact: true }));
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    // a negative variance (or epsilon) was reported as "scale element 0 is NaN", the derived value
    if (!(variance![i]! + eps > 0)) throw o.fail(`var ${variance![i]} + epsilon ${eps} of channel ${i} is not positive`);
    const s = gamma![i]! / Math.sqrt(variance![i]! + eps);
    scale[i] = s;
    offset[i] = beta![i]! - mean![i]! * s;
  }
  return [{ ...o.base([x]), op: 'batchNorm', scale, offset }];
}

/** The constant operand of a binary op with one activation: [activation, per-channel constant, constant first?]. */
function operands(o: Op): [string, Float32Array, boolean] {
  const [a, b] = [o.input(0), o.input(1)];
  if (o.ctx.isConst(a) && o.ctx.isConst(b)) throw o.fail('both inputs are constants');
  const constFirst = o.ctx.isConst(a);
  const [x, c] = constFirst ? [b, a] : [a, b];
  const axis = o.channelAxis(x);
  const channels = o.ctx.onnxShape(x)[axis]!;
  return [x, o.perChannel(c, channels, `the constant "${c}"`, { rank: o.ctx.onnxShape(x).length, axis }), constFirst];
}

/** The computed inputs at `indices` (default 0 … n − 1), of one shape, as maps when they are maps. */
function sameShaped(o: Op, n: number, indices: readonly number[] = Array.from({ length: n }, (_, i) => i)): string[] {
  const xs = indices.map((i) => o.activation(i));
  const [a, sa] = [xs[0]!, o.ctx.onnxShape(xs[0]!)];
  for (const b of xs.slice(1)) {
    const sb = o.ctx.onnxShape(b);
    if (JSON.stringify(o.ctx.view(a)) !== JSON.stringify(o.ctx.view(b)) || JSON.stringify(sa) !== JSON.stringify(sb)) {
      throw o.fail(`inputs have shapes ${shownValue(sa)} and ${shownValue(sb)}; broadcasting two computed tensors is not supported (only ${xs.length === 2 ? 'two ' : ''}equal shapes)`);
    }
  }
  return o.ctx.view(a).rank >= 3 ? xs.map((x) => o.ctx.asMap(x, o.site)) : xs;
}

/** Two computed inputs of one shape, as maps when they are maps. */
function pair(o: Op): [string, string] {
  const [a, b] = sameShaped(o, 2);
  return [a!, b!];
}

/**
 * Sum and Mean of any number of inputs (Caffe2's and older exporters' merges): a Sum of two is Add; else the computed
 * inputs (of one shape) added in a chain, and the constants (one value or one per channel) summed into one offset,
 * a Mean's 1/n on both as a per-channel scale.
 */
function sumOrMean(o: Op, mean: boolean): Built[] {
  const n = o.n.inputs.length;
  if (n === 2 && !mean) return add(o, 1);
  const computed = o.n.inputs.flatMap((t, i) => (o.ctx.isConst(o.input(i)) ? [] : [i]));
  if (computed.length === 0) throw o.fail(n === 0 ? 'has no inputs' : 'every input is a constant');
  const xs = sameShaped(o, n, computed);
  const first = o.input(computed[0]!);
  const axis = o.channelAxis(first);
  const channels = o.ctx.onnxShape(first)[axis]!;
  const k = mean ? 1 / n : 1;
  const offset = new Float32Array(channels);
  o.n.inputs.forEach((t, i) => {
    if (computed.includes(i)) return;
    o.perChannel(t, channels, `the constant "${t}"`, { rank: o.ctx.onnxShape(first).length, axis }).forEach((v, c) => (offset[c] = offset[c]! + v * k));
  });
  const scaled = k !== 1 || offset.some((v) => v !== 0);
  const sum = scaled ? `${o.out}/sum` : o.out;
  const nodes: Built[] = sumNodes(o.out, xs, scaled ? { name: sum, output: sum } : o.base([]));
  if (scaled) nodes.push({ ...o.base([xs.length === 1 ? xs[0]! : sum]), op: 'batchNorm', scale: new Float32Array(channels).fill(k), offset });
  else if (xs.length === 1) nodes.push({ ...o.base([xs[0]!]), op: 'identity' });
  return nodes;
}

/** −x (or k·x): a per-channel scale of −1 (k) over c channels (default: the first input's). */
function negated(o: Op, x: string, name: string, k = -1, channels?: number): Built {
  const first = o.input(0);
  return scaledNode(name, x, channels ?? o.ctx.onnxShape(first)[o.channelAxis(first)]!, k);
}

/** The one activation input, as a map when it is one. */
function single(o: Op): string {
  const x = o.activation(0);
  return o.ctx.view(x).rank >= 3 ? o.ctx.asMap(x, o.site) : x;
}

/** |x| = x + relu(−2x) (max(x, −x), as Max of two tensors): a scale of −2 with the ReLU fused, and an add. */
function abs(o: Op): Built[] {
  const x = single(o);
  const twice = negated(o, x, `${o.out}/neg2`, -2);
  const relu: Built = { name: `${o.out}/relu`, inputs: [twice.output], output: `${o.out}/relu`, op: 'activation', fn: 'relu' };
  return [twice, relu, { ...o.base([x, relu.output]), op: 'add' }];
}

/**
 * Max / Min of two computed tensors: max(a, b) = a + relu(b − a), min(a, b) = a − relu(a − b), exact;
 * of a tensor and a scalar constant: a clamp (max(x, c): [c, ∞), min(x, c): (−∞, c]); of one tensor: itself.
 */
function extremum(o: Op, max: boolean): Built[] {
  if (o.n.inputs.length === 1) return [{ ...o.base([o.activation(0)]), op: 'identity' }];
  if (o.n.inputs.length !== 2) throw o.fail(`of ${o.n.inputs.length} inputs is not supported (only of one or two)`);
  const [a0, b0] = [o.input(0), o.input(1)];
  if (o.ctx.isConst(a0) !== o.ctx.isConst(b0)) {
    const c = o.ctx.isConst(a0) ? a0 : b0;
    const v = o.ctx.floats(c, o.site, 'the constant').data;
    if (v.length !== 1 || !Number.isFinite(v[0]!)) throw o.fail(`the constant "${c}" is not a finite scalar (only a clamp by one value)`);
    const fn: Activation = max ? (v[0] === 0 ? 'relu' : { clip: [v[0]!, Infinity] }) : { clip: [-Infinity, v[0]!] };
    return [{ ...o.base([o.activation(o.ctx.isConst(a0) ? 1 : 0)]), op: 'activation', fn }];
  }
  const [a, b] = pair(o);
  const first = o.input(0);
  return extremumNodes(o.out, a, b, o.ctx.onnxShape(first)[o.channelAxis(first)]!, max, o.base([]));
}

/**
 * A vector [N, K] and a one-value vector [N, 1] of the same sample, in either order (F.normalize's x / ‖x‖, a LayerNorm's
 * x − x.mean(1, keepdim=True) on [N, K] below opset 17): the vector, the value, and whether the value comes first. Null otherwise.
 */
function vectorAndValue(o: Op, a: string, b: string): { x: string; value: string; valueFirst: boolean; k: number } | null {
  const plain = (t: string): boolean => {
    const v = o.ctx.view(t);
    return v.rank === 2 && !v.last && !v.transposed;
  };
  if (!plain(a) || !plain(b)) return null;
  const [ka, kb] = [o.ctx.onnxShape(a)[1]!, o.ctx.onnxShape(b)[1]!];
  if (ka > 1 && kb === 1) return { x: a, value: b, valueFirst: false, k: ka };
  if (kb > 1 && ka === 1) return { x: b, value: a, valueFirst: true, k: kb };
  return null;
}

/**
 * `op` (add or mul) of a vector x of k values and a one-value vector, in that order or the value first, the value
 * spread over the k features (ir/product.ts valueSpread): a product the per-channel product channelMul; a sum, the add
 * of two one-pixel maps, a vector again.
 */
function onePixel(o: Op, op: 'add' | 'mul', x: string, value: string, valueFirst: boolean, k: number): Built[] {
  const [vm, spread] = valueSpread(value, k, o.out);
  if (op === 'mul') return [vm, spread, { ...o.base([x, spread.output]), op: 'channelMul' }];
  const [xm, map] = [`${o.out}/pixel`, `${o.out}/map`];
  const inputs = valueFirst ? [spread.output, xm] : [xm, spread.output];
  return [{ name: xm, op: 'reshape', inputs: [x], output: xm, shape: [1, 1, k] }, vm, spread, { name: map, op, inputs, output: map }, { ...o.base([map]), op: 'reshape', shape: [k], view: { rank: 2, last: false } }];
}

/** activation + activation → add; activation ± constant → a bias (folded into its producer when possible). */
function add(o: Op, sign: 1 | -1): Built[] {
  const [a, b] = [o.input(0), o.input(1)];
  if (!o.ctx.isConst(a) && !o.ctx.isConst(b)) {
    const vv = vectorAndValue(o, o.activation(0), o.activation(1));
    if (vv !== null) {
      // a − b = a + (−b): the second operand negated first, value or vector
      const { x, value, valueFirst, k } = vv;
      if (sign > 0) return onePixel(o, 'add', x, value, valueFirst, k);
      const neg = valueFirst ? negated(o, x, `${o.out}/neg`, -1, k) : negated(o, value, `${o.out}/neg`, -1, 1);
      return [neg, ...onePixel(o, 'add', valueFirst ? neg.output : x, valueFirst ? value : neg.output, valueFirst, k)];
    }
    // a map and a one-channel map of its pixels (a LayerNorm's x − mean), or a per-channel vector of its channels: repeated first
    const spread = oneChannel(o, o.activation(0), o.activation(1)) ?? perChannel(o, o.activation(0), o.activation(1)) ?? lineSpread(o, o.activation(0), o.activation(1));
    const [p, q] = spread?.inputs ?? pair(o);
    const pre = spread?.nodes ?? [];
    if (sign > 0) return [...pre, { ...o.base([p, q]), op: 'add' }];
    // a − b = a + (−b)
    const neg = negated(o, q, `${o.out}/neg`, -1, Math.max(...[0, 1].map((i) => o.ctx.onnxShape(o.input(i))[o.channelAxis(o.input(i))]!)));
    return [...pre, neg, { ...o.base([p, neg.output]), op: 'add' }];
  }
  const [x, c, constFirst] = operands(o);
  // x + c, x − c, c − x = −x + c
  const flip = sign < 0 && constFirst;
  const offset = c.map((v) => (sign < 0 && !constFirst ? -v : v));
  if (!flip && o.ctx.foldBias(x, offset, o.out)) return [];
  return [{ ...o.base([x]), op: 'batchNorm', scale: new Float32Array(c.length).fill(flip ? -1 : 1), offset }];
}

/**
 * x · sigmoid(x) (SiLU, PyTorch's export of nn.SiLU) and x · hardsigmoid(x; 1/6, 1/2) (hard-swish, its
 * export of nn.Hardswish below opset 14): one function of x, so one table activation, when the gate
 * is read by this Mul only.
 */
function gated(o: Op): Built[] | null {
  const [a, b] = [o.input(0), o.input(1)];
  for (const [x, gate] of [[a, b], [b, a]] as const) {
    const p = o.ctx.soleProducer(gate);
    if (p?.op !== 'activation' || p.inputs[0] !== x || !isTable(p.fn)) continue;
    const { fn, alpha = 0.2, beta = 0.5 } = p.fn;
    const swish = fn === 'sigmoid' ? 'silu' : fn === 'hardsigmoid' && Math.abs(alpha - 1 / 6) < 1e-6 && Math.abs(beta - 0.5) < 1e-6 ? 'hardswish' : null;
    if (swish === null) continue;
    o.ctx.drop(gate);
    return [{ ...o.base([x]), op: 'activation', fn: { fn: swish } }];
  }
  return null;
}

/**
 * A map times a per-channel gate computed in the network, [N, C, H, W] · [N, C, 1, 1] (or [N, C, L] ·
 * [N, C, 1]) in either order (squeeze-excite as torch exports it: GlobalAveragePool → Conv → Relu → Conv →
 * Sigmoid/HardSigmoid → Mul): the per-channel product channelMul. Null for any other pair of shapes.
 */
function channelProduct(o: Op): Built[] | null {
  const pair = mapAndGate(o, o.activation(0), o.activation(1));
  return pair === null ? null : [{ ...o.base([o.ctx.asMap(pair.x, o.site), pair.gate]), op: 'channelMul' }];
}

/**
 * Which of a and b is a channel-first map [N, C, H, W] (or [N, C, L]) and which a per-channel vector of its channels
 * computed in the network, [N, C, 1, 1] (or [N, C, 1]): a squeeze-excite gate, a global pool's mean or context; null
 * for other shapes.
 */
function mapAndGate(o: Op, a: string, b: string): { x: string; gate: string; gateFirst: boolean } | null {
  for (const [x, g] of [[a, b], [b, a]] as const) {
    const [vx, vg] = [o.ctx.view(x), o.ctx.view(g)];
    if (vx.last || vg.last || vx.transposed || vg.transposed || vx.groups !== undefined || vg.groups !== undefined) continue;
    const [sx, sg] = [o.ctx.onnxShape(x), o.ctx.onnxShape(g)];
    if (vx.rank < 3 || sx.length !== sg.length || sx[0] !== 1 || sg[0] !== 1 || sg[1] !== sx[1] || sg.slice(2).some((d) => d !== 1)) continue;
    return { x, gate: g, gateFirst: g === a };
  }
  return null;
}

/**
 * A map and a per-channel vector of its channels computed in the network (mapAndGate: x − x.mean((2, 3), keepdim=True),
 * GCNet's x + context), in either order: the vector repeated over the map (ir/broadcast.ts, as TF's AddV2 and Keras
 * merges broadcast) and the two maps in their order; null for other shapes.
 */
function perChannel(o: Op, a: string, b: string): { nodes: Built[]; inputs: [string, string] } | null {
  const pair = mapAndGate(o, a, b);
  // two [N, C, 1, 1] of one shape: an add of one shape (pair)
  if (pair === null || o.ctx.onnxShape(pair.x).slice(2).every((d) => d === 1)) return null;
  const map = o.ctx.asMap(pair.x, o.site);
  const spread = broadcastNodes(pair.gate, o.ctx.irShape(pair.gate), o.ctx.irShape(map), `${o.out}/broadcast`);
  return { nodes: spread.nodes, inputs: pair.gateFirst ? [spread.output, map] : [map, spread.output] };
}

/** Which of a and b is a one-channel map of the other's pixels (same views, shapes equal but for the channel axis), or null. */
function singleChannel(o: Op, a: string, b: string): string | null {
  const [va, vb] = [o.ctx.view(a), o.ctx.view(b)];
  const plain = (v: typeof va): boolean => v.rank >= 3 && v.transposed === undefined && v.groups === undefined && v.flat === undefined && v.grouped === undefined && v.blocks === undefined;
  if (!plain(va) || !plain(vb) || va.last !== vb.last) return null;
  const [sa, sb] = [o.ctx.onnxShape(a), o.ctx.onnxShape(b)];
  const axis = o.channelAxis(a);
  if (sa.length !== sb.length || sa.some((d, i) => i !== axis && d !== sb[i]) || (sa[axis] === 1) === (sb[axis] === 1)) return null;
  return sb[axis] === 1 ? b : a;
}

/**
 * A map and a one-channel map of its pixels, [N, C, H, W] and [N, 1, H, W] (or channels-last, [N, T, F] and
 * [N, T, 1]: a LayerNorm's x − mean over the features), in either order: the one-channel map repeated over the C
 * channels (a 1×1 conv of ones, ir/product.ts) and the two maps in their order; null for other shapes.
 */
function oneChannel(o: Op, a: string, b: string): { nodes: Built[]; inputs: [string, string] } | null {
  const one = singleChannel(o, a, b);
  if (one === null) return null;
  const map = one === b ? a : b;
  const va = o.ctx.view(a);
  const axis = o.channelAxis(a);
  const asMap = (t: string): string => (va.last ? t : o.ctx.asMap(t, o.site));
  const spread = channelSpread(asMap(one), o.ctx.onnxShape(map)[axis]!, `${o.out}/spread`);
  return { nodes: [spread], inputs: one === b ? [asMap(map), spread.output] : [spread.output, asMap(map)] };
}

/**
 * A channel-first map [N, C, H, W] and a row [N, C, 1, W] or a column [N, C, H, 1] of it computed in the network, in
 * either order (CoordAttention's gates a_w and a_h): the line repeated along the other axis (nearest upsampling, H or W
 * exact copies) and the two maps in their order; null for other shapes.
 */
function lineSpread(o: Op, a: string, b: string): { nodes: Built[]; inputs: [string, string] } | null {
  for (const [x, g] of [[a, b], [b, a]] as const) {
    const [vx, vg] = [o.ctx.view(x), o.ctx.view(g)];
    if (vx.rank !== 4 || vg.rank !== 4 || vx.last || vg.last || !o.ctx.isMap(x) || !o.ctx.isMap(g) || [vx, vg].some((v) => v.groups !== undefined || v.flat !== undefined || v.grouped !== undefined || v.blocks !== undefined || v.exact !== undefined)) continue;
    const [[, c, h, w], [, cg, hg, wg]] = [o.ctx.onnxShape(x), o.ctx.onnxShape(g)] as [number[], number[]];
    if (cg !== c || h! * w! === 1 || !((hg === 1 && wg === w && h! > 1) || (wg === 1 && hg === h && w! > 1))) continue;
    const name = `${o.out}/line`;
    const spread: Built = { name, op: 'upsample', inputs: [g], output: name, factors: hg === 1 ? [h!, 1] : [1, w!] };
    return { nodes: [spread], inputs: g === a ? [name, x] : [x, name] };
  }
  return null;
}

/**
 * The element-wise product of two computed tensors (IR `mul`, quarter squares: ir/product.ts): of one shape
 * (a gated convolution's halves, x · sigmoid(conv(x))), or a map times a one-channel map, [N, C, H, W] ·
 * [N, 1, H, W] in either order (CBAM's spatial gate), the gate first repeated over the channels. Null otherwise.
 */
function mapProduct(o: Op): Built[] | null {
  const [a, b] = [o.activation(0), o.activation(1)];
  const [sa, sb] = [o.ctx.onnxShape(a), o.ctx.onnxShape(b)];
  if (JSON.stringify(o.ctx.view(a)) === JSON.stringify(o.ctx.view(b)) && JSON.stringify(sa) === JSON.stringify(sb)) return [{ ...o.base(pair(o)), op: 'mul' }];
  const vv = vectorAndValue(o, a, b);
  if (vv !== null) return onePixel(o, 'mul', vv.x, vv.value, vv.valueFirst, vv.k);
  const spread = oneChannel(o, a, b) ?? lineSpread(o, a, b);
  return spread === null ? null : [...spread.nodes, { ...o.base(spread.inputs), op: 'mul' }];
}

/**
 * a ÷ b with b a computed one-channel map of a's pixels (a LayerNorm's (x − mean) / √(var + ε) as torch writes it
 * below opset 17, ConvNeXt's channels_first LayerNorm at any, SSD's L2Norm, x / x.norm(dim=1, keepdim=True)) or
 * a one-value vector of a vector a [N, K] (F.normalize's x / max(‖x‖, ε)): a · (1/b), the reciprocal a step table
 * on b (reciprocalOf), repeated over the channels, then the product of two maps. Null for other shapes (a quotient
 * of two maps of one shape: 1/b of any map has no bound where b crosses 0).
 */
function quotient(o: Op): Built[] | null {
  const [a, b] = [o.activation(0), o.activation(1)];
  const vv = vectorAndValue(o, a, b);
  if (vv !== null) {
    if (vv.valueFirst) return null;
    const recip = reciprocalOf(o, b, b);
    return [recip, ...onePixel(o, 'mul', a, recip.output, false, vv.k)];
  }
  const gate = mapAndGate(o, a, b);
  if (gate !== null) {
    // a map ÷ a per-channel vector of it (x / x.std((2, 3), keepdim=True)): its reciprocal, then the per-channel product
    if (gate.gateFirst) return null;
    const recip = reciprocalOf(o, b, b);
    return [recip, { ...o.base([o.ctx.asMap(a, o.site), recip.output]), op: 'channelMul' }];
  }
  const sa = o.ctx.onnxShape(a);
  const axis = o.channelAxis(a);
  if (singleChannel(o, a, b) !== b) return null;
  const last = o.ctx.view(a).last;
  const recip = reciprocalOf(o, b, last ? b : o.ctx.asMap(b, o.site));
  const x = last ? a : o.ctx.asMap(a, o.site);
  const spread = channelSpread(recip.output, sa[axis]!, `${o.out}/spread`);
  return [recip, spread, { ...o.base([x, spread.output]), op: 'mul' }];
}

/**
 * 1/b as a step table activation. When b is a table activation read by this Div only (√(v + ε), a norm's √ of its
 * sum of squares), seen through an Expand (an identity) and a clamp below (F.normalize's max(‖x‖, ε)), each read
 * once, the reciprocal is composed with it into one table on v (no int8 rounding of b between them); else a table
 * on b's codes (`bAs`: b, or b as a map).
 */
function reciprocalOf(o: Op, b: string, bAs: string): Built {
  const name = `${o.out}/reciprocal`;
  const taken: string[] = [];
  const clamps: (readonly [number, number])[] = [];
  let p = o.ctx.soleProducer(b);
  for (let at = b; p !== undefined; p = o.ctx.soleProducer(at)) {
    if (p.op === 'identity' || (p.op === 'activation' && typeof p.fn === 'object' && 'clip' in p.fn)) {
      if (p.op === 'activation' && typeof p.fn === 'object' && 'clip' in p.fn) clamps.unshift(p.fn.clip);
      taken.push(at);
      at = p.inputs[0]!;
      continue;
    }
    if (p.op === 'activation' && typeof p.fn === 'object' && 'fn' in p.fn && p.fn.fn === 'expr') {
      taken.push(at);
      for (const t of taken) o.ctx.drop(t);
      const steps = [...p.fn.expr!];
      for (const [lo, hi] of clamps) steps.push({ op: 'clip', args: [steps.length - 1], p: [lo, hi] });
      return { name, op: 'activation', inputs: p.inputs, output: name, fn: { fn: 'expr', expr: [...steps, { op: 'reciprocal', args: [steps.length - 1] }] } };
    }
    break;
  }
  return { name, op: 'activation', inputs: [bAs], output: name, fn: { fn: 'expr', expr: [{ op: 'x' }, { op: 'reciprocal', args: [0] }] } };
}

/** activation × constant or activation ÷ constant → a per-channel scale (a constant ÷ activation is not linear). */
function scale(o: Op, divide: boolean): Built[] {
  if (!o.ctx.isConst(o.input(0)) && !o.ctx.isConst(o.input(1))) {
    const swish = divide ? null : gated(o);
    if (swish !== null) return swish;
    const product = divide ? quotient(o) : (channelProduct(o) ?? mapProduct(o));
    if (product !== null) return product;
    const [sa, sb] = [o.ctx.onnxShape(o.input(0)), o.ctx.onnxShape(o.input(1))];
    if (divide) throw o.fail(`inputs have shapes ${shownValue(sa)} and ${shownValue(sb)}; a quotient of two computed tensors is supported only by a one-channel map of the dividend's pixels (a layer norm's √(var + ε)), a per-channel vector of its channels [N, C, 1, 1] or a one-value vector of a vector (F.normalize's ‖x‖), else only by a constant`);
    throw o.fail(`inputs have shapes ${shownValue(sa)} and ${shownValue(sb)}; a product of two computed tensors is supported for one shape, a map and a per-channel gate [N, C, 1, 1], a one-channel map [N, 1, H, W], a row [N, C, 1, W] or a column [N, C, H, 1]`);
  }
  const [x, c, constFirst] = operands(o);
  if (divide && constFirst) throw o.fail('a constant divided by a computed tensor is not supported');
  const s = divide ? c.map((v) => 1 / v) : c;
  return [{ ...o.base([x]), op: 'batchNorm', scale: s, offset: new Float32Array(c.length) }];
}

/** Clip(min, max) with constant bounds: ReLU (0, ∞), ReLU6 (0, 6), anything else a clamp; bounds from inputs (opset ≥ 11). */
function clip(o: Op): Built[] {
  const x = o.activation(0);
  const bound = (i: number, attr: string, fallback: number): number => {
    const t = o.optional(i);
    if (t !== undefined) {
      const v = o.ctx.floats(t, o.site, attr).data;
      if (v.length !== 1) throw o.fail(`${attr} is not a scalar`);
      // NaN was reported as "min NaN is above max 6", and NaN bounds are a broken file, not an unsupported op
      if (Number.isNaN(v[0])) throw new NnchipError('NN107', `Clip's ${attr} is NaN; expected a number (±Infinity for no bound)`, o.site);
      return v[0]!;
    }
    return o.n.attrs.float(attr, fallback);
  };
  const [lo, hi] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  if (!(lo <= hi)) throw o.fail(`min ${lo} is above max ${hi}`);
  const fn: Activation = lo === 0 && hi === Infinity ? 'relu' : lo === 0 && hi === 6 ? 'relu6' : lo === -Infinity && hi === Infinity ? 'linear' : { clip: [lo, hi] };
  return [{ ...o.base([x]), op: 'activation', fn }];
}

function softmax(o: Op, fn: 'softmax' | 'logsoftmax'): Built[] {
  const x = o.activation(0);
  const rank = o.ctx.onnxShape(x).length;
  const axis = o.n.attrs.int('axis', o.ctx.opset >= 13 ? -1 : 1);
  // over the features of [N, K], or the channels of a map (a segmentation's classes per pixel; below opset 13 the axis
  // means the flattened [N, C·H·W], so only a map with one pixel)
  const channel = o.channelAxis(x);
  const perChannel = rank >= 3 && (axis === channel || axis === channel - rank) && (o.ctx.opset >= 13 || o.ctx.onnxShape(x).every((d, i) => i <= channel || d === 1));
  if (rank === 2 ? axis !== 1 && axis !== -1 : !perChannel) throw o.fail(`over axis ${axis} of a rank-${rank} tensor is not supported (only over the features of [N, K] or the channels of a map)`);
  return [{ ...o.base([rank >= 3 ? (o.ctx.view(x).last ? x : o.ctx.asMap(x, o.site)) : x]), op: 'activation', fn }];
}

/** Pad of the spatial axes of a channel-first map: constant mode with value 0, reflect, edge; wrap is refused by name. */
function pad(o: Op): Built[] {
  const x = o.map(0);
  const mode = o.n.attrs.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw o.fail(`mode "${mode}" is not supported (only constant zero padding, reflect and edge)`);
  const fromInput = o.ctx.opset >= 11;
  const pads = fromInput ? o.ctx.ints(o.input(1), o.site, 'pads') : (o.n.attrs.ints('pads') ?? []);
  const value = fromInput ? (o.optional(2) === undefined ? 0 : o.ctx.floats(o.optional(2)!, o.site, 'constant_value').data[0] ?? 0) : o.n.attrs.float('value', 0);
  if (value !== 0 && mode === 'constant') throw o.fail(`constant value ${value} is not supported (only zero padding)`);
  const rank = o.ctx.view(x).rank;
  const axes = o.optional(3) === undefined ? Array.from({ length: rank }, (_, i) => i) : o.ctx.ints(o.input(3), o.site, 'axes').map((a) => (a < 0 ? a + rank : a));
  if (pads.length !== 2 * axes.length) throw o.fail(`pads ${shownValue(pads)} does not match axes ${shownValue(axes)}`);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => ((begin[a] = pads[i]!), (end[a] = pads[i + axes.length]!)));
  if ([...begin, ...end].some((p) => p < 0)) throw o.fail(`negative pads ${shownValue(pads)} (cropping) are not supported`);
  if (begin[0] !== 0 || end[0] !== 0 || begin[1] !== 0 || end[1] !== 0) throw o.fail(`pads ${shownValue(pads)} pad the batch or channel axis; only the spatial axes are supported`);
  const p = rank === 3 ? [0, begin[2]!, 0, end[2]!] : [begin[2]!, begin[3]!, end[2]!, end[3]!];
  return [{ ...o.base([x]), op: 'pad', pads: p as [number, number, number, number], ...(mode === 'constant' ? {} : { mode }) }];
}

/** ImageScaler (opsets 1–9, experimental; Tiny YOLOv2's input): y = scale · x + bias per channel. */
function imageScaler(o: Op): Built[] {
  const x = o.activation(0);
  const c = o.ctx.onnxShape(x)[o.channelAxis(x)]!;
  const scale = o.n.attrs.float('scale', 1);
  const bias = o.n.attrs.floats('bias') ?? [];
  if (bias.length !== c || !Number.isFinite(scale) || bias.some((b) => !Number.isFinite(b))) throw o.fail(`scale ${scale} and bias ${shownValue(bias)}: expected a finite scale and ${c} finite biases, one per channel`);
  return [{ ...o.base([x]), op: 'batchNorm', scale: new Float32Array(c).fill(scale), offset: Float32Array.from(bias) }];
}

export const ELEMENTWISE_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  BatchNormalization: batchNorm,
  ImageScaler: imageScaler,
  Add: (o) => add(o, 1),
  Sub: (o) => add(o, -1),
  Mul: (o) => scale(o, false),
  Div: (o) => scale(o, true),
  Relu: (o) => [{ ...o.base([o.activation(0)]), op: 'activation', fn: 'relu' }],
  Clip: clip,
  Softmax: (o) => softmax(o, 'softmax'),
  LogSoftmax: (o) => softmax(o, 'logsoftmax'),
  Pad: pad,
  // −x: a scale of −1 (CReLU's cat(relu(x), relu(−x)))
  Neg: (o) => [{ ...negated(o, single(o), o.out), ...o.base([single(o)]) }],
  Abs: abs,
  Max: (o) => extremum(o, true),
  Min: (o) => extremum(o, false),
  Sum: (o) => sumOrMean(o, false),
  Mean: (o) => sumOrMean(o, true),
};
