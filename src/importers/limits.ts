// SPDX-License-Identifier: MIT
/** Resource limits, checked before anything large is allocated; raised with --max-params / --max-memory. */
import { NnchipError, type ErrorSite } from '../diagnostics/error.js';
import { DEFAULT_LIMITS, type Limits } from '../ir/limits.js';

// the limits themselves live in ir/limits.ts, which the lowering reads too
export { DEFAULT_LIMITS, type Limits };

/** Element count of a declared shape, refusing non-integers, negatives and anything over the limit. */
export function checkedElements(shape: unknown, limits: Limits, site: ErrorSite, what: string): number {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new NnchipError('NN107', `${what} has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`, site);
  }
  let n = 1;
  for (const d of shape as number[]) n *= d;
  if (n === 0) throw new NnchipError('NN107', `${what} has a zero-sized dimension ${JSON.stringify(shape)}`, site);
  if (n > limits.maxParams) throw new NnchipError('NN109', `${what} declares ${n} elements, over the limit of ${limits.maxParams} (--max-params)`, site);
  return n;
}

export function checkBytes(bytes: number, limits: Limits, site: ErrorSite, what: string): void {
  if (bytes > limits.maxMemory) throw new NnchipError('NN109', `${what} needs ${bytes} bytes, over the limit of ${limits.maxMemory} (--max-memory)`, site);
}
