// SPDX-License-Identifier: MIT
/** Pareto fronts: the items no other item beats on every objective (all objectives minimized). */

export type Objective<T> = (item: T) => number;

/** a dominates b: no worse on every objective and strictly better on at least one. */
export function dominates<T>(a: T, b: T, objectives: readonly Objective<T>[]): boolean {
  let better = false;
  for (const f of objectives) {
    const x = f(a);
    const y = f(b);
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * The non-dominated items, in input order. Items with equal figures on every objective do not
 * dominate each other, so ties all stay on the front. O(n²): grids are thousands of points at most.
 */
export function paretoFront<T>(items: readonly T[], objectives: readonly Objective<T>[]): T[] {
  return items.filter((b) => !items.some((a) => a !== b && dominates(a, b, objectives)));
}
