// SPDX-License-Identifier: MIT
/** Seeded random dense networks (Graph IR) and inputs for property and agreement tests. */
import type { Activation, Graph, Node } from '../../src/ir/graph.js';

/** The project's seeded PRNG, re-exported for tests (a failing seed reproduces). */
export { mulberry32 as rng } from '../../src/util/prng.js';
import { mulberry32 as rng } from '../../src/util/prng.js';

export function randomMlp(sizes: readonly number[], seed: number, activations: readonly Activation[] = ['relu']): Graph {
  const r = rng(seed);
  const nodes: Node[] = [];
  let prev = 'input';
  for (let i = 1; i < sizes.length; i++) {
    const k = sizes[i - 1]!;
    const n = sizes[i]!;
    const kernel = Float32Array.from({ length: k * n }, () => (r() * 2 - 1) / Math.sqrt(k));
    const bias = Float32Array.from({ length: n }, () => (r() * 2 - 1) * 0.1);
    const last = i === sizes.length - 1;
    const activation: Activation = last ? 'linear' : activations[(i - 1) % activations.length]!;
    nodes.push({ name: `fc${i}`, op: 'dense', inputs: [prev], output: `fc${i}`, kernel: { shape: [k, n], data: kernel }, bias: { shape: [n], data: bias }, activation });
    prev = `fc${i}`;
  }
  return { name: `mlp${sizes.join('x')}`, inputs: [{ name: 'input', shape: [sizes[0]!] }], nodes, outputs: [prev], notes: [] };
}

export function randomSamples(n: number, size: number, seed: number, lo = 0, hi = 1): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => lo + (hi - lo) * r()));
}
