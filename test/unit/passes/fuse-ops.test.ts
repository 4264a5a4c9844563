/**
 * Fused cheap layers (passes/fuse-ops.ts): a max pool that tiles its input folds into its
 * producer's threshold (pooling mode) and gives the unfused codes bit for bit; a ReLU after a
 * residual add folds into the add (one rounding instead of two: within one code), and the add into
 * the convolution before it (its shortcut one more term, through the matmul's shift). Each removes a
 * layer and its cycles; ref = sim (fast, step) = WASM on the fused programs. Global average pooling
 * sums pixels as weight tiles (passes/lower.ts) and gives the whole-map average pool's codes; an
 * add's bias as a matmul gives the codes of loading it.
 */
import { describe, expect, test } from 'vitest';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph } from '../../../src/ir/graph.js';
import { interpret } from '../../../src/isa/interpret.js';
import { poolReads } from '../../../src/isa/ops/threshold.js';
import { quantizeInput, tensorSize, type Program } from '../../../src/isa/program.js';
import { LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { simulate } from '../../../sim/index.js';
import { expectSoftwareBackendsAgree, inputClasses } from '../../helpers/agreement.js';
import { builder } from '../../helpers/random-cnn.js';
import { compileGraph } from '../../helpers/compile.js';
import { pooledCnn, POOLED_INPUT } from '../../helpers/pooled-cnn.js';
import { rng } from '../../helpers/random-graph.js';

const SHAPE = POOLED_INPUT;
const samples = (n: number, seed: number): Float32Array[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};

/** two 1×1 convs → add → relu → output; `keep` also outputs the sum (no fusion). */
/**
 * relu(a + c), a and c linear 1×1 convolutions of the input (weights of `scale`; a's of `aScale`).
 * `keep`: the sum is an output too (the ReLU then stays a layer); `keepConv`: c is an output too
 * (the add then stays one).
 */
function residual(keep: boolean, scale = 0.8, keepConv = false, aScale = scale): Graph {
  const b = builder(11);
  const conv = (name: string, s: number): string => b.add({ name, op: 'conv2d', inputs: ['input'], output: name, kernel: b.tensor([1, 1, 3, 4], s), bias: b.tensor([4], 0.3), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  const [a, c] = [conv('a', aScale), conv('c', scale)];
  const s = b.add({ name: 's', op: 'add', inputs: [a, c], output: 's' });
  const r = b.add({ name: 'r', op: 'activation', fn: 'relu', inputs: [s], output: 'r' });
  return { name: 'residual', inputs: [{ name: 'input', shape: [...SHAPE] }], nodes: b.nodes, outputs: [r, ...(keep ? [s] : []), ...(keepConv ? [c] : [])], notes: [] };
}

/** The first output's codes (a graph that keeps a tensor as a second output, to block a fusion, has it after them). */
const codes = (p: Program, xs: readonly Float32Array[]): Int8Array[] => xs.map((x) => interpret(p, quantizeInput(p, x)).slice(0, tensorSize(p.outputs[0]!)));

/** How many output codes the program's first output is off the float model's (rounded to the output's codes): the largest and the mean. */
function floatErrors(p: Program, g: Graph, xs: readonly Float32Array[]): { max: number; mean: number } {
  let [max, sum, n] = [0, 0, 0];
  const { scale, zp } = p.outputs[0]!;
  for (const x of xs) {
    const got = interpret(p, quantizeInput(p, x));
    const want = evaluateOutput(g, x);
    for (let j = 0; j < tensorSize(p.outputs[0]!); j++) {
      const e = Math.abs(got[j]! - Math.max(-128, Math.min(127, Math.round(want[j]! / scale) + zp)));
      [max, sum, n] = [Math.max(max, e), sum + e, n + 1];
    }
  }
  return { max, mean: sum / n };
}
const cycles = (p: Program): number => simulate(p, quantizeInput(p, samples(1, 9)[0]!)).cycles;

/** The fused program (of graph `fg`) is off its float model by no more than the plain one (of `pg`), in the largest and the mean output-code error. */
function expectNoFurtherOff(fused: Program, fg: Graph, plain: Program, pg: Graph, xs: readonly Float32Array[]): void {
  const [f, p] = [floatErrors(fused, fg, xs), floatErrors(plain, pg, xs)];
  expect(f.max).toBeLessThanOrEqual(p.max);
  expect(f.mean).toBeLessThanOrEqual(p.mean);
}

/** ref = sim fast = sim step = WASM (SIMD, scalar), cycles = the certificate's. */
async function expectAgree(p: Program, xs: readonly Float32Array[]): Promise<void> {
  await expectSoftwareBackendsAgree(p, inputClasses(p, xs[0]));
  const x = quantizeInput(p, xs[1]!);
  const [fast, step] = [simulate(p, x, { mode: 'fast' }), simulate(p, x, { mode: 'step' })];
  expect(Array.from(step.output)).toEqual(Array.from(fast.output));
  expect([step.cycles, step.traceHash]).toEqual([fast.cycles, fast.traceHash]);
}

describe('max pool fused into the producing threshold', () => {
  test.each([
    [2, 2],
    [3, 2],
    [1, 2],
  ])('%i×%i: the unfused codes bit for bit, no pool layer, fewer cycles; ref = sim = WASM', async (kh, kw) => {
    const cal = samples(6, 1);
    const fused = compileGraph(pooledCnn(kh, kw), cal, { rows: 4, cols: 4 });
    const plain = compileGraph(pooledCnn(kh, kw, true), cal, { rows: 4, cols: 4 });
    expect(fused.layers.map((l) => l.name)).toEqual(['c1']);
    expect(fused.instructions.some((i) => i.op === 'threshold' && i.poolH === kh - 1 && i.poolW === kw - 1)).toBe(true);
    expect(plain.instructions.some((i) => i.op === 'threshold' && (i.poolH > 0 || i.poolW > 0))).toBe(false);
    const xs = samples(5, 2);
    expect(codes(fused, xs)).toEqual(codes(plain, xs));
    expect(cycles(fused)).toBeLessThan(cycles(plain));
    await expectAgree(fused, xs);
  });
});

describe('overlapping max pool (stride < window) fused into the producing threshold', () => {
  test.each([
    ['3×3/2, padding 1 (ResNet)', 3, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }, 1],
    ['3×3/2, no padding (AlexNet)', 3, 3, { strides: [2, 2], pads: [0, 0, 0, 0] }, 0],
    ['2×2/1', 2, 2, { strides: [1, 1], pads: [0, 0, 0, 0] }, 0],
    ['3×2/1×2, padding top 2, left 0', 3, 2, { strides: [1, 2], pads: [2, 0, 0, 0] }, 0],
    // windows that take their first columns from the window before (isa/ops/threshold.ts reusedColumns)
    ['2×2/1, padding 1 (reuses a column, its tail from a window\'s first read)', 2, 2, { strides: [1, 1], pads: [1, 1, 0, 0] }, 1],
    ['3×4/2, padding 1 above, 2 left (reuses two columns)', 3, 4, { strides: [2, 2], pads: [1, 2, 1, 0] }, 2],
    ['1×3/1×2, padding 1 left (one line a window, reuses a column)', 1, 3, { strides: [1, 2], pads: [0, 1, 0, 1] }, 1],
    ['2×3/1×2, padding 1 left', 2, 3, { strides: [1, 2], pads: [0, 1, 0, 1] }, 1],
    ['1×2/1, padding 1 left (one read left a window: no reuse)', 1, 2, { strides: [1, 1], pads: [0, 1, 0, 0] }, 0],
    ['3×3/1, padding 1 above and left (an overlap wider than the stride: no reuse)', 3, 3, { strides: [1, 1], pads: [1, 1, 0, 0] }, 0],
  ] as const)('%s: the unfused codes bit for bit, no pool layer, fewer cycles; ref = sim = WASM', async (_name, kh, kw, shape, reused) => {
    const cal = samples(6, 4);
    const fused = compileGraph(pooledCnn(kh, kw, false, shape), cal, { rows: 4, cols: 4 });
    const plain = compileGraph(pooledCnn(kh, kw, true, shape), cal, { rows: 4, cols: 4 });
    expect(fused.layers.map((l) => l.name)).toEqual(['c1']);
    const pooling = fused.instructions.filter((i) => i.op === 'threshold' && i.poolH === kh - 1 && i.poolW === kw - 1 && i.steps !== 0);
    expect(pooling.length).toBeGreaterThan(0);
    // the acc rows read a window: the columns a window takes from the one before are not read again
    for (const i of pooling) expect(i.op === 'threshold' && poolReads(i)).toBe(kh * (kw - reused));
    const xs = samples(5, 5);
    expect(codes(fused, xs)).toEqual(codes(plain, xs));
    expect(cycles(fused)).toBeLessThan(cycles(plain));
    await expectAgree(fused, xs);
  });

  test('small buffers: tiles of one pooled line recompute the shared lines, same codes', async () => {
    const shape = { strides: [2, 2], pads: [1, 1, 1, 1] } as const;
    const cal = samples(6, 4);
    // three conv lines (24 acc entries) fit twice in 48: one pooled line per tile, neighbours share a line
    const small = compileGraph(pooledCnn(3, 3, false, shape), cal, { rows: 4, cols: 4, accDepth: 48 });
    const plain = compileGraph(pooledCnn(3, 3, true, shape), cal, { rows: 4, cols: 4 });
    expect(small.instructions.filter((i) => i.op === 'threshold' && i.poolH === 2).length).toBeGreaterThan(1);
    const xs = samples(4, 6);
    expect(codes(small, xs)).toEqual(codes(plain, xs));
    await expectAgree(small, xs);
  });

  test('a ResNet stem (7×7 stride-2 conv, its input stored as windows) → 3×3/2 max pool, padding 1: the unfused codes, ref = sim = WASM', async () => {
    const stem = (keep: boolean): Graph => {
      const b = builder(18);
      const c1 = b.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: b.tensor([7, 7, 3, 6], 0.3), bias: b.tensor([6], 0.2), strides: [2, 2], pads: [3, 3, 3, 3], depthwise: false, activation: 'relu' });
      const mp = b.add({ name: 'mp', op: 'pool2d', kind: 'max', size: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], inputs: [c1], output: 'mp' });
      return { name: 'stem', inputs: [{ name: 'input', shape: [20, 20, 3] }], nodes: b.nodes, outputs: keep ? [mp, c1] : [mp], notes: [] };
    };
    const r = rng(19);
    const xs = Array.from({ length: 5 }, () => Float32Array.from({ length: 20 * 20 * 3 }, () => r() * 2 - 1));
    // (the windows stored whatever the cost model picks: since weight groups grew it picks plain lines here)
    const fused = compileGraph(stem(false), xs, { rows: 32, cols: 8, accDepth: 64 }, 1, 'always');
    const plain = compileGraph(stem(true), xs, { rows: 8, cols: 8 });
    expect(fused.layers.map((l) => l.name)).toEqual(['c1']);
    expect(fused.input.windows).toBeDefined();
    // three conv lines a tile (64 acc entries hold two tiles of 30): the tiles share a line each
    expect(fused.instructions.filter((i) => i.op === 'threshold' && i.poolH === 2).length).toBe(5);
    expect(codes(fused, xs)).toEqual(codes(plain, xs));
    await expectAgree(fused, xs);
  });

  test('a window that reads the bottom or right padding keeps the unfused lowering, same codes', () => {
    const shape = { strides: [1, 1], pads: [1, 1, 1, 1] } as const;
    const cal = samples(6, 4);
    const p = compileGraph(pooledCnn(3, 3, false, shape), cal, { rows: 4, cols: 4 });
    expect(p.instructions.some((i) => i.op === 'threshold' && i.poolH > 0)).toBe(false);
    expect(p.layers.map((l) => l.name)).toEqual(['c1', 'mp']);
  });
});

test('buffers too small for whole windows of lines: the unfused lowering, same codes', () => {
  const cal = samples(6, 1);
  const fused = compileGraph(pooledCnn(2, 2), cal, { rows: 4, cols: 4 });
  // one conv line (8 pixels) fits twice in 24 acc entries, two lines do not
  const small = compileGraph(pooledCnn(2, 2), cal, { rows: 4, cols: 4, accDepth: 24 });
  expect(small.instructions.some((i) => i.op === 'threshold' && i.poolH > 0)).toBe(false);
  expect(small.layers.map((l) => l.name)).toEqual(['c1', 'mp']);
  const xs = samples(4, 2);
  expect(codes(small, xs)).toEqual(codes(fused, xs));
});

describe('the residual add folded into the convolution before it', () => {
  // the shortcut a's weight in c's accumulator grows with a's scale over c's weights
  test.each([
    ['shortcut weights past int8: shifted matmuls', 0.8, 0.8, true],
    ['shortcut weights within int8: shift 0', 0.8, 0.1, false],
  ] as const)('%s; one layer and its cycles less, no further off the float model than the plain add; ref = sim = WASM', async (_, scale, aScale, shifted) => {
    // calibrated on the samples it is checked on: no code saturates, so the errors are roundings
    const cal = samples(40, 3);
    const graph = (keepConv: boolean): Graph => residual(false, scale, keepConv, aScale);
    const folded = compileGraph(graph(false), cal, { rows: 4, cols: 4 });
    // c also an output: its map is stored, so the add stays an op of its own
    const plain = compileGraph(graph(true), cal, { rows: 4, cols: 4 });
    expect(folded.layers.map((l) => [l.name, l.op])).toEqual([['a', 'conv1x1+linear'], ['c', 'conv1x1+add+relu']]);
    expect(plain.layers.map((l) => [l.name, l.op])).toEqual([['a', 'conv1x1+linear'], ['c', 'conv1x1+linear'], ['s', 'add+relu']]);
    const shifts = folded.instructions.filter((i) => i.op === 'matmul' && i.shift > 0).length;
    expect(shifts > 0).toBe(shifted);
    expect(plain.instructions.some((i) => i.op === 'matmul' && i.shift > 0)).toBe(false);
    // against the float model, in output codes: the folded sum is one rounding (the plain add's
    // are three: c's output, the add's int8 weights, its requantization), so it is off by no more
    expectNoFurtherOff(folded, graph(false), plain, graph(true), cal);
    expect(cycles(folded)).toBeLessThan(cycles(plain));
    await expectAgree(folded, cal);
  });

  test('shortcut columns 30 times apart: two shifts, two shortcut terms; no further off the float model than the plain add; ref = sim = WASM', async () => {
    const b = builder(5);
    const kernel = b.tensor([1, 1, 3, 4], 0.5);
    for (let i = 0; i < kernel.data.length; i++) if (i % 4 === 0) kernel.data[i]! *= 0.03;
    const a = b.add({ name: 'a', op: 'conv2d', inputs: ['input'], output: 'a', kernel: b.tensor([1, 1, 3, 4], 0.5), bias: b.tensor([4], 0.3), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
    const c = b.add({ name: 'c', op: 'conv2d', inputs: ['input'], output: 'c', kernel, bias: b.tensor([4], 0.3), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
    const graph = (keepConv: boolean): Graph => ({ name: 'two-shifts', inputs: [{ name: 'input', shape: [...SHAPE] }], nodes: [...b.nodes, { name: 's', op: 'add', inputs: [c, a], output: 's' }], outputs: keepConv ? ['s', c] : ['s'], notes: [] });
    const cal = samples(40, 3);
    const folded = compileGraph(graph(false), cal, { rows: 4, cols: 4 });
    const plain = compileGraph(graph(true), cal, { rows: 4, cols: 4 });
    expect(folded.layers.map((l) => [l.name, l.op])).toEqual([['a', 'conv1x1+linear'], ['c', 'conv1x1+add+linear']]);
    // the shortcut's matmuls: two shifts in the one column tile
    const shifts = new Set(folded.instructions.flatMap((i) => (i.op === 'matmul' && i.shift > 0 ? [i.shift] : [])));
    expect(shifts.size).toBe(2);
    expectNoFurtherOff(folded, graph(false), plain, graph(true), cal);
    await expectAgree(folded, cal);
  });

  test('shortcut columns of too different scales for two shifts keep the plain add', () => {
    const b = builder(5);
    // c's columns: weights 1,000, 30 and 1 times apart (a shift covers an 8× span of the shortcut's weights, two 64×)
    const kernel = b.tensor([1, 1, 3, 4], 0.5);
    for (let i = 0; i < kernel.data.length; i++) if (i % 4 < 2) kernel.data[i]! *= i % 4 === 0 ? 0.001 : 0.03;
    const a = b.add({ name: 'a', op: 'conv2d', inputs: ['input'], output: 'a', kernel: b.tensor([1, 1, 3, 4], 0.5), bias: b.tensor([4], 0.3), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
    const c = b.add({ name: 'c', op: 'conv2d', inputs: ['input'], output: 'c', kernel, bias: b.tensor([4], 0.3), strides: [1, 1], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
    // a is computed first: the add may fold only into c
    const s = b.add({ name: 's', op: 'add', inputs: [c, a], output: 's' });
    const graph: Graph = { name: 'spread', inputs: [{ name: 'input', shape: [...SHAPE] }], nodes: b.nodes, outputs: [s], notes: [] };
    const p = compileGraph(graph, samples(6, 3), { rows: 4, cols: 4 });
    expect(p.layers.map((l) => [l.name, l.op])).toEqual([['a', 'conv1x1+linear'], ['c', 'conv1x1+linear'], ['s', 'add']]);
  });
});

describe('ReLU fused into the residual add', () => {
  test('one layer less, fewer cycles, no further off the float model than add then relu; ref = sim = WASM', async () => {
    const cal = samples(40, 3);
    const fused = compileGraph(residual(false), cal, { rows: 4, cols: 4 });
    const plain = compileGraph(residual(true), cal, { rows: 4, cols: 4 });
    // (the add itself folds into c: the tests above)
    expect(fused.layers.map((l) => [l.name, l.op])).toEqual([['a', 'conv1x1+linear'], ['c', 'conv1x1+add+relu']]);
    expect(plain.layers.map((l) => l.name)).toContain('r');
    // one rounding instead of two: no further off the float model than the ReLU as a layer of its own
    expectNoFurtherOff(fused, residual(false), plain, residual(true), cal);
    expect(cycles(fused)).toBeLessThan(cycles(plain));
    await expectAgree(fused, cal);
  });

  test('each column tile loads its bias as one acc entry that its first matmul starts from (matmul bias), on any array width', () => {
    const cal = samples(6, 3);
    const xs = samples(5, 7);
    for (const array of [{ rows: 4, cols: 4 }, { rows: 1, cols: 4 }, { rows: 3, cols: 2 }]) {
      const p = compileGraph(residual(false), cal, array);
      const accLoads = p.instructions.filter((i) => i.op === 'load' && i.buf === LOAD_BUFFERS.acc);
      const biasMatmuls = p.instructions.filter((i) => i.op === 'matmul' && i.bias === 1);
      // one bias entry per column tile: no acc load replicates it over the rows
      expect(accLoads.length).toBeGreaterThan(0);
      expect(accLoads.every((l) => l.op === 'load' && l.rows === 1)).toBe(true);
      expect(biasMatmuls.length).toBe(accLoads.length);
      expect(biasMatmuls.every((m) => m.op === 'matmul' && m.accumulate === 0)).toBe(true);
      expect(codes(p, xs)).toEqual(codes(compileGraph(residual(false), cal, { rows: 8, cols: 8 }), xs));
    }
  });
});

describe('global average pooling as pixel-sum weight tiles', () => {
  /** conv → global average pool (or an average pool over the whole map, then flatten) → dense. */
  function pooledHead(global: boolean): Graph {
    const b = builder(13);
    const c1 = b.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: b.tensor([3, 3, 3, 6], 0.6), bias: b.tensor([6], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
    const whole = b.add({ name: 'avg', op: 'pool2d', kind: 'avg', size: [6, 8], strides: [1, 1], pads: [0, 0, 0, 0], inputs: [c1], output: 'avg' });
    const flat = b.add({ name: 'flat', op: 'flatten', inputs: [whole], output: 'flat' });
    const gap = global ? b.add({ name: 'gap', op: 'globalAvgPool', inputs: [c1], output: 'gap' }) : flat;
    const d = b.add({ name: 'd', op: 'dense', inputs: [gap], output: 'd', kernel: b.tensor([6, 3], 0.5), bias: b.tensor([3], 0.1), activation: 'linear' });
    const nodes = global ? b.nodes.filter((n) => n.name !== 'avg' && n.name !== 'flat') : b.nodes;
    return { name: 'head', inputs: [{ name: 'input', shape: [...SHAPE] }], nodes, outputs: [d], notes: [] };
  }

  // a 6×8 map: on 8x8 one load of 8 pixels per line beats 48 back-to-back matmuls; on 4x4 and 3x5 at
  // the default 20-cycle DRAM latency the per-pixel matmuls with the diagonal tile held are cheaper
  test.each([
    { array: { rows: 8, cols: 8 }, channelSum: true },
    { array: { rows: 4, cols: 4, dramLatency: 0, dramBytesPerCycle: 64 }, channelSum: true },
    { array: { rows: 4, cols: 4 }, channelSum: false },
    { array: { rows: 3, cols: 5 }, channelSum: false },
  ])('the average pool codes bit for bit, in the cheaper form on the machine (%o)', async ({ array, channelSum }) => {
    const cal = samples(6, 5);
    const gap = compileGraph(pooledHead(true), cal, array);
    const avg = compileGraph(pooledHead(false), cal, array);
    const xs = samples(5, 6);
    expect(codes(gap, xs)).toEqual(codes(avg, xs));
    const layer = gap.layers.findIndex((l) => l.name === 'gap');
    const matmuls = gap.instructions.filter((i, n) => i.op === 'matmul' && gap.insnLayer[n] === layer).length;
    const colTiles = Math.ceil(6 / array.cols);
    // per pixel: one matmul per (column tile, channel tile) pair the diagonal passes through
    let diagonalTiles = 0;
    for (let nt = 0; nt < colTiles; nt++) for (let ct = 0; ct < Math.ceil(6 / array.rows); ct++) if (Math.max(nt * array.cols, ct * array.rows) < Math.min(6, (nt + 1) * array.cols, (ct + 1) * array.rows)) diagonalTiles++;
    expect(matmuls).toBe(channelSum ? colTiles * 6 * Math.ceil(8 / array.rows) : 6 * 8 * diagonalTiles);
    expect(cycles(gap)).toBeLessThanOrEqual(cycles(avg));
    await expectAgree(gap, xs);
  });
});
