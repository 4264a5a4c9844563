// SPDX-License-Identifier: MIT
/**
 * An ONNX graph cut to the nodes its output depends on, as ONNX Runtime runs it: a node nothing the
 * output reads is not converted, so an op nnchip lacks there (or a huge initializer only it reads)
 * no longer refuses the model, and 40,000 such nodes cost a filter, not a conversion (a chain of
 * 40,000 dead Relus was converted and lowered into the program: 20.6 s, 486 MB, 2.9 M cycles).
 *
 * What says the file itself is broken is still checked on every node, as ONNX Runtime checks it
 * (it refuses these models whatever the output reads): a node without an op type, a tensor
 * defined twice, an input that nothing defines. The live nodes get the same checks, with their
 * own messages, when they are converted (onnx.ts walk).
 */
import { NnchipError } from '../diagnostics/error.js';
import { neededBy } from './outputs.js';

/** What of an ONNX graph this file reads: its inputs, initializers and nodes' tensors. */
export interface PrunableGraph {
  input?: ({ name?: string | null } | null)[] | null;
  initializer?: ({ name?: string | null } | null)[] | null;
  node?: { name?: string | null; opType?: string | null; input?: string[] | null; output?: string[] | null }[] | null;
}

/** `g.node` cut to what the outputs read, directly or not; the nodes dropped checked for damage first. */
export function pruneToOutputs<G extends PrunableGraph>(g: G, outs: readonly string[], file: string): void {
  const nodes = g.node ?? [];
  const producer = new Map<string, readonly string[]>();
  for (const n of nodes) for (const o of n.output ?? []) if (o !== '') producer.set(o, n.input ?? []);
  const needed = neededBy(outs, (t) => producer.get(t));
  const live = (n: (typeof nodes)[number]): boolean => (n.output ?? []).some((o) => needed.has(o));
  if (nodes.every(live)) return;
  checkDeadNodes(g, live, file);
  g.node = nodes.filter(live);
}

function checkDeadNodes<G extends PrunableGraph>(g: G, live: (n: NonNullable<G['node']>[number]) => boolean, file: string): void {
  const nodes = g.node ?? [];
  const defined = new Map<string, number>();
  const define = (name: string): void => void defined.set(name, (defined.get(name) ?? 0) + 1);
  for (const i of g.input ?? []) define(i?.name ?? '');
  // an initializer of a graph input's name is its default value (IR 4+), one definition
  for (const t of g.initializer ?? []) if (!(g.input ?? []).some((i) => i?.name === t?.name)) define(t?.name ?? '');
  for (const n of nodes) for (const o of n.output ?? []) if (o !== '') define(o);
  nodes.forEach((n, i) => {
    if (live(n)) return;
    const site = { file, layer: n.name || `${n.opType ?? ''}_${i}` };
    if (!n.opType) throw new NnchipError('NN107', `node ${i} has no op type (no output reads this node, but the file is malformed)`, site);
    const twice = (n.output ?? []).find((o) => o !== '' && defined.get(o)! > 1);
    if (twice !== undefined) throw new NnchipError('NN202', `tensor "${twice}" is produced twice (no output reads this node, but each tensor must be defined once)`, site);
    // '' is an optional input left out
    const dangling = (n.input ?? []).find((t) => t !== '' && !defined.has(t));
    if (dangling !== undefined) throw new NnchipError('NN202', `input tensor "${dangling}" is not a graph input, an initializer or any node's output (no output reads this node, but the graph must be whole)`, site);
  });
}

/** The initializers the nodes left (or the outputs) read: one only a dropped node read is not counted against --max-params. */
export function readInitializers<T extends { name?: string | null }>(g: { initializer?: T[] | null; node?: PrunableGraph['node'] }, outs: readonly string[]): T[] {
  const read = new Set([...(g.node ?? []).flatMap((n) => n.input ?? []), ...outs]);
  return (g.initializer ?? []).filter((t) => read.has(t.name ?? ''));
}
