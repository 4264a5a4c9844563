// SPDX-License-Identifier: MIT
/**
 * What a lowering will produce, bounded from the shapes alone before anything is emitted: a big
 * batch (passes/batch.ts) multiplies the instructions, and the compiler's memory and time with
 * them, so a batch too large for the program format or for --max-memory is refused in
 * milliseconds instead of after minutes and gigabytes.
 *
 * The floor counts, per op, the tiles the buffers allow at most (lower-tiling.ts linesPerTile:
 * the emitted tiles are never fewer) times, per tile, one threshold per column tile and one matmul
 * per weight tile that is not all zero (lower-emit.ts, lower-constants.ts). Loads, stores, tokens
 * and halts come on top: the real count is higher, never lower.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import { MAX_INSTRUCTIONS } from '../isa/validate.js';
import { batchGemm } from './batch.js';
import type { GemmProgram } from './gemm-types.js';
import { ceilDiv } from './lower-dram.js';
import { linesPerTile, sourcesOf, type SourceGeometry } from './lower-tiling.js';
import { packTaps } from './pack-taps.js';
import { windowInput } from './window-input.js';

/**
 * Bytes of compiler memory per instruction of the floor, at least: the instructions (about two per
 * floor instruction), their scheduled copies, accesses and timing, encoding and listing lines.
 * Measured peaks: the digits CNN at batch 4096 5.3 KB per floor instruction (2.8 KB per emitted
 * one), the digits MLP at 16384 3.9 KB (2 KB); this is under both, so the refusal errs on the side
 * of compiling.
 */
export const COMPILER_BYTES_PER_INSTRUCTION = 3072;

/** At least this many instructions in the lowering of `gp` (as given, or with its input stored as windows, whichever is fewer). */
export function instructionFloor(gp: GemmProgram, cfg: ArrayConfig): number {
  const plain = floorOf(gp, cfg);
  const windowing = windowInput(gp, cfg.rows);
  return windowing === null ? plain : Math.min(plain, floorOf(windowing.gp, cfg));
}

function floorOf(gp: GemmProgram, cfg: ArrayConfig): number {
  const { gp: packed, stride } = packTaps(gp, cfg.rows);
  const geometry = new Map<string, SourceGeometry>();
  for (const t of packed.tensors.values()) geometry.set(t.name, { t, stride: stride.get(t.name) ?? 0, wp: t.w + t.pads[1] + t.pads[3] });
  let floor = 0;
  for (const op of packed.ops) {
    // a channel sum's tiles follow its source's pixels, not its lines: counted as one
    if (op.channelSum) {
      floor += 1;
      continue;
    }
    const sources = sourcesOf(op, geometry, cfg.rows, new Set(stride.keys()));
    let tiling;
    try {
      tiling = linesPerTile(op, sources, cfg);
    } catch (e) {
      // an op that fits no tile is the lowering's to refuse (NN403), with its own message
      if (e instanceof NnchipError && e.code === 'NN403') continue;
      throw e;
    }
    const tiles = tiling.chunked ? op.oh * ceilDiv(op.ow, tiling.chunk) : ceilDiv(op.oh, tiling.lines);
    // per tile: each column tile's matmuls (its weight tiles not all zero) and threshold
    const perTile = op.terms.reduce((a, t) => a + nonZeroTiles(t.matrix, op.n, cfg.rows, cfg.cols), 0) + ceilDiv(op.n, cfg.cols);
    floor += tiles * perTile;
  }
  return floor;
}

/**
 * Refuses a batch whose lowering would hold more instructions than a program may (MAX_INSTRUCTIONS)
 * or take more compiler memory than `maxMemory` (--max-memory), naming the largest batch that fits.
 * `batched(b)`: the GemmProgram at batch b (passes/batch.ts); `batch` > 1.
 */
export function checkBatchBudget(batched: (b: number) => GemmProgram, batch: number, cfg: ArrayConfig, maxMemory: number): void {
  const limit = Math.min(MAX_INSTRUCTIONS, Math.floor(maxMemory / COMPILER_BYTES_PER_INSTRUCTION));
  const floorAt = (b: number): number => instructionFloor(batched(b), cfg);
  const floor = floorAt(batch);
  if (floor <= limit) return;
  // the floor grows with the batch: the largest batch under the limit, by bisection
  let [lo, hi] = [1, batch];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (floorAt(mid) <= limit) lo = mid;
    else hi = mid;
  }
  const overProgram = floor > MAX_INSTRUCTIONS;
  const what = overProgram ? `more than a program holds (${MAX_INSTRUCTIONS})` : `which take at least ${floor * COMPILER_BYTES_PER_INSTRUCTION} bytes of compiler memory, over the limit of ${maxMemory} (--max-memory)`;
  const largest = floorAt(1) <= limit ? `the largest batch within it is ${lo}` : 'compile it unbatched';
  throw new NnchipError('NN308', `a batch of ${batch} lowers to at least ${floor} instructions, ${what}; ${largest}`);
}

/** The R×C tiles of a k×n weight matrix (row-major) holding a non-zero weight: the matmuls one output tile issues for it. */
function nonZeroTiles(m: Int8Array, n: number, R: number, C: number): number {
  const k = m.length / n;
  let count = 0;
  for (let r0 = 0; r0 < k; r0 += R) {
    for (let c0 = 0; c0 < n; c0 += C) {
      let any = false;
      for (let r = r0; !any && r < Math.min(k, r0 + R); r++) for (let c = r * n + c0, end = r * n + Math.min(n, c0 + C); !any && c < end; c++) any = m[c] !== 0;
      if (any) count++;
    }
  }
  return count;
}
