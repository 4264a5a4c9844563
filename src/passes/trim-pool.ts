// SPDX-License-Identifier: MIT
/**
 * Trim pool windows to the taps that can reach their map. A "same"-padded pool larger than its map
 * (a 61×61 window on 8×8) has rows and columns of taps that lie in the padding for every window;
 * they add nothing to a maximum or a sum and, when the padding is not counted, nothing to an
 * average's divisor, but the lowering would still pay for each of them (minutes of compile time).
 * Per axis (undilated), window o covers taps o·s − p0 + j, j < k; tap j ever reaches the counted
 * region [−c0, n + c1) (c: the padding an average counts, 0 for a max) iff
 *   max(0, −c0 + p0 − (out − 1)·s) ≤ j ≤ min(k − 1, n + c1 + p0 − 1)
 * (the last window reaches lowest, the first highest; ir/ops.ts has refused windows of padding
 * only). Keeping that range with p0' = p0 − jlo keeps every window's taps where they were, and
 * p1' is chosen so that the window count is unchanged: outputs identical, bit for bit.
 */
import type { Graph, Node, NodeOf, Pads } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';

interface Axis {
  readonly k: number;
  readonly p0: number;
  readonly p1: number;
  readonly c0: number;
  readonly c1: number;
}

/** One axis trimmed, or null when nothing can go (or a dilated axis, left as it is). */
function trimAxis(extent: number, out: number, s: number, d: number, a: Axis): Axis | null {
  if (d !== 1) return null;
  const jlo = Math.max(0, -a.c0 + a.p0 - (out - 1) * s);
  const jhi = Math.min(a.k - 1, extent + a.c1 + a.p0 - 1);
  if (jlo > jhi || (jlo === 0 && jhi === a.k - 1)) return null;
  const k = jhi - jlo + 1;
  const p0 = a.p0 - jlo;
  const p1 = Math.max(0, (out - 1) * s + k - extent - p0);
  // the window count must not move (the derivation says it cannot; a guard, not a branch taken)
  if (p0 < 0 || Math.floor((extent + p0 + p1 - k) / s) + 1 !== out) return null;
  return { k, p0, p1, c0: Math.min(a.c0, p0), c1: Math.min(a.c1, p1) };
}

function trimmed(n: NodeOf<'pool2d'>, shape: readonly number[], outShape: readonly number[]): NodeOf<'pool2d'> {
  const counted = n.countPads ?? [0, 0, 0, 0];
  const axes = ([0, 1] as const).map((i) => {
    const a: Axis = { k: n.size[i], p0: n.pads[i], p1: n.pads[i + 2]!, c0: counted[i]!, c1: counted[i + 2]! };
    return trimAxis(shape[i]!, outShape[i]!, n.strides[i], n.dilations?.[i] ?? 1, a) ?? a;
  });
  const [y, x] = axes as [Axis, Axis];
  if (y.k === n.size[0] && x.k === n.size[1]) return n;
  const pads: Pads = [y.p0, x.p0, y.p1, x.p1];
  const countPads: Pads = [y.c0, x.c0, y.c1, x.c1];
  return { ...n, size: [y.k, x.k], pads, ...(n.countPads === undefined ? {} : { countPads }) };
}

/** Every pool2d whose windows have taps that never reach the map, with those taps removed. */
export function trimPool(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'pool2d' && (n.size[0] > 1 || n.size[1] > 1))) return g;
  const shapes = checkGraph(g);
  let changed = false;
  const nodes = g.nodes.map((n): Node => {
    if (n.op !== 'pool2d') return n;
    const t = trimmed(n, shapes.get(n.inputs[0]!)!, shapes.get(n.output)!);
    if (t !== n) changed = true;
    return t;
  });
  return changed ? { ...g, nodes } : g;
}
