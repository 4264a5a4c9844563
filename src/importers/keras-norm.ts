// SPDX-License-Identifier: MIT
/**
 * Keras GroupNormalization (Keras 3, channels last), LayerNormalization and UnitNormalization → ir/normalize.ts, as ONNX
 * InstanceNormalization, torch's GroupNorm and F.normalize.
 */
import { shownValue } from '../diagnostics/error.js';
import type { Node } from '../ir/graph.js';
import { l2NormNodes, normalizeNodes, pixelNormNodes } from '../ir/normalize.js';
import type { Layer } from './tfjs-layer.js';

/** ε, and γ (`scale`) and β (`center`) of c values when the layer has them: what both Keras normalizations share. */
function normOptions(x: Layer, c: number): { eps: number; scale?: Float32Array; offset?: Float32Array } {
  const eps = Number(x.get('epsilon') ?? 1e-3);
  if (!(eps > 0)) throw x.fail('NN107', `epsilon ${shownValue(x.get('epsilon'))} is not positive`);
  const per = (key: string, kind: string): Float32Array | undefined => {
    if (!((x.get(key) ?? true) as boolean)) return undefined;
    const t = x.weight(kind).data;
    if (t.length !== c) throw x.fail('NN201', `${kind} has ${t.length} values for ${c} channels`);
    return t;
  };
  const [scale, offset] = [per('scale', 'gamma'), per('center', 'beta')];
  return { eps, ...(scale === undefined ? {} : { scale }), ...(offset === undefined ? {} : { offset }) };
}

export function groupNormalization(x: Layer): Node[] {
  const [h, w, c] = x.map() as [number, number, number];
  const axis = x.get('axis') ?? -1;
  if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the channel axis, -1)`);
  // groups = -1 is Keras 3's instance normalization: one group per channel
  const given = x.get('groups') ?? 32;
  const groups = given === -1 ? c : given;
  if (!Number.isInteger(groups) || (groups as number) < 1 || c % (groups as number) !== 0) throw x.fail('NN107', `groups ${shownValue(given)} does not divide the ${c} channels`);
  return normalizeNodes(x.l.name, x.one(), x.l.name, [h, w, c], { ...normOptions(x, c), groups: groups as number });
}

/**
 * LayerNormalization over the last axis of a vector [K] (or of a 1×1 map): one group over its values, the
 * group normalization above on the [1, 1, K] map, then γ and β per value. Per pixel of a map or step of a
 * sequence (ConvNeXt's, a transformer's): each pixel's own statistics, with the product of two maps
 * (ir/normalize.ts pixelNormNodes).
 */
export function layerNormalization(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  const c = shape.at(-1)!;
  const axis = x.get('axis') ?? -1;
  const one = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  const vector = shape.length === 1 || (shape.length === 3 && shape[0] === 1 && shape[1] === 1);
  // Keras counts the batch: the last axis is 1 of a vector, 2 of a sequence [L, C] (held as [1, L, C]), 3 of an image
  const sequence = x.ctx.sequenceInput && shape.length === 3 && shape[0] === 1 && !vector;
  if (one !== -1 && one !== (shape.length === 1 ? 1 : sequence ? 2 : 3)) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the last axis, -1)`);
  // Keras 3's rms_scaling: x · rsqrt(var + ε) · γ, neither −mean nor β (and which variance differs between Keras releases)
  if ((x.get('rms_scaling') ?? false) !== false) throw x.fail('NN110', `rms_scaling ${shownValue(x.get('rms_scaling'))} is not supported (only the plain layer normalization)`);
  if (!vector) return pixelNormNodes(x.l.name, x.one(), x.l.name, c, normOptions(x, c));
  const map = `${x.l.name}/map`;
  const normalized = shape.length === 1 ? `${x.l.name}/normalized` : x.l.name;
  const nodes: Node[] = [
    ...(shape.length === 1 ? [{ name: map, op: 'reshape', inputs: [x.one()], output: map, shape: [1, 1, c] } as Node] : []),
    ...normalizeNodes(`${x.l.name}/norm`, shape.length === 1 ? map : x.one(), normalized, [1, 1, c], { ...normOptions(x, c), groups: 1 }),
  ];
  return shape.length === 1 ? [...nodes, { name: x.l.name, op: 'reshape', inputs: [normalized], output: x.l.name, shape: [c] }] : nodes;
}

/** Keras 3's UnitNormalization ε: backend.epsilon(), the norm's floor (x · min(rsqrt(Σ x²), 1/ε)). */
const UNIT_EPS = 1e-7;

/**
 * UnitNormalization over the last axis (each sample of a vector [K], each pixel of a map or step of a sequence):
 * x / max(‖x‖₂, ε) as ir/normalize.ts l2NormNodes; a vector as the one-pixel map [1, 1, K].
 */
export function unitNormalization(x: Layer): Node[] {
  const shape = x.ctx.shapeOf(x.one());
  const c = shape.at(-1)!;
  const axis = x.get('axis') ?? -1;
  const one = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  const sequence = x.ctx.sequenceInput && shape.length === 3 && shape[0] === 1;
  if (one !== -1 && one !== (shape.length === 1 ? 1 : sequence ? 2 : 3)) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the last axis, -1)`);
  if (shape.length === 3) return l2NormNodes(x.l.name, x.one(), x.l.name, c, UNIT_EPS);
  const [map, normalized] = [`${x.l.name}/map`, `${x.l.name}/normalized`];
  return [
    { name: map, op: 'reshape', inputs: [x.one()], output: map, shape: [1, 1, c] },
    ...l2NormNodes(`${x.l.name}/norm`, map, normalized, c, UNIT_EPS),
    { name: x.l.name, op: 'reshape', inputs: [normalized], output: x.l.name, shape: [c] },
  ];
}
