// SPDX-License-Identifier: MIT
/**
 * Resource limits on what a model may make nnchip allocate, raised with --max-params / --max-memory /
 * --max-instructions: the importers check weights and tensors against them (importers/limits.ts), the
 * lowering its instructions and a batch's compiler memory (passes/lower-budget.ts). Defined here, below both.
 */
export interface Limits {
  /** Largest number of weights (all tensors together). */
  readonly maxParams: number;
  /**
   * Largest number of bytes nnchip may allocate for one tensor or file, and a batch's lowering in all. 2 GiB by
   * default: DenseNet-121 at 224×224 (44.5 M values, about 0.9 GB to compile) was refused under 1 GiB.
   */
  readonly maxMemory: number;
  /**
   * Largest lowering, in instructions predicted from the shapes before any is emitted (the floor of
   * passes/lower-budget.ts; the program has about 1–2.2 times as many). The compiler holds every
   * instruction several times over, 0.4–1.2 KB each: at the default, about 2 GB and 30 CPU seconds
   * at most, under V8's default heap (a 4M-weight dense layer on a 1x1 array, 8.4M instructions,
   * took 3.3 GB; a larger one ended in V8's heap abort).
   */
  readonly maxInstructions: number;
}

export const DEFAULT_LIMITS: Limits = { maxParams: 64 * 1024 * 1024, maxMemory: 2 * 1024 * 1024 * 1024, maxInstructions: 2 ** 21 };
