// SPDX-License-Identifier: MIT
/**
 * Resource limits on what a model may make nnchip allocate, raised with --max-params / --max-memory:
 * the importers check weights and tensors against them (importers/limits.ts), the lowering a batch's
 * compiler memory (passes/lower-budget.ts). Defined here, below both.
 */
export interface Limits {
  /** Largest number of weights (all tensors together). */
  readonly maxParams: number;
  /** Largest number of bytes nnchip may allocate for one tensor or file, and a batch's lowering in all. */
  readonly maxMemory: number;
}

export const DEFAULT_LIMITS: Limits = { maxParams: 64 * 1024 * 1024, maxMemory: 1024 * 1024 * 1024 };
