// SPDX-License-Identifier: MIT
/** Searches of ascending arrays. */

/** How many entries of the ascending `sorted` are ≤ x: the index of the first one above it (binary search). */
export function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
