// SPDX-License-Identifier: MIT
/**
 * Concatenation along H or W of [H, W, C] maps (Keras Concatenate, TF's ConcatV2): one `concat` node with
 * its axis, lowered as one requantizing copy per input into its block of the output (passes/gemm.ts), so
 * linear in the inputs. It was each input zero-padded to the whole output and the pads added in a chain:
 * quadratic (1,000 inputs of 4×4×2: 29 CPU s and 100 million cycles), and one rounding per add in int8.
 */
import type { Node } from './graph.js';

/** The node that concatenates `inputs` along axis `a` (0: H, 1: W) of [H, W, C] maps. */
export function spatialConcatNode(inputs: readonly string[], a: 0 | 1, name: string): Node {
  return { name, op: 'concat', axis: a === 0 ? 'h' : 'w', inputs: [...inputs], output: name };
}
