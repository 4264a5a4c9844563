// SPDX-License-Identifier: MIT
/**
 * Widened acts shared between GEMMs: when consecutive `pairs` GEMMs read the same act rows (the
 * column tiles of one layer) and nothing writes those rows in between, the first sign-extends them
 * to int16 once into an area after the program's memory, and the others read them from there
 * instead of widening them again per call. The area is not the chip's memory: nothing observes it.
 * The weights those GEMMs read get an int16 copy too (`wideWeights`), made by the module's first
 * run() from the packed matrix (immutable: nothing but GEMMs reads or writes it, plan/pack.ts).
 */
import type { GemmOp, KernelOp } from './kernel-ops.js';
import { overlap } from './memory.js';
import { effectsOf } from './ops.js';

/** K above this would overflow the widening kernel's int16 lane sums (254 steps of 8 acts). */
export const WIDE_MAX_K = 2032;

/** Bytes per widened row: 128·Σa (i32), then K int16 acts and a zero if K is odd. */
export const wideRowBytes = (k: number): number => 4 + 2 * (k + (k & 1));

const key = (g: GemmOp): string => [g.a, g.aStride, g.aOuter, g.inner, g.rows, g.k].join(',');
const candidate = (op: KernelOp): op is GemmOp => op.kind === 'gemm' && op.packed === 'pairs' && op.rows >= 2 && op.k >= 2 && op.k <= WIDE_MAX_K;

/** Mark runs of ≥ 2 GEMMs sharing act rows ('fill' then 'reuse'); `bytes`: the widened area they need (0: none). */
export function shareWidenedActs(ops: readonly KernelOp[], C: number, maxBytes: number): { ops: KernelOp[]; bytes: number } {
  const out = [...ops];
  let run: { key: string; reads: { start: number; end: number }; members: number[] } | null = null;
  let bytes = 0;
  const close = (): void => {
    if (run === null || run.members.length < 2) return;
    run.members.forEach((i, n) => (out[i] = { ...(out[i] as GemmOp), wide: n === 0 ? 'fill' : 'reuse' }));
    const g = out[run.members[0]!] as GemmOp;
    bytes = Math.max(bytes, g.rows * wideRowBytes(g.k));
  };
  ops.forEach((op, i) => {
    if (candidate(op) && op.rows * wideRowBytes(op.k) <= maxBytes) {
      if (run !== null && run.key === key(op)) {
        run.members.push(i);
        return;
      }
      close();
      run = { key: key(op), reads: effectsOf(op, C).reads[0]!, members: [i] };
      return;
    }
    const reads = run?.reads;
    if (reads !== undefined && effectsOf(op, C).writes.some((w) => overlap(w, reads))) {
      close();
      run = null;
    }
  });
  close();
  return { ops: out, bytes };
}

/** The int16 copy of one packed matrix: made at `at` from the packed bytes at `w`. */
export interface WideWeights {
  readonly w: number;
  readonly k: number;
  readonly at: number;
}

/**
 * The int16 copies of the matrices the widened GEMMs read, one per matrix, from `at` on (16-byte
 * aligned), after a 16-byte slot for the flag that says they are made; `bytesOf(k)`: one copy's
 * bytes (kernels/pairs-wide.ts wideWeightBytes, the layout's owner); `bytes`: the area (0: none).
 */
export function wideWeights(ops: readonly KernelOp[], at: number, bytesOf: (k: number) => number): { copies: WideWeights[]; bytes: number; flag: number } {
  const copies: WideWeights[] = [];
  let end = at + 16;
  for (const op of ops)
    if (op.kind === 'gemm' && op.wide !== undefined && !copies.some((m) => m.w === op.w)) {
      copies.push({ w: op.w, k: op.k, at: end });
      end += Math.ceil(bytesOf(op.k) / 16) * 16;
    }
  return { copies, bytes: copies.length > 0 ? end - at : 0, flag: at };
}
