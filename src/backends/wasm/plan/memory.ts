// SPDX-License-Identifier: MIT
/**
 * Where everything lives in the module's one linear memory: DRAM at address 0 (so a DRAM address
 * is a memory address), then the five on-chip buffers, each sized by the certificate's peak, then
 * the pooling thresholds' scratch rows. Then the float staging areas of run_f32/run_f64. Nothing is
 * allocated while running: the memory has exactly `pages` pages and cannot grow.
 */
import { certify, type Certificate } from '../../../isa/cost.js';
import { accessesOf } from '../../../isa/effects.js';
import { poolOf } from '../../../isa/ops/index.js';
import type { Program } from '../../../isa/program.js';
import { entryBytes, SPACES, type Space } from '../../../isa/spec.js';

/** A byte range [start, end) of the module's linear memory. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export const overlap = (a: Range, b: Range): boolean => a.start < b.end && b.start < a.end;

export const PAGE_BYTES = 65536;
/** Regions start on 16-byte boundaries (whole v128 lanes). */
export const REGION_ALIGN = 16;
/** Vector loads may read up to 15 bytes past the last byte they use (the extra lanes are discarded). */
export const GUARD_BYTES = 16;

export interface MemoryPlan {
  /** First byte of each space. */
  readonly base: Readonly<Record<Space, number>>;
  /** Bytes reserved for each space. */
  readonly bytes: Readonly<Record<Space, number>>;
  /** acc rows a pooling threshold's window maxima go to before requantizing (kernels/pool.ts), and a shifted matmul's sums before they are added (kernel-ops.ts ShiftAddOp); empty without either. */
  readonly accScratch: Range;
  /**
   * Float staging areas after the program's memory (outside what the certificate counts): the
   * input's values as f64 (or f32 in the first half) and the outputs' as f32, one output after the
   * other, for run_f32/run_f64.
   */
  readonly staging: { readonly input: number; readonly output: number };
  /**
   * A windowed input's codes as given (rows × rowBytes, back to back) and then one window tap of
   * its zero point's code: run() copies them into the stored windows (isa/input-windows.ts). Null:
   * the input is stored as given.
   */
  readonly windowSource: { readonly codes: number; readonly zeros: number } | null;
  /** One past the last byte used, guards and staging included: the memory requirement. */
  readonly end: number;
  readonly pages: number;
}

const alignUp = (n: number): number => Math.ceil(n / REGION_ALIGN) * REGION_ALIGN;

/** Highest entry each buffer is touched at (a program without a memory map still gets room). */
function accessedBytes(p: Program): Record<Space, number> {
  const top: Record<Space, number> = { dram: p.dramSize, act: 0, wgt: 0, acc: 0, qnt: 0, out: 0 };
  for (const insn of p.instructions) {
    for (const a of accessesOf(insn, p.config)) {
      const bytes = a.space === 'dram' ? a.end : a.end * entryBytes(a.space, p.config.rows, p.config.cols);
      top[a.space] = Math.max(top[a.space], bytes);
    }
  }
  return top;
}

/**
 * Each space gets the certificate's peak bytes (what the memory map allocates); a hand-built
 * program whose memory map is incomplete gets the extent its instructions actually touch.
 */
export function planMemory(p: Program, cert: Certificate = certify(p)): MemoryPlan {
  const touched = accessedBytes(p);
  const base = {} as Record<Space, number>;
  const bytes = {} as Record<Space, number>;
  let at = 0;
  for (const s of SPACES) {
    base[s] = at;
    bytes[s] = Math.max(cert.peakBytes[s], touched[s]);
    at = alignUp(at + bytes[s]);
  }
  // rows a pooling threshold's window maxima or a shifted matmul's sums pass through (each read by the next kernel call alone)
  let scratchRows = 0;
  for (const i of p.instructions) if ((i.op === 'threshold' && poolOf(i) !== null) || (i.op === 'matmul' && i.shift !== 0)) scratchRows = Math.max(scratchRows, i.rows);
  const accScratch = { start: at, end: at + scratchRows * entryBytes('acc', p.config.rows, p.config.cols) };
  const t = p.input;
  const windowSource = t.windows === undefined ? null : { codes: alignUp(accScratch.end), zeros: alignUp(accScratch.end) + t.rows * t.rowBytes };
  const input = alignUp((windowSource === null ? accScratch.end : windowSource.zeros + t.rowBytes) + GUARD_BYTES);
  const output = alignUp(input + 8 * p.input.rows * p.input.rowBytes);
  // every output's values, one after the other (isa/program.ts outputParts)
  let outputBytes = 0;
  for (const o of p.outputs) outputBytes += 4 * o.rows * o.rowBytes;
  const end = output + outputBytes;
  return { base, bytes, accScratch, windowSource, staging: { input, output }, end, pages: Math.max(1, Math.ceil(end / PAGE_BYTES)) };
}
