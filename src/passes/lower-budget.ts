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
 * and halts come on top: the real count is higher, never lower. Every lowering is held to it
 * (--max-instructions, NN406), a batch also to the program format and --max-memory (NN308).
 */
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import type { Graph } from '../ir/graph.js';
import { DEFAULT_LIMITS } from '../ir/limits.js';
import { checkGraph } from '../ir/verify.js';
import { CONFIG_LIMITS, type ArrayConfig } from '../isa/config.js';
import { MAX_INSTRUCTIONS } from '../isa/validate.js';
import { batchGemm } from './batch.js';
import { MAX_POOL_WINDOW } from './fuse-ops.js';
import type { GemmProgram } from './gemm-types.js';
import { ceilDiv } from './lower-dram.js';
import { linesPerTile } from './lower-tiling.js';
import { packedSources } from './pack-taps.js';
import { windowInput } from './window-input.js';
import { nonZeroTiles, type WeightMatrix } from './weight-matrix.js';

/**
 * Bytes of compiler memory per instruction of the floor, at least: the instructions (about two per
 * floor instruction), their scheduled copies, accesses and timing, encoding and listing lines.
 * Measured peaks: the digits CNN at batch 4096 5.3 KB per floor instruction (2.8 KB per emitted
 * one), the digits MLP at 16384 3.9 KB (2 KB); this is under both, so the refusal errs on the side
 * of compiling.
 */
export const COMPILER_BYTES_PER_INSTRUCTION = 3072;

/**
 * At least this many instructions in the lowering of `gp`: the fewest of its forms that fit the
 * buffers (as given, or with its input stored as windows); when neither fits, the lowering takes
 * `unfused` (its max pools apart: pipeline.ts lowerFitting), and so does the floor.
 */
export function instructionFloor(gp: GemmProgram, cfg: ArrayConfig, unfused?: () => GemmProgram): number {
  return floorByLayer(gp, cfg, unfused).total;
}

/** The floor (instructionFloor) and, per layer, its part of it, in the order the layers come. */
export interface Floor {
  readonly total: number;
  readonly layers: ReadonlyMap<string, number>;
  /** Whether every op fits a tile (lower-tiling.ts linesPerTile); an op that fits none counts one tile. */
  readonly fits: boolean;
}

export function floorByLayer(gp: GemmProgram, cfg: ArrayConfig, unfused?: () => GemmProgram): Floor {
  const windowing = windowInput(gp, cfg.rows);
  const forms = [floorOf(gp, cfg), ...(windowing === null ? [] : [floorOf(windowing.gp, cfg)])];
  const fitting = forms.filter((f) => f.fits);
  if (fitting.length === 0 && unfused !== undefined) return floorByLayer(unfused(), cfg);
  return (fitting.length > 0 ? fitting : forms).reduce((a, b) => (b.total < a.total ? b : a));
}

function floorOf(gp: GemmProgram, cfg: ArrayConfig, allTiles = false): Floor {
  const { gp: packed, sourcesOf: stored } = packedSources(gp, cfg);
  const layers = new Map<string, number>();
  let total = 0;
  let fits = true;
  const add = (layer: string, n: number): void => {
    layers.set(layer, (layers.get(layer) ?? 0) + n);
    total += n;
  };
  for (const op of packed.ops) {
    // a channel sum's tiles follow its source's pixels, not its lines: counted as one
    if (op.channelSum) {
      add(op.layer, 1);
      continue;
    }
    const sources = stored(op);
    let tiles = 1;
    try {
      const tiling = linesPerTile(op, sources, cfg);
      tiles = tiling.chunked ? op.oh * ceilDiv(op.ow, tiling.chunk) : ceilDiv(op.oh, tiling.lines);
    } catch (e) {
      // an op that fits no tile: this form is not the one lowered (or the lowering refuses it, NN403)
      if (!(e instanceof NnchipError && e.code === 'NN403')) throw e;
      fits = false;
    }
    // per tile: each column tile's matmuls (its weight tiles not all zero; allTiles: every one) and threshold
    const weightTiles = (m: WeightMatrix): number => (allTiles ? ceilDiv(m.k, cfg.rows) * ceilDiv(op.n, cfg.cols) : nonZeroTiles(m, cfg.rows, cfg.cols));
    const perTile = op.terms.reduce((a, t) => a + weightTiles(t.matrix), 0) + ceilDiv(op.n, cfg.cols);
    add(op.layer, tiles * perTile);
  }
  return { total, layers, fits };
}

/**
 * Refuses a lowering whose floor is over `maxInstructions` (--max-instructions) before anything is
 * emitted (NN406, naming the layer with the most). Counting every weight tile as non-zero bounds the
 * floor from above in closed form: the weights are scanned only when that bound is over the limit.
 * `unfused`: the same GemmOps with the max pools apart, which the lowering takes when `gp` fits no tile.
 */
export function checkInstructionBudget(gp: GemmProgram, cfg: ArrayConfig, maxInstructions: number, unfused?: () => GemmProgram): void {
  // where the form as given fits, the floor is at most its own with every tile counted
  const bound = floorOf(gp, cfg, true);
  if (bound.fits && bound.total <= maxInstructions) return;
  const { total, layers } = floorByLayer(gp, cfg, unfused);
  if (total <= maxInstructions) return;
  let [layer, most] = ['', -1];
  for (const [name, n] of layers) if (n > most) [layer, most] = [name, n];
  const share = layers.size > 1 ? ` (${fmtInt(most)} of them this layer's)` : '';
  const larger = largerArray(gp, cfg, maxInstructions, unfused);
  const hint = larger === undefined ? {} : { hint: `lower it for the ${larger.side}x${larger.side} array (--array ${larger.side}x${larger.side}: at least ${fmtInt(larger.total)} instructions, the smallest square array within the limit), or raise --max-instructions where node has the memory: the compiler takes about 1 KB per instruction (NODE_OPTIONS=--max-old-space-size)` };
  throw new NnchipError('NN406', `on the ${cfg.rows}x${cfg.cols} array it lowers to at least ${fmtInt(total)} instructions${share}, over the limit of ${fmtInt(maxInstructions)} (--max-instructions)`, { layer, ...hint });
}

/**
 * Refuses, from the graph alone, a max pool whose window no threshold can fold in (a side over
 * MAX_POOL_WINDOW: fuse-ops.ts) and whose taps alone lower to more than `maxInstructions`: gemm.ts
 * builds two GemmOps per tap past the first (max(a, b) = a + relu(b − a)), each with its own tensor
 * and c × c weights, before checkInstructionBudget can count them — a 46,341-row kernel on 64
 * channels took 12 s and 2.2 GB to be refused. Per such op, at least: its two terms' matmuls (a
 * c × c diagonal meets max(⌈c/R⌉, ⌈c/C⌉) weight tiles) and ⌈c/C⌉ thresholds, for one tile; two ops
 * are left out, whose terms tap packing or a windowed input may merge. So this floor is under the
 * real one, and the refusal comes in milliseconds.
 */
export function checkPoolBudget(g: Graph, cfg: Pick<ArrayConfig, 'rows' | 'cols'> | undefined, maxInstructions: number): void {
  let shapes: ReadonlyMap<string, readonly number[]> | undefined;
  // no machine given (explore quantizes once for all): the largest array, whose floor is the least
  const [R, C] = cfg === undefined ? [CONFIG_LIMITS.rows[1], CONFIG_LIMITS.cols[1]] : [cfg.rows, cfg.cols];
  for (const n of g.nodes) {
    if (n.op !== 'pool2d' || n.kind !== 'max' || Math.max(...n.size) <= MAX_POOL_WINDOW) continue;
    shapes ??= checkGraph(g);
    const c = shapes.get(n.inputs[0]!)?.at(-1) ?? 1;
    const perOp = 2 * Math.max(ceilDiv(c, R), ceilDiv(c, C)) + ceilDiv(c, C);
    const floor = Math.max(0, 2 * (n.size[0] * n.size[1] - 1) - 2) * perOp;
    if (floor <= maxInstructions) continue;
    throw new NnchipError('NN406', `its ${n.size[0]}x${n.size[1]} max-pool window of ${fmtInt(n.size[0] * n.size[1])} taps lowers on ${cfg === undefined ? 'any array' : `the ${R}x${C} array`} to at least ${fmtInt(floor)} instructions (two ops per tap), over the limit of ${fmtInt(maxInstructions)} (--max-instructions)`, {
      layer: n.name,
      hint: `pool in stages: a window of a·b rows is one of a rows at stride a, then one of b rows (a + b taps instead of a·b), or raise --max-instructions where node has the memory: the compiler takes about 1 KB per instruction (NODE_OPTIONS=--max-old-space-size)`,
    });
  }
}

/**
 * Refuses, from the graph alone, a layer whose weight matrices gemm.ts makes up would take more
 * than `maxMemory` (--max-memory) to build: each tap of a depthwise conv or a pool, each pixel of a
 * global pool, each input of an add or a concat, and the one input of an activation, crop, pad or
 * upsample becomes a c × c matrix with its weights on the diagonal, held as its c diagonal weights
 * (weight-matrix.ts; a depthwise conv's also as float32 first: 5 bytes a weight). Before they were
 * held so, a 46,341-tap depthwise conv on 256 channels took 135 s and 15 GB before its NN403, and a
 * ReLU on a 100,000-wide vector was an internal error (a 10 GB array). Counted once, under what the
 * lowering builds (the diagonal tiles too), so a layer that fits is not refused.
 */
export function checkMadeUpWeights(g: Graph, maxMemory: number): void {
  let shapes: ReadonlyMap<string, readonly number[]> | undefined;
  for (const n of g.nodes) {
    shapes ??= checkGraph(g);
    const made = madeUpMatrices(n, shapes.get(n.inputs[0]!) ?? []);
    if (made === null) continue;
    const channels = n.inputs.map((t) => shapes!.get(t)?.at(-1) ?? 1);
    const c = Math.max(...channels);
    const inputs = n.op === 'add' || n.op === 'concat' ? channels : channels.slice(0, 1);
    const bytes = made.perInput * made.bytesPerEntry * inputs.reduce((a, k) => a + k, 0);
    if (bytes <= maxMemory) continue;
    const count = made.perInput * inputs.length;
    throw new NnchipError('NN109', `the compiler makes ${fmtInt(count)} diagonal weight matri${count === 1 ? 'x' : 'ces'} for it (${made.what} on ${fmtInt(c)} channels: ${fmtInt(c)} weights each), ${fmtInt(bytes)} bytes to build, over the limit of ${fmtInt(maxMemory)} (--max-memory)`, {
      layer: n.name,
      hint: 'raise --max-memory where node has the memory, or split the layer into fewer taps or channels',
    });
  }
}

/** How many c × c diagonal matrices (c weights each) gemm.ts makes per input of `n` (null: it makes none), and why. */
function madeUpMatrices(n: Graph['nodes'][number], input: readonly number[]): { perInput: number; bytesPerEntry: number; what: string } | null {
  const taps = (k: number): string => `${fmtInt(k)} tap${k === 1 ? '' : 's'}`;
  switch (n.op) {
    case 'conv2d': {
      const k = n.kernel.shape[0]! * n.kernel.shape[1]!;
      return n.depthwise ? { perInput: k, bytesPerEntry: 5, what: `a depthwise conv of ${taps(k)}` } : null;
    }
    case 'batchNorm':
      return { perInput: 1, bytesPerEntry: 5, what: 'a per-channel scale' };
    case 'pool2d': {
      const k = n.size[0] * n.size[1];
      return n.kind === 'max' ? { perInput: 4 * (k - 1), bytesPerEntry: 1, what: `a max pool of ${taps(k)}, two ops of two terms each past the first` } : { perInput: k, bytesPerEntry: 1, what: `an average pool of ${taps(k)}` };
    }
    case 'globalAvgPool': {
      const k = input.length === 3 ? input[0]! * input[1]! : 1;
      return { perInput: k, bytesPerEntry: 1, what: `a global pool of ${fmtInt(k)} pixel${k === 1 ? '' : 's'}` };
    }
    case 'activation':
      return n.fn === 'linear' || n.fn === 'softmax' || n.fn === 'logsoftmax' ? null : { perInput: 1, bytesPerEntry: 1, what: 'a copy through the threshold' };
    case 'add':
    case 'concat':
    case 'crop':
    case 'pad':
    case 'upsample':
      return { perInput: 1, bytesPerEntry: 1, what: `a copy of each input` };
    default:
      return null;
  }
}

/** Square arrays the NN406 hint tries, past the machine's own: the full-size networks of docs/performance.md fit one of them. */
const LARGER_SIDES = [2, 4, 8, 16, 32, 64, 128, 256];

/**
 * The smallest square array with more PEs than `cfg`'s (its buffers as deep) on which the floor is
 * within `maxInstructions`: "a larger array" named, a U-Net at 256×256 refused on the default 8x8 and
 * then on 16x16 is lowered on 32x32. From the shapes, as the refusal itself: milliseconds.
 */
function largerArray(gp: GemmProgram, cfg: ArrayConfig, maxInstructions: number, unfused?: () => GemmProgram): { side: number; total: number } | undefined {
  for (const side of LARGER_SIDES) {
    if (side * side <= cfg.rows * cfg.cols) continue;
    try {
      const { total, fits } = floorByLayer(gp, { ...cfg, rows: side, cols: side }, unfused);
      if (fits && total <= maxInstructions) return { side, total };
    } catch (e) {
      if (!(e instanceof NnchipError)) throw e;
    }
  }
  return undefined;
}

/**
 * Refuses a batch whose lowering would hold more instructions than a program may (MAX_INSTRUCTIONS)
 * or than `maxInstructions` (--max-instructions), or take more compiler memory than `maxMemory`
 * (--max-memory), naming the largest batch that fits. `batched(b)`: the GemmProgram at batch b
 * (passes/batch.ts); `batch` > 1.
 */
export function checkBatchBudget(batched: (b: number) => GemmProgram, batch: number, cfg: ArrayConfig, maxMemory: number, maxInstructions = DEFAULT_LIMITS.maxInstructions): void {
  const limit = Math.min(MAX_INSTRUCTIONS, maxInstructions, Math.floor(maxMemory / COMPILER_BYTES_PER_INSTRUCTION));
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
  // the limit named is the one that binds
  const what =
    limit === MAX_INSTRUCTIONS
      ? `more than a program holds (${fmtInt(MAX_INSTRUCTIONS)})`
      : limit === maxInstructions
        ? `over the limit of ${fmtInt(maxInstructions)} (--max-instructions)`
        : `which take at least ${fmtInt(floor * COMPILER_BYTES_PER_INSTRUCTION)} bytes of compiler memory, over the limit of ${fmtInt(maxMemory)} (--max-memory)`;
  const largest = floorAt(1) <= limit ? `the largest batch within it is ${lo}` : 'compile it unbatched';
  throw new NnchipError('NN308', `a batch of ${fmtInt(batch)} lowers to at least ${fmtInt(floor)} instructions, ${what}; ${largest}`);
}
