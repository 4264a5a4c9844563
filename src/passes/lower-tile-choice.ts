// SPDX-License-Identifier: MIT
/**
 * How many output lines one tile takes, up to what the buffers hold (lower-tiling.ts). One big tile
 * loads the whole input window before the first matmul and thresholds and stores the last column
 * tile after the last one, with nothing to overlap them; smaller tiles let the load unit fetch the
 * next tile's window into the other half of the act buffer (ping-pong) and the store unit drain
 * the previous tile while the array works, but every tile and column tile pays the array's drain
 * and its threshold's start again. The choice minimizes an estimate of the op's cycles made of the
 * ISA's own durations (dma, matmul issue interval, threshold), so it follows any timing change.
 */
import { accSplit, type ArrayConfig } from '../isa/config.js';
import { dmaCycles } from '../isa/ops/dma.js';
import { matmulAccLead, matmulDuration, matmulIssueInterval } from '../isa/ops/matmul.js';
import { THRESHOLD_TAIL_FROM, thresholdCycles, windowReads } from '../isa/ops/threshold.js';
import type { GemmOp } from './gemm-types.js';
import { ceilDiv } from './lower-dram.js';
import { actEntries, lineEntries, lineTiles, pooledWidth, usableLines, windowLines, type LineTile, type SourceWindow } from './lower-tiling.js';

/**
 * Matmuls per column tile from which, with two acc banks, its threshold may follow the next column
 * tile's first matmul (lower-emit.ts emitOp): 4 with two acc slots (with fewer, a load-bound op's
 * thresholds free the slots its next bias loads wait for later), 2 with four (accSlotsOf: those
 * loads wait for the threshold four column tiles back).
 */
export const BESIDE_FOLDS = 4;
const BESIDE_FOLDS_FOUR_SLOTS = 2;

/**
 * Act slots (tiles' windows in flight) for an op of one matmul per column tile whose thresholds go
 * beside: its load unit moves a window per matmul, so the window two tiles on would wait for the
 * matmul two tiles back to drain; a third slot lets it load then (ResNet-18's Conv1 on 256x256,
 * each layer alone at matched settings: 20,131 → 18,264 cycles).
 */
const ONE_MATMUL_ACT_SLOTS = 3;

/**
 * How many of the next column tile's matmuls a beside threshold follows (lower-emit.ts emitOp). It
 * reads rows its own column tile's last matmul writes, so it starts once that matmul completed,
 * 2R + C + rows after its start; the next column tile's matmuls issue an interval apart from there,
 * and after k of them the compute unit's slot is free (k + 1) intervals after that start. Fewer,
 * and the threshold waits in the slot while the array could stream; more, and its out rows and
 * slots free later. (It then completes before the matmuls it follows: timing.ts thresholdBesideFrom.)
 */
export const besideAfter = (rows: number, cfg: ArrayConfig): number => Math.max(1, Math.ceil(matmulDuration(rows, cfg) / matmulIssueInterval(rows, cfg)) - 1);

/**
 * How many acc slots of `size` entries an op's column tiles cycle through: 4 (two per bank) on a
 * machine with two acc banks where each bank holds two and the qnt buffer holds `qntSlots` ≥ 4
 * parameter rows, so a column tile's bias and requant parameters load while the threshold two
 * column tiles back still reads its bank's other slot (a load-bound op's loads run ahead of its
 * thresholds); else 2. A step table's slots stay 2 (lower-emit.ts oddAccSlot).
 */
export function accSlotsOf(size: number, op: GemmOp, cfg: ArrayConfig, qntSlots: number): number {
  const split = accSplit(cfg);
  return cfg.accBanks === 2 && (op.table?.steps ?? 0) === 0 && qntSlots >= 4 && 2 * size <= split && 2 * size <= cfg.accDepth - split ? 4 : 2;
}

export interface LineChoice {
  readonly lines: number;
  /** act entries between the two tiles' windows when they alternate halves of the act buffer; 0: every window at 0 */
  readonly actHalf: number;
  /** Each column tile's threshold follows the next column tile's first matmul (two acc banks; where the estimate says it pays). */
  readonly beside: boolean;
  /** How many tiles' windows take turns in the act buffer, actHalf apart (2: ping-pong; when actHalf > 0). */
  readonly actSlots: number;
  /** Beside with one matmul per column tile (only with `oneMatmulBeside`: lower.ts tries the program both ways). */
  readonly oneMatmulBeside: boolean;
}

/** The act half one tile's windows (and a product's correction entry) take, when two of them fit the act buffer. */
function actHalfOf(sources: ReadonlyMap<string, SourceWindow>, lines: number, cfg: ArrayConfig): number {
  const half = actEntries(sources, lines) + 1;
  return 2 * half <= cfg.actDepth ? half : 0;
}

/** Matmuls per column tile: one per term and source channel tile. */
export const matmulsPerColumnTile = (op: GemmOp, sources: ReadonlyMap<string, SourceWindow>): number => op.terms.reduce((a, t) => a + sources.get(t.src)!.ct, 0);

/** One tile: its window load, its steady cycles (the busiest unit), its last column tile's store, the weight tiles it loads for every tile after it (resident: 0 otherwise). */
function tileCost(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, tile: LineTile, cfg: ArrayConfig, beside: boolean, fourSlots: boolean, wgtSlots: number): { actLoad: number; steady: number; interval: number; columnLoads: number; weights: number; store: number } {
  const { rows: R, cols: C } = cfg;
  const lines = tile.oy1 - tile.oy0;
  const rows = lines * op.ow;
  // out rows: the pooled ones of a fused max pool
  const [outLines, outRows] = [tile.py1 - tile.py0, (tile.py1 - tile.py0) * pooledWidth(op)];
  const NT = ceilDiv(op.n, C);
  const matmuls = matmulsPerColumnTile(op, sources);
  const pool = op.pool;
  const reads = pool === undefined ? 1 : windowReads(pool.size[0], pool.size[1], pool.strides[1], pool.pads[1]);
  const threshold = thresholdCycles(outRows, op.table?.steps ?? 0, cfg.thresholdPasses, reads);
  const interval = matmulIssueInterval(rows, cfg);
  // the next matmul starts in a requantize-mode threshold's last matmulAccLead cycles, or with two acc
  // banks (consecutive column tiles in different halves: lower-emit.ts oddAccSlot) its last
  // duration − 1 cycles (timing.ts thresholdTailReach)
  const reach = cfg.accBanks === 2 ? matmulDuration(rows, cfg) - 1 : matmulAccLead(cfg);
  const tail = (op.table?.steps ?? 0) === 0 ? Math.min(reach, threshold - THRESHOLD_TAIL_FROM) : 0;
  // with two acc banks and enough matmuls per column tile, the threshold follows the next column
  // tile's first besideAfter matmuls and starts beside them: a column tile costs its matmuls' issue
  // intervals, and what its last matmul's drain outlasts those matmuls' intervals
  const besideWait = Math.max(0, matmulDuration(rows, cfg) - (Math.min(besideAfter(rows, cfg), matmuls) + 1) * interval);
  // and a threshold reads its bank while the next column tile on that bank (two on) may start only
  // once it is within matmulAccLead of its end (timing.ts thresholdTailReach; with two slots, the
  // same slot: at its end), and it starts a matmul interval after the first besideAfter matmuls of
  // the column tile after: with one matmul per column tile, that bounds a tile of more rows than the lead
  const sameBank = Math.min(besideAfter(rows, cfg), matmuls) * interval + threshold - (fourSlots ? matmulAccLead(cfg) : 0);
  const compute = beside ? NT * Math.max(matmuls * interval + besideWait + THRESHOLD_TAIL_FROM, sameBank) : NT * (matmuls * interval + 2 * R + C + threshold - tail);
  const actLoad = actLoadOf(sources, lines, cfg);
  // The load unit's work per column tile. An op of one matmul per column tile whose thresholds go
  // beside takes three act slots (chooseLines: ONE_MATMUL_ACT_SLOTS), so its windows load while the
  // matmul two tiles back drains; where its weight tiles also all fit the wgt slots, they stay there
  // from tile to tile (lower-emit-slots.ts wgtSlotOf loads a tile no slot holds), and what a column
  // tile loads is its bias entry, its requant parameters and its share of the tile's windows.
  // Charged its weight tiles and one cycle per out row every tile, ResNet-18's Conv1 on 256x256
  // stayed in 13 tiles whose thresholds waited for the next matmul's issue interval (each layer
  // alone at matched settings: Conv1 18,264 → 15,291 cycles, all 21 layers 147,708 → 144,735; nothing
  // else in bench/conv-efficiency.mjs moves).
  // Otherwise: its weight tiles, and one cycle per out row (4C bytes, what the bias cost when it was
  // replicated over the rows), which stands for what the estimate does not model (measured, not
  // derived): with two act slots a window waits for the matmul two tiles back to drain. The real
  // cost (the windows, one bias entry; weight tiles once where they fit) chose slower tiles for
  // such ops: AlexNet's features on 256x256 at matched settings 39,265 → 39,734 cycles (its pooled
  // conv1 in 7-line tiles, not 9), DS-CNN on 32x32 at the defaults 41,998 → 44,632.
  const weightLoads = matmuls * dmaCycles(R, C, cfg);
  const residentOneMatmul = beside && matmuls === 1 && NT <= wgtSlots;
  const columnLoads = residentOneMatmul ? 2 * dmaCycles(1, 4 * C, cfg) + actLoad / NT : dmaCycles(rows, 4 * C, cfg) + weightLoads;
  const store = dmaCycles(outRows, C, cfg) + (op.ow > 1 ? (outLines - 1) * cfg.dramLatency : 0);
  return { actLoad, steady: Math.max(compute, NT * columnLoads, NT * store), interval, columnLoads, weights: residentOneMatmul ? NT * weightLoads : 0, store };
}

/** Load-unit cycles of one tile's windows of `lines` output lines: per source, its channel tiles (a load per window line where taps read pixels), each load paying the DRAM latency. */
function actLoadOf(sources: ReadonlyMap<string, SourceWindow>, lines: number, cfg: ArrayConfig): number {
  let actLoad = 0;
  for (const s of sources.values()) {
    const loads = s.tapPixels !== null ? s.ct * windowLines(s, lines) : s.ct;
    actLoad += (loads - 1) * cfg.dramLatency + dmaCycles(s.ct * windowLines(s, lines) * lineEntries(s), cfg.rows, cfg);
  }
  return actLoad;
}

/** Estimated cycles of the op tiled `lines` output lines at a time (the last tile takes the rest; only to rank choices). */
function estimate(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, lines: number, cfg: ArrayConfig, wgtSlots: number, beside = false, fourSlots = false): number {
  const pingPong = actHalfOf(sources, lines, cfg) > 0;
  // one cost per tile shape (a tile's lines and pooled lines), as a batch has many tiles
  const costs = new Map<string, ReturnType<typeof tileCost>>();
  const tiles = lineTiles(op, lines).map((t) => {
    const key = `${t.oy1 - t.oy0}:${t.py1 - t.py0}`;
    return costs.get(key) ?? costs.set(key, tileCost(op, sources, t, cfg, beside, fourSlots, wgtSlots)).get(key)!;
  });
  // The first window loads before anything else. The next tile's window loads once the load unit is
  // past this tile's weight tiles, which run at most `wgtSlots` matmuls ahead: what it takes longer
  // than those matmuls stalls the array. Without ping-pong every window waits for the previous tile's last matmul.
  let cycles = tiles[0]!.actLoad + tiles[0]!.columnLoads + tiles[0]!.weights + tiles[tiles.length - 1]!.store;
  tiles.forEach((t, i) => {
    cycles += t.steady;
    const next = tiles[i + 1];
    if (next !== undefined) cycles += next.actLoad - (pingPong ? Math.min(next.actLoad, wgtSlots * t.interval) : 0);
  });
  return cycles;
}

/**
 * What a smaller tile must save per extra tile by the estimate: one array drain (2R + C), half of one
 * with two acc banks (a tile's threshold and its stores then overlap the next tile's matmuls, and on
 * a large array the next op's first tile waits for fewer of this op's rows: ResNet-18's 28×28
 * residual adds on 256x256 in two tiles, not one, own 3,909 → 2,738 cycles of the network's). Found by
 * measuring: a whole drain kept those adds in one tile; with a quarter of one, or none, the ResNet-18
 * on 32x32 and the ResNet-18 on 256x256 with default buffers got slower.
 */
function tileMargin(cfg: ArrayConfig): number {
  const drain = 2 * cfg.rows + cfg.cols;
  return cfg.accBanks === 2 ? drain / 2 : drain;
}

/**
 * The lines per tile (at most `most`, whole windows of a fused pool: usableLines) with the least
 * estimated cycles; `wgtSlots` weight tiles load ahead; `qntSlots` requant parameter rows (accSlotsOf).
 */
export function chooseLines(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, cfg: ArrayConfig, most: number, wgtSlots: number, qntSlots = 2, oneMatmulBeside = false): LineChoice {
  // with two acc banks, each candidate also with a column tile's threshold beside the next one's
  // matmuls, where the estimate says that saves cycles; with four acc slots from two matmuls per
  // column tile (ResNet-18 Conv3_s with 64 kB buffers on 32x32: 4-line tiles beside, 8,997 → 7,314
  // cycles). A pooled op used to stay apart where its load unit bound the tile; with the fused
  // pool's threshold (window reads) and the folded adds it no longer pays: the MNIST CNN on 8x8 at
  // matched settings 8,189 → 7,975 cycles (conv_1 1,760 → 1,564: its threshold no longer waits for
  // the tile's last matmul to drain before the next tile starts), AlexNet's pooled convolutions
  // on 256x256 39,503 → 39,265, nothing else in bench/conv-efficiency.mjs changed
  // With `oneMatmulBeside`, also an op of one matmul per column tile with four acc slots (a 1×1 or
  // windowed convolution whose K fits the rows): by the estimate alone it pays on the op, but in a
  // network its thresholds then wait for the next tile's matmul, which waits for the previous op's
  // stores (ResNet-18 on 256x256: 271,306 → 275,129 cycles), so lower.ts keeps it only where the
  // whole program is faster
  const matmuls = matmulsPerColumnTile(op, sources);
  const fewestFourSlots = oneMatmulBeside ? 1 : BESIDE_FOLDS_FOUR_SLOTS;
  const costOf = (lines: number): { cost: number; beside: boolean } => {
    const fourSlots = accSlotsOf(lines * op.ow, op, cfg, qntSlots) === 4;
    const canBeside = cfg.accBanks === 2 && (op.table?.steps ?? 0) === 0 && matmuls >= (fourSlots ? fewestFourSlots : BESIDE_FOLDS);
    const apart = estimate(op, sources, lines, cfg, wgtSlots);
    const beside = canBeside ? estimate(op, sources, lines, cfg, wgtSlots, true, fourSlots) : Infinity;
    return beside < apart ? { cost: beside, beside: true } : { cost: apart, beside: false };
  };
  let best = { lines: most, ...costOf(most), tiles: lineTiles(op, most).length };
  // only the tile counts that change the lines per tile ⌈oh / tiles⌉ (O(√oh) of them; every count cost a big batch O(oh²))
  for (let tiles = ceilDiv(op.oh, most), per = most; tiles <= op.oh; tiles = per > 1 ? ceilDiv(op.oh, per - 1) : op.oh + 1) {
    per = ceilDiv(op.oh, tiles);
    const lines = usableLines(op, per);
    if (lines < 1 || lines >= best.lines) continue;
    const c = costOf(lines);
    const count = lineTiles(op, lines).length;
    // the estimate ignores token stalls between tiles: a smaller tile must save more than one array drain per extra tile
    if (c.cost + (count - best.tiles) * tileMargin(cfg) < best.cost) best = { lines, ...c, tiles: count };
  }
  const actHalf = actHalfOf(sources, best.lines, cfg);
  const one = best.beside && matmuls === 1;
  const actSlots = one && actHalf > 0 ? Math.max(2, Math.min(ONE_MATMUL_ACT_SLOTS, Math.floor(cfg.actDepth / actHalf))) : 2;
  return { lines: best.lines, actHalf, beside: best.beside, actSlots, oneMatmulBeside: one };
}
