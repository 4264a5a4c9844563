// SPDX-License-Identifier: MIT
/** Seeded random dense networks (Graph IR) and inputs for property and agreement tests. */
import type { Activation, Graph, Node } from '../../src/ir/graph.js';

/** mulberry32: a tiny deterministic PRNG so a failing seed reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
