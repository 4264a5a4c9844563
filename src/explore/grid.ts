// SPDX-License-Identifier: MIT
/**
 * The design-space grid: array shapes × total SRAM × DRAM bandwidth × threshold passes × batch,
 * then the base machine itself; its canonical point order, and the mapping from a total SRAM size
 * to the five buffer depths.
 */
import { fmtInt, NnchipError } from '../diagnostics/error.js';
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
  /** Threshold-unit cycles per acc row (default: the base machine's); a value illegal for an array's cols is an infeasible point. */
  readonly thresholdPasses?: readonly number[];
  /** Samples per inference (default [1]); the cycles objective is cycles per sample. */
  readonly batch?: readonly number[];
}

export const DEFAULT_GRID: Grid = {
  arrays: [4, 8, 16, 32].map((n) => ({ rows: n, cols: n })),
  sramKiB: [16, 64, 256],
  bandwidth: [4, 8, 16],
  thresholdPasses: [1],
  batch: [1],
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
  readonly thresholdPasses: number;
  readonly batch: number;
  /** The base machine itself (the last point): DEFAULT_CONFIG, or --config. */
  readonly base: boolean;
  /** null when the combination is not a legal machine; `error` says why. */
  readonly config: ArrayConfig | null;
  readonly error: string | null;
}

/** A legal config, or the reason (e.g. thresholdPasses that neither divides cols nor is cols × 2|4|8|16). */
function tryConfig(partial: Partial<ArrayConfig>): { config: ArrayConfig | null; error: string | null } {
  try {
    return { config: makeConfig(partial), error: null };
  } catch (e) {
    if (e instanceof NnchipError) return { config: null, error: `${e.code}: ${e.detail}` };
    throw e;
  }
}

/**
 * Every point of the grid, arrays outermost, then SRAM, bandwidth, threshold passes and batch, each
 * axis in the order given; then one more point, the base machine itself (batch 1), so the default
 * machine is on the default grid. `base` supplies the fields the grid does not set (DRAM latency,
 * queue depth, clock).
 */
/** The grid with its optional axes filled in (what shards and explore.json record). */
export function fullGrid(grid: Grid, base: ArrayConfig): Required<Grid> {
  return { arrays: grid.arrays, sramKiB: grid.sramKiB, bandwidth: grid.bandwidth, thresholdPasses: grid.thresholdPasses ?? [base.thresholdPasses], batch: grid.batch ?? [1] };
}

/**
 * The most points a grid may have: each point's result takes about 500 bytes of explore.json (and of
 * a shard file, whose merge reads at most 1 GiB), and a point is one whole compile; a longer grid is
 * refused from its axes' lengths, before any point is made.
 */
export const MAX_GRID_POINTS = 1_000_000;

/** Refuses (NN801) a grid over MAX_GRID_POINTS, counting its points from the lengths of its lists. */
export function checkGridSize(grid: Grid): void {
  const axes = [grid.arrays.length, grid.sramKiB.length, grid.bandwidth.length, grid.thresholdPasses?.length ?? 1, grid.batch?.length ?? 1];
  const points = axes.reduce((a, b) => a * b, 1) + 1;
  if (points > MAX_GRID_POINTS) throw new NnchipError('NN801', `the grid has ${fmtInt(points)} points (${axes.join(' × ')} + the base machine), over the limit of ${fmtInt(MAX_GRID_POINTS)}; give --arrays, --sram-kib, --bandwidth, --threshold-passes and --batch fewer items`);
}

export function gridPoints(partialGrid: Grid, base: ArrayConfig): GridPoint[] {
  checkGridSize(partialGrid);
  const grid = fullGrid(partialGrid, base);
  const points: GridPoint[] = [];
  for (const shape of grid.arrays) {
    for (const sramKiB of grid.sramKiB) {
      for (const bandwidth of grid.bandwidth) {
        for (const thresholdPasses of grid.thresholdPasses) {
          const made = tryConfig({ ...base, ...shape, ...sramDepths(sramKiB, shape), dramBytesPerCycle: bandwidth, thresholdPasses });
          for (const batch of grid.batch) points.push({ index: points.length, ...shape, sramKiB, bandwidth, thresholdPasses, batch, base: false, ...made });
        }
      }
    }
  }
  const kib = sramBytes(base) / 1024;
  points.push({ index: points.length, rows: base.rows, cols: base.cols, sramKiB: kib, bandwidth: base.dramBytesPerCycle, thresholdPasses: base.thresholdPasses, batch: 1, base: true, config: base, error: null });
  return points;
}
