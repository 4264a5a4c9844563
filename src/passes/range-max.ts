// SPDX-License-Identifier: MIT
/**
 * A segment tree over cells 0..n with "raise a range to v" and "max over a range", both O(log n):
 * token insertion (passes/schedule.ts) records instruction indices per buffer entry with it.
 */

export class RangeMax {
  /** max[node]: the largest value in the node's range; raised[node]: a value its whole range was raised to. */
  private max: Int32Array;
  private raised: Int32Array;
  private size: number;

  constructor(cells: number) {
    this.size = 1;
    while (this.size < cells) this.size *= 2;
    this.max = new Int32Array(2 * this.size).fill(-1);
    this.raised = new Int32Array(2 * this.size).fill(-1);
  }

  /** Double the capacity: the old tree becomes the left half (node i at depth d moves to i + 2^d). */
  private grow(cells: number): void {
    while (this.size < cells) {
      const max = new Int32Array(4 * this.size).fill(-1);
      const raised = new Int32Array(4 * this.size).fill(-1);
      for (let i = 1, depthStart = 1; i < 2 * this.size; i++) {
        if (i === depthStart * 2) depthStart = i;
        max[i + depthStart] = this.max[i]!;
        raised[i + depthStart] = this.raised[i]!;
      }
      max[1] = this.max[1]!;
      this.max = max;
      this.raised = raised;
      this.size *= 2;
    }
  }

  /** Every cell in [start, end) becomes at least v. */
  raise(start: number, end: number, v: number): void {
    if (end > this.size) this.grow(end);
    if (start < end) this.raiseAt(1, 0, this.size, start, end, v);
  }

  private raiseAt(node: number, lo: number, hi: number, start: number, end: number, v: number): void {
    if (end <= lo || hi <= start) return;
    if (v > this.max[node]!) this.max[node] = v;
    if (start <= lo && hi <= end) {
      if (v > this.raised[node]!) this.raised[node] = v;
      return;
    }
    const mid = (lo + hi) >> 1;
    this.raiseAt(2 * node, lo, mid, start, end, v);
    this.raiseAt(2 * node + 1, mid, hi, start, end, v);
  }

  /** The largest value in [start, end), -1 when nothing was raised there. */
  query(start: number, end: number): number {
    if (start >= end) return -1;
    return this.queryAt(1, 0, this.size, start, Math.min(end, this.size));
  }

  private queryAt(node: number, lo: number, hi: number, start: number, end: number): number {
    if (end <= lo || hi <= start) return -1;
    if (start <= lo && hi <= end) return this.max[node]!;
    const mid = (lo + hi) >> 1;
    return Math.max(this.raised[node]!, this.queryAt(2 * node, lo, mid, start, end), this.queryAt(2 * node + 1, mid, hi, start, end));
  }
}
