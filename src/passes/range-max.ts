// SPDX-License-Identifier: MIT
/**
 * A segment tree over cells 0..n holding `slots` independent values per cell, with "raise a range
 * of one slot to v" and "max over a range, every slot at once", both O(log n) and iterative (no
 * recursion, no allocation): token insertion (passes/schedule.ts) records the latest reader and
 * writer on each unit per buffer entry with it, six slots in one tree.
 *
 * Node n's slot s lives at n·slots + s. max: the largest value raised on any range meeting the
 * node; raised: a value the node's whole range was raised to. A raise marks the nodes of its range's
 * bottom-up decomposition (the maximal nodes inside it, the tree being perfect) and lifts `max` on
 * the paths from its first and last leaf to the root (every other node the range meets lies inside
 * a marked one). A query takes `max` of its own decomposition's nodes and `raised` on the paths
 * from its first and last leaf: an ancestor of a query node that was marked meets a cell outside
 * the query (the query nodes are maximal), so it holds the query's first or last leaf.
 *
 * Most ranges token insertion asks about are a few cells (a small array's tiles: one weight entry,
 * a DRAM run or two), where the tree's two paths to the root cost 12–20 levels each. So each cell's
 * own value is kept too (`cell`: the max of every raise over it): a raise of at most LIFTED cells
 * (SHORT once the tree is built) lifts its cells, and a query of at most SHORT cells reads them —
 * exact as long as no longer raise has been made (from then on the cells are left as they are).
 * The tree is built from the cells the first time a query of more than SHORT cells or a raise of
 * more than LIFTED cells comes (every cell a leaf, raised and max its value, each inner node's max
 * its children's: a tree the raises above could have made), and kept from then on. (A 4x4 array's
 * dense model raises 256 DRAM cells once, its input, before its quarter million short ranges; a
 * batch of 1024 asks about long ranges all along, and lifting their cells too cost more.)
 */

/** Queries of at most this many cells read the cells' own values (see above)… */
const SHORT = 16;
/** … which raises of at most this many cells lift. */
const LIFTED = 1024;

export class RangeMax {
  private max: Int32Array;
  private raised: Int32Array;
  /** cell c's slot s at c·slots + s: the largest raise over it (until a raise longer than LIFTED). */
  private cell: Int32Array;
  private size: number;
  /** Whether max and raised hold every raise so far (built at the first query longer than SHORT or raise longer than LIFTED). */
  private treeBuilt = false;
  /** Whether a raise longer than LIFTED (SHORT once the tree is built) was made: the cells alone no longer answer. */
  private longRaised = false;
  readonly slots: number;

  /** `short` and `lifted`: SHORT and LIFTED, smaller in tests (so that their ranges cross them). */
  constructor(cells: number, slots = 1, private readonly short = SHORT, private readonly lifted = LIFTED) {
    this.slots = slots;
    this.size = 1;
    while (this.size < cells) this.size *= 2;
    // the tree's arrays are allocated when it is built (a 2x2 array's DRAM tree is 3 M entries)
    this.max = new Int32Array(0);
    this.raised = new Int32Array(0);
    this.cell = new Int32Array(this.size * slots).fill(-1);
  }

  /** The tree of every raise so far, from the cells (only short raises were made before). */
  private build(): void {
    const S = this.slots;
    const size = this.size;
    this.max = new Int32Array(2 * size * S).fill(-1);
    this.raised = new Int32Array(2 * size * S).fill(-1);
    this.max.set(this.cell, size * S);
    this.raised.set(this.cell, size * S);
    const max = this.max;
    for (let n = size - 1; n >= 1; n--) {
      for (let s = 0, k = n * S, l = 2 * n * S, r = (2 * n + 1) * S; s < S; s++) max[k + s] = max[l + s]! > max[r + s]! ? max[l + s]! : max[r + s]!;
    }
    this.treeBuilt = true;
  }

  /** Double the capacity: the old tree becomes the left half (node i at depth d moves to i + 2^d). */
  private grow(cells: number): void {
    const S = this.slots;
    let size = this.size;
    while (size < cells) size *= 2;
    const cell = new Int32Array(size * S).fill(-1);
    cell.set(this.cell);
    this.cell = cell;
    if (!this.treeBuilt) {
      this.size = size;
      return;
    }
    while (this.size < cells) {
      const max = new Int32Array(4 * this.size * S).fill(-1);
      const raised = new Int32Array(4 * this.size * S).fill(-1);
      for (let i = 1, depthStart = 1; i < 2 * this.size; i++) {
        if (i === depthStart * 2) depthStart = i;
        for (let s = 0; s < S; s++) {
          max[(i + depthStart) * S + s] = this.max[i * S + s]!;
          raised[(i + depthStart) * S + s] = this.raised[i * S + s]!;
        }
      }
      for (let s = 0; s < S; s++) max[S + s] = this.max[S + s]!;
      this.max = max;
      this.raised = raised;
      this.size *= 2;
    }
  }

  /** Every cell in [start, end) of `slot` becomes at least v. */
  raise(start: number, end: number, v: number, slot = 0): void {
    if (start >= end) return;
    if (end > this.size) this.grow(end);
    const S = this.slots;
    if (this.longRaised) {
      // the cells no longer answer: the tree alone
    } else if (end - start <= (this.treeBuilt ? this.short : this.lifted)) {
      const cell = this.cell;
      for (let k = start * S + slot; k < end * S; k += S) if (v > cell[k]!) cell[k] = v;
      if (!this.treeBuilt) return;
    } else {
      if (!this.treeBuilt) this.build();
      this.longRaised = true;
    }
    const max = this.max;
    const raised = this.raised;
    for (let lo = start + this.size, hi = end + this.size; lo < hi; lo >>= 1, hi >>= 1) {
      if (lo & 1) {
        const k = lo * S + slot;
        if (v > raised[k]!) raised[k] = v;
        if (v > max[k]!) max[k] = v;
        lo++;
      }
      if (hi & 1) {
        hi--;
        const k = hi * S + slot;
        if (v > raised[k]!) raised[k] = v;
        if (v > max[k]!) max[k] = v;
      }
    }
    for (let n = (start + this.size) >> 1; n >= 1; n >>= 1) {
      const k = n * S + slot;
      if (v > max[k]!) max[k] = v;
    }
    for (let n = (end - 1 + this.size) >> 1; n >= 1; n >>= 1) {
      const k = n * S + slot;
      if (v > max[k]!) max[k] = v;
      else break; // the rest of the path was lifted by the first loop or an earlier raise
    }
  }

  /** out[s] for s ≥ first: the largest value of slot s in [start, end), -1 when nothing was raised there. */
  queryAll(start: number, end: number, out: Int32Array, first = 0): void {
    const S = this.slots;
    out.fill(-1, first, S);
    if (end > this.size) end = this.size;
    if (start >= end) return;
    if (end - start <= this.short && !this.longRaised) {
      const cell = this.cell;
      for (let c = start; c < end; c++) {
        for (let s = first, k = c * S; s < S; s++) if (cell[k + s]! > out[s]!) out[s] = cell[k + s]!;
      }
      return;
    }
    if (!this.treeBuilt) this.build();
    const max = this.max;
    const raised = this.raised;
    let a = start + this.size;
    let b = end - 1 + this.size;
    // the two leaves' paths up to where they meet, then the shared path once
    while (a !== b) {
      for (let s = first, ka = a * S, kb = b * S; s < S; s++) {
        const x = raised[ka + s]!;
        const y = raised[kb + s]!;
        const m = x > y ? x : y;
        if (m > out[s]!) out[s] = m;
      }
      a >>= 1;
      b >>= 1;
    }
    for (; a >= 1; a >>= 1) {
      for (let s = first, k = a * S; s < S; s++) if (raised[k + s]! > out[s]!) out[s] = raised[k + s]!;
    }
    for (let lo = start + this.size, hi = end + this.size; lo < hi; lo >>= 1, hi >>= 1) {
      if (lo & 1) {
        for (let s = first, k = lo * S; s < S; s++) if (max[k + s]! > out[s]!) out[s] = max[k + s]!;
        lo++;
      }
      if (hi & 1) {
        hi--;
        for (let s = first, k = hi * S; s < S; s++) if (max[k + s]! > out[s]!) out[s] = max[k + s]!;
      }
    }
  }

  private readonly one = new Int32Array(1);

  /** The largest value of slot 0 in [start, end), -1 when nothing was raised there (a one-slot tree). */
  query(start: number, end: number): number {
    if (this.slots !== 1) throw new Error('RangeMax.query: a one-slot tree');
    this.queryAll(start, end, this.one);
    return this.one[0]!;
  }
}
