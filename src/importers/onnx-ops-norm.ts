// SPDX-License-Identifier: MIT
/**
 * ONNX InstanceNormalization → ir/normalize.ts: over each channel of an NCHW / NCL map, or over each
 * group of a GroupNorm view (torch: Reshape [N, G, −1] → InstanceNormalization → Reshape back → Mul → Add).
 */
import { normalizeNodes } from '../ir/normalize.js';
import { Op, type Built } from './onnx-op.js';

function instanceNormalization(o: Op): Built[] {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const eps = o.n.attrs.float('epsilon', 1e-5);
  if (!(eps > 0)) throw o.fail(`epsilon ${eps} is not positive`);
  // the map (C channels, H × W pixels) and the rows being normalized: groups of channels, or each channel
  const of = v.grouped?.of ?? o.ctx.onnxShape(x);
  const map = v.grouped !== undefined || v.flat !== undefined ? x : o.map(0);
  if (v.last || of.length < 3 || of.length > 4) throw o.fail(`input "${x}" has shape ${JSON.stringify(o.ctx.onnxShape(x))}; expected a map [N, C, H, W] or [N, C, L], or GroupNorm's view of one`);
  const [c, h, w] = [of[1]!, of.length === 4 ? of[2]! : 1, of.at(-1)!];
  const [hw, groups] = [v.flat ?? [h, w], v.grouped?.groups ?? c];
  const [scale, offset] = [1, 2].map((i) => o.perChannel(o.input(i), groups, i === 1 ? 'scale' : 'B', { exact: true }));
  // one γ, β per group: each channel of the group takes its group's
  const size = c / groups;
  const perChannel = (t: Float32Array): Float32Array => Float32Array.from({ length: c }, (_, k) => t[Math.floor(k / size)]!);
  return normalizeNodes(o.n.name, map, o.out, [hw[0], hw[1], c], { eps, groups, scale: perChannel(scale!), offset: perChannel(offset!) });
}

export const NORM_OPS: Readonly<Record<string, (o: Op) => Built[]>> = { InstanceNormalization: instanceNormalization };
