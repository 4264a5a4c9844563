// SPDX-License-Identifier: MIT
/** Keras GroupNormalization (Keras 3, channels last) → ir/normalize.ts, as ONNX InstanceNormalization and torch's GroupNorm. */
import { shownValue } from '../diagnostics/error.js';
import type { Node } from '../ir/graph.js';
import { normalizeNodes } from '../ir/normalize.js';
import type { Layer } from './tfjs-layer.js';

export function groupNormalization(x: Layer): Node[] {
  const [h, w, c] = x.map() as [number, number, number];
  const axis = x.get('axis') ?? -1;
  if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) throw x.fail('NN110', `axis ${shownValue(axis)} is not supported (only the channel axis, -1)`);
  // groups = -1 is Keras 3's instance normalization: one group per channel
  const given = x.get('groups') ?? 32;
  const groups = given === -1 ? c : given;
  if (!Number.isInteger(groups) || (groups as number) < 1 || c % (groups as number) !== 0) throw x.fail('NN107', `groups ${shownValue(given)} does not divide the ${c} channels`);
  const eps = Number(x.get('epsilon') ?? 1e-3);
  if (!(eps > 0)) throw x.fail('NN107', `epsilon ${shownValue(x.get('epsilon'))} is not positive`);
  const per = (key: string, kind: string): Float32Array | undefined => {
    if (!((x.get(key) ?? true) as boolean)) return undefined;
    const t = x.weight(kind).data;
    if (t.length !== c) throw x.fail('NN201', `${kind} has ${t.length} values for ${c} channels`);
    return t;
  };
  const [scale, offset] = [per('scale', 'gamma'), per('center', 'beta')];
  return normalizeNodes(x.l.name, x.one(), x.l.name, [h, w, c], { eps, groups: groups as number, ...(scale === undefined ? {} : { scale }), ...(offset === undefined ? {} : { offset }) });
}
