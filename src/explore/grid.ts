// SPDX-License-Identifier: MIT
/**
 * The design-space grid: array shapes × total SRAM × DRAM bandwidth, its canonical point order,
 * and the documented mapping from a total SRAM size to the five buffer depths.
 */
import { bufferBytes, CONFIG_LIMITS, makeConfig, type ArrayConfig } from '../isa/config.js';
import { BUFFER_LIST, entryBytes, type Buffer } from '../isa/spec.js';

export interface ArrayShape {
  readonly rows: number;
  readonly cols: number;
}

/** The axes of a sweep; points are every combination, in the order documented at gridPoints(). */
export interface Grid {
  readonly arrays: readonly ArrayShape[];
  /** Total on-chip SRAM per point, in KiB (split over the buffers by SRAM_SHARES). */
  readonly sramKiB: readonly number[];
  /** DRAM bytes per cycle on each of the read and write channels (ArrayConfig.dramBytesPerCycle). */
  readonly bandwidth: readonly number[];
}

export const DEFAULT_GRID: Grid = {
  arrays: [4, 8, 16, 32].map((n) => ({ rows: n, cols: n })),
  sramKiB: [16, 64, 256],
  bandwidth: [4, 8, 16],
};

/**
 * Share of the total SRAM bytes given to each buffer. Activations get the most because a layer's
 * whole input row must fit; weights next (two R×C tiles double-buffer the DMA); the rest is small.
 * Depth = floor(share · total bytes / entry bytes), clamped to the encodable 1 … 65536 entries.
 */
export const SRAM_SHARES = { act: 1 / 2, wgt: 1 / 4, acc: 1 / 8, qnt: 1 / 16, out: 1 / 16 } as const satisfies Record<Buffer, number>;

export const SRAM_SPLIT_TEXT = 'act 1/2, wgt 1/4, acc 1/8, qnt 1/16, out 1/16 of the bytes; depth = floor(bytes / entry width), clamped to 1…65536';

export type Depths = Pick<ArrayConfig, 'actDepth' | 'wgtDepth' | 'accDepth' | 'qntDepth' | 'outDepth'>;

/** Buffer depths for `kib` KiB of SRAM on an R×C array (entry widths from isa/spec.ts entryBytes). */
export function sramDepths(kib: number, shape: ArrayShape): Depths {
  const [lo, hi] = CONFIG_LIMITS.actDepth;
  const depth = (buf: Buffer): number => Math.min(hi, Math.max(lo, Math.floor((SRAM_SHARES[buf] * kib * 1024) / entryBytes(buf, shape.rows, shape.cols))));
  return { actDepth: depth('act'), wgtDepth: depth('wgt'), accDepth: depth('acc'), qntDepth: depth('qnt'), outDepth: depth('out') };
}

/** Bytes of SRAM a configuration really has (after flooring and clamping the depths). */
export function sramBytes(cfg: ArrayConfig): number {
  return BUFFER_LIST.reduce((a, b) => a + bufferBytes(cfg, b), 0);
}

export interface GridPoint {
  /** Position in the canonical order; shards and merges key on it. */
  readonly index: number;
  readonly rows: number;
  readonly cols: number;
  readonly sramKiB: number;
  readonly bandwidth: number;
  readonly config: ArrayConfig;
}

/**
 * Every point of the grid, arrays outermost, then SRAM, then bandwidth, each axis in the order
 * given. `base` supplies the fields the grid does not set (DRAM latency, queue depth, clock).
 */
export function gridPoints(grid: Grid, base: ArrayConfig): GridPoint[] {
  const points: GridPoint[] = [];
  for (const shape of grid.arrays) {
    for (const sramKiB of grid.sramKiB) {
      for (const bandwidth of grid.bandwidth) {
        const config = makeConfig({ ...base, ...shape, ...sramDepths(sramKiB, shape), dramBytesPerCycle: bandwidth });
        points.push({ index: points.length, rows: shape.rows, cols: shape.cols, sramKiB, bandwidth, config });
      }
    }
  }
  return points;
}
