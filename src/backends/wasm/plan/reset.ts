// SPDX-License-Identifier: MIT
/**
 * What `run()` restores before it executes, so that every call computes what the reference
 * interpreter computes from a fresh machine: DRAM = constants + input + zeros, and zeros in every
 * buffer entry the program reads before it writes. The input rows are the caller's and are kept.
 */
import type { ArrayConfig } from '../../../isa/config.js';
import { accessesOf } from '../../../isa/effects.js';
import { pixelAddress, storedLayout, type Program, type ReadonlyBytes } from '../../../isa/program.js';
import { entryBytes, type Space } from '../../../isa/spec.js';
import type { MemoryPlan, Range } from './memory.js';

export interface Segment {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ResetPlan {
  /** Nonzero runs of the constants, as data segments. */
  readonly segments: readonly Segment[];
  /** Segments are passive and copied in by every run (some store overwrites constants). */
  readonly restore: boolean;
  /** memory.init pieces: segment index, offset inside it, destination, length. */
  readonly init: readonly { readonly segment: number; readonly from: number; readonly dst: number; readonly len: number }[];
  /** Byte ranges set to zero, sorted and disjoint. */
  readonly zero: readonly Range[];
}

/** Zero runs at least this long split the constants into separate segments. */
const SEGMENT_GAP = 32;

export function segmentsOf(constants: ReadonlyBytes): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < constants.length) {
    while (i < constants.length && constants[i] === 0) i++;
    if (i >= constants.length) break;
    let end = i;
    let zeros = 0;
    for (let j = i; j < constants.length && zeros < SEGMENT_GAP; j++) {
      if (constants[j] === 0) zeros++;
      else (zeros = 0), (end = j + 1);
    }
    // from(): a copy even when the constants are a Buffer, whose slice() is a view
    out.push({ offset: i, bytes: Uint8Array.from(constants.subarray(i, end)) });
    i = end;
  }
  return out;
}

/** `r` minus the holes (sorted and disjoint), as sorted pieces; one sweep. */
export function subtract(r: Range, holes: readonly Range[]): Range[] {
  const out: Range[] = [];
  let at = r.start;
  for (const h of holes) {
    if (h.end <= at) continue;
    if (h.start >= r.end) break;
    if (h.start > at) out.push({ start: at, end: h.start });
    at = Math.max(at, h.end);
  }
  if (at < r.end) out.push({ start: at, end: r.end });
  return out;
}

export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push(r);
  }
  return out;
}

/** Buffer entries (as byte ranges) whose first access in program order is a read. */
function readBeforeWrite(p: Program, plan: MemoryPlan): Range[] {
  const cfg: ArrayConfig = p.config;
  const written = new Map<Space, Uint8Array>();
  const needs: Range[] = [];
  for (const insn of p.instructions) {
    const accesses = accessesOf(insn, cfg).filter((a) => a.space !== 'dram');
    for (const a of accesses.filter((x) => !x.write)) {
      const w = written.get(a.space);
      const bytes = entryBytes(a.space as Exclude<Space, 'dram'>, cfg.rows, cfg.cols);
      for (let e = a.start; e < a.end; e++) if (w?.[e] !== 1) needs.push({ start: plan.base[a.space] + e * bytes, end: plan.base[a.space] + (e + 1) * bytes });
    }
    for (const a of accesses.filter((x) => x.write)) {
      let w = written.get(a.space);
      if (w === undefined) written.set(a.space, (w = new Uint8Array(Math.max(a.end, 1 << 16))));
      w.fill(1, a.start, a.end);
    }
  }
  return needs;
}

export function resetPlan(p: Program, plan: MemoryPlan): ResetPlan {
  // the input's stored rows, kept; a windowed input's windows are written by run() after the
  // reset (emit.ts emitWindows), so nothing is kept there (subtracting its hundreds of scattered
  // window rows split the zeroing into as many memory.fill calls: 676 on the digits CNN at 8x8)
  const t = storedLayout(p.input);
  const inputRows: Range[] = plan.windowSource !== null ? [] : mergeRanges(Array.from({ length: t.rows }, (_, r) => ({ start: pixelAddress(t, r), end: pixelAddress(t, r) + t.rowBytes })));
  const segments = segmentsOf(p.constants);
  const constEnd = p.constants.length;
  const restore = p.instructions.some((insn) => insn.op === 'store' && accessesOf(insn, p.config).some((a) => a.space === 'dram' && a.write && a.start < constEnd));
  const zero: Range[] = subtract({ start: constEnd, end: p.dramSize }, inputRows);
  const init: ResetPlan['init'][number][] = [];
  if (restore) {
    // constant bytes outside the segments are zeros; the segments themselves are re-initialized
    const gaps = subtract({ start: 0, end: constEnd }, segments.map((s) => ({ start: s.offset, end: s.offset + s.bytes.length })));
    for (const g of gaps) zero.push(...subtract(g, inputRows));
    segments.forEach((s, i) => {
      for (const piece of subtract({ start: s.offset, end: s.offset + s.bytes.length }, inputRows)) init.push({ segment: i, from: piece.start - s.offset, dst: piece.start, len: piece.end - piece.start });
    });
  }
  for (const r of readBeforeWrite(p, plan)) zero.push(r); // no spread: there may be very many
  return { segments, restore, init, zero: closeBufferGaps(mergeRanges(zero), plan) };
}

/**
 * Zero runs in the on-chip buffers at most this many bytes apart are zeroed as one: each
 * memory.fill is a call out of the module in V8 (~40 ns, the time to fill ~1 KiB), and the digits
 * CNN on 8x8 had 676 of them (27 µs of a 66 µs run).
 */
export const ZERO_GAP = 1024;

/**
 * Sorted disjoint ranges with the gaps of at most ZERO_GAP bytes between two ranges in the
 * buffers closed. Zeroing a buffer byte at the start is always allowed: its first access is a
 * write (or it is never accessed), since the bytes read before written are the ranges themselves.
 */
export function closeBufferGaps(ranges: readonly Range[], plan: MemoryPlan): Range[] {
  const start = plan.base.act;
  const end = plan.base.out + plan.bytes.out;
  const out: Range[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && last.start >= start && r.end <= end && r.start - last.end <= ZERO_GAP) out[out.length - 1] = { start: last.start, end: r.end };
    else out.push(r);
  }
  return out;
}
