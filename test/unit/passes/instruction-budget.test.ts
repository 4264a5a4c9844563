// SPDX-License-Identifier: MIT
/**
 * Every lowering is predicted from its shapes before anything is emitted (passes/lower-budget.ts
 * instructionFloor) and refused over --max-instructions (NN406): the prediction never exceeds what
 * the lowering emits, over random layers × machines; it is not vacuous (the emitted count is
 * within a small factor of it); and a model over the limit is refused before calibration.
 */
import { fmtInt } from '../../../src/diagnostics/error.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import type { Activation, Graph, Node } from '../../../src/ir/graph.js';
import { DEFAULT_LIMITS } from '../../../src/ir/limits.js';
import { loadModel } from '../../../src/importers/index.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { checkInstructionBudget, instructionFloor } from '../../../src/passes/lower-budget.js';
import { compile, quantizeGraph } from '../../../src/passes/pipeline.js';
import type { Calibration } from '../../../src/passes/quantize.js';
import { calibrationSamples } from '../../helpers/compile.js';
import { pooledCnn, POOLED_INPUT } from '../../helpers/pooled-cnn.js';
import { randomCnn } from '../../helpers/random-cnn.js';
import { randomMlp, randomSamples, rng } from '../../helpers/random-graph.js';
import { residualCnn, RESIDUAL_INPUT } from '../../helpers/residual-cnn.js';
import { seGraph } from '../../helpers/se-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const ex = (rel: string): string => new URL(`../../../examples/${rel}`, import.meta.url).pathname;
const untouchable = { get samples(): never { throw new Error('calibration was read'); } } as unknown as Calibration;

/** The floor and the emitted count of one unbatched lowering, or null where the machine cannot hold it (NN403). */
function floorAndCount(graph: Graph, calibration: Calibration, config: ArrayConfig): [number, number] | null {
  let program;
  try {
    program = compile(graph, { config, calibration, maxInstructions: Number.MAX_SAFE_INTEGER }).program;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN403') return null;
    throw e;
  }
  const q = quantizeGraph(graph, calibration);
  return [instructionFloor(q.gemm, config, q.unfused), program.instructions.length];
}

/** One random layer stack: conv (any kernel, stride, padding, depthwise), max/avg pool, dense, on an h×w×c input. */
function randomStack(seed: number, h: number, w: number, c: number, convs: number, sparse: boolean): Graph {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  // a sparse stack zeroes about half its weights in blocks (pruned models issue no matmul for an all-zero tile)
  const tensor = (shape: number[]): { shape: number[]; data: Float32Array } => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (sparse && (i >> 3) % 2 === 0 ? 0 : r() * 2 - 1)) });
  const nodes: Node[] = [];
  let [x, hh, ww, cc] = ['input', h, w, c];
  for (let i = 0; i < convs; i++) {
    const k = int(1, Math.min(5, hh + 1, ww + 1));
    const stride = int(1, 3);
    const pad = int(0, Math.floor((k - 1) / 2) + (k > 1 ? 1 : 0));
    const oh = Math.floor((hh + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((ww + 2 * pad - k) / stride) + 1;
    if (oh < 1 || ow < 1) break;
    const depthwise = cc > 1 && r() < 0.25;
    const cout = depthwise ? cc : int(1, 24);
    const name = `conv${i}`;
    const activation: Activation = r() < 0.5 ? 'relu' : 'linear';
    nodes.push({ name, op: 'conv2d', inputs: [x], output: name, kernel: tensor([k, k, cc, depthwise ? 1 : cout]), bias: tensor([cout]), strides: [stride, stride], pads: [pad, pad, pad, pad], depthwise, activation });
    [x, hh, ww, cc] = [name, oh, ow, cout];
    if (hh >= 2 && ww >= 2 && r() < 0.4) {
      const pool = `pool${i}`;
      nodes.push({ name: pool, op: 'pool2d', kind: r() < 0.5 ? 'max' : 'avg', size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], inputs: [x], output: pool });
      [x, hh, ww] = [pool, Math.floor(hh / 2), Math.floor(ww / 2)];
    }
  }
  nodes.push({ name: 'flat', op: 'flatten', inputs: [x], output: 'flat', order: 'hwc' });
  const units = int(1, 40);
  nodes.push({ name: 'fc', op: 'dense', inputs: ['flat'], output: 'fc', kernel: tensor([hh * ww * cc, units]), bias: tensor([units]), activation: 'linear' });
  return { name: `stack${seed}`, inputs: [{ name: 'input', shape: [h, w, c] }], nodes, outputs: ['fc'], notes: [] };
}

const machine = fc.record({
  rows: fc.integer({ min: 1, max: 9 }),
  cols: fc.integer({ min: 1, max: 9 }),
  actDepth: fc.constantFrom(64, 512, 4096),
  wgtDepth: fc.constantFrom(16, 64, 1024),
  accDepth: fc.constantFrom(16, 128, 1024),
  outDepth: fc.constantFrom(16, 1024),
  accBanks: fc.constantFrom(1, 2),
});

describe('the instruction floor of one sample', () => {
  test('fast-check: random conv/pool/dense stacks × machines (1x1 to 9x9, small to default buffers), dense or pruned: never over the emitted count, within four times it (plus a few)', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), machine, (seed, h, w, c, convs, sparse, m) => {
        const graph = randomStack(seed, h, w, c, convs, sparse);
        const got = floorAndCount(graph, { samples: randomSamples(3, h * w * c, seed + 1, -1, 1) }, makeConfig(m));
        if (got === null) return;
        const [floor, count] = got;
        checked++;
        expect(floor).toBeLessThanOrEqual(count);
        // loads, stores and the halt on top: a few per matmul at most, and a few per program
        expect(count).toBeLessThanOrEqual(4 * floor + 16);
      }),
      { seed: SEED, numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(30); // most machines hold most stacks
  });

  test('fast-check: squeeze-excite blocks (a per-channel product of a computed gate: its spread and diagonal tiles) × machines', () => {
    fc.assert(
      fc.property(
        fc.record({ seed: fc.integer({ min: 0, max: 2 ** 30 }), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 6 }), cin: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 26 }), hidden: fc.integer({ min: 1, max: 6 }) }),
        machine,
        (o, m) => {
          const graph = seGraph({ ...o, act: 'relu', gate: { fn: 'sigmoid' } });
          const got = floorAndCount(graph, { samples: randomSamples(4, o.h * o.w * o.cin, o.seed, -1, 1) }, makeConfig({ ...m, outDepth: Math.max(m.outDepth, 2 * o.w) }));
          if (got === null) return;
          const [floor, count] = got;
          // never over; looser than for plain layers (a small block's loads and syncs outnumber its matmuls: 23 against 147)
          expect(floor).toBeLessThanOrEqual(count);
          expect(count).toBeLessThanOrEqual(8 * floor + 32);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  test('the examples and the helper graphs (adds, concats, table activations, windowed inputs) on 1x1 to 8x8', () => {
    const digits = { samples: calibrationSamples().slice(0, 4) };
    const graphs: [Graph, Calibration][] = [
      [loadModel(ex('digits-cnn/model.json')), digits],
      [loadModel(ex('digits-mlp/model.json')), digits],
      [randomCnn(3), { samples: randomSamples(3, 9 * 8 * 3, 3, -1, 1) }],
      [residualCnn(6), { samples: randomSamples(3, RESIDUAL_INPUT.reduce((a: number, b: number) => a * b, 1), 4, -1, 1) }],
      [pooledCnn(3, 2), { samples: randomSamples(3, POOLED_INPUT.reduce((a: number, b: number) => a * b, 1), 5, -1, 1) }],
      [randomMlp([40, 30, 20, 5], 7, ['relu', 'linear']), { samples: randomSamples(3, 40, 8, -1, 1) }],
    ];
    for (const [graph, calibration] of graphs) {
      for (const shape of [{ rows: 1, cols: 1 }, { rows: 2, cols: 3 }, { rows: 8, cols: 8 }]) {
        const got = floorAndCount(graph, calibration, makeConfig(shape));
        expect(got, `${graph.name} on ${shape.rows}x${shape.cols}`).not.toBeNull();
        const [floor, count] = got!;
        expect(floor).toBeLessThanOrEqual(count);
        // loads, stores and the halt on top: a few per matmul at most, and a few per program
        expect(count).toBeLessThanOrEqual(4 * floor + 16);
      }
    }
  });
});

describe('a lowering over --max-instructions is refused before calibration', () => {
  const refusal = (f: () => unknown): NnchipError | string => {
    try {
      f();
    } catch (e) {
      return e instanceof NnchipError ? e : (e as Error).message;
    }
    return 'compiled';
  };

  test('the digits MLP on a 1x1 array: the floor is the limit that passes, one less is NN406 naming its largest layer', () => {
    const graph = loadModel(ex('digits-mlp/model.json'));
    const config = makeConfig({ rows: 1, cols: 1 });
    const q = quantizeGraph(graph, { samples: calibrationSamples().slice(0, 2) });
    const floor = instructionFloor(q.gemm, config);
    expect(() => checkInstructionBudget(q.gemm, config, floor)).not.toThrow();
    const e = refusal(() => compile(graph, { config, calibration: untouchable, maxInstructions: floor - 1 }));
    expect(e).toBeInstanceOf(NnchipError);
    const err = e as NnchipError;
    expect(err.code).toBe('NN406');
    expect(err.detail).toContain(`on the 1x1 array it lowers to at least ${fmtInt(floor)} instructions`);
    expect(err.detail).toContain(`over the limit of ${fmtInt(floor - 1)} (--max-instructions)`);
    // the first dense layer (784 inputs) has most of the weight tiles
    expect(err.layer).toBe(graph.nodes.find((n) => n.op === 'dense')!.name);
    // at the limit: calibration comes next
    expect(refusal(() => compile(graph, { config, calibration: untouchable, maxInstructions: floor }))).toBe('calibration was read');
  });

  test('a 4M-weight dense layer on a 1x1 array (8.4M instructions, 3.3 GB and 45 s before): NN406 at the default limit, before calibration', () => {
    const k = 2048;
    const graph: Graph = { name: 'big', inputs: [{ name: 'input', shape: [k] }], nodes: [{ name: 'fc', op: 'dense', inputs: ['input'], output: 'fc', kernel: { shape: [k, k], data: new Float32Array(k * k).fill(0.5) }, bias: null, activation: 'linear' }], outputs: ['fc'], notes: [] };
    const e = refusal(() => compile(graph, { config: makeConfig({ rows: 1, cols: 1 }), calibration: untouchable }));
    expect(e).toHaveProperty('code', 'NN406');
    // every weight tile counts (k² matmuls), and one threshold per output column
    expect((e as NnchipError).detail).toContain(`at least ${fmtInt(k * k + k)} instructions, over the limit of ${fmtInt(DEFAULT_LIMITS.maxInstructions)}`);
    // on the default 8x8 array the same layer is 64 times fewer tiles: it compiles
    expect(refusal(() => compile(graph, { config: makeConfig(), calibration: untouchable }))).toBe('calibration was read');
  });

  test('NN406 names the smallest square array within the limit (a full-size U-Net was refused on 8x8, then on 16x16, with no size to try), and the general hint where none is', () => {
    // the 256×256 U-Net's first decoder layer: 1024 → 512 channels, 3×3, at 32×32 (4.7 M weights)
    const [h, cin, cout] = [32, 1024, 512];
    const graph: Graph = { name: 'dec', inputs: [{ name: 'input', shape: [h, h, cin] }], nodes: [{ name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: { shape: [3, 3, cin, cout], data: new Float32Array(9 * cin * cout).fill(0.01) }, bias: null, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' }], outputs: ['conv'], notes: [] };
    const gemm = quantizeGraph(graph, { samples: [new Float32Array(h * h * cin)] }).gemm;
    const floorOn = (side: number): number => instructionFloor(gemm, makeConfig({ rows: side, cols: side }));
    const limit = 1_000_000;
    // over the limit on 8x8 and 16x16, within it on 32x32
    expect([8, 16, 32].map((side) => floorOn(side) > limit)).toEqual([true, true, false]);
    const e = refusal(() => compile(graph, { config: makeConfig(), calibration: untouchable, maxInstructions: limit })) as NnchipError;
    expect(e.code).toBe('NN406');
    expect(e.hint).toContain(`lower it for the 32x32 array (--array 32x32: at least ${fmtInt(floorOn(32))} instructions, the smallest square array within the limit)`);
    expect(e.layer).toBe('conv');
    expect(e.detail).toMatch(/^on the 8x8 array it lowers to at least [\d,]+ instructions, over the limit of 1,000,000 \(--max-instructions\)$/);
    // taken: on 32x32 the check passes and calibration comes next
    expect(refusal(() => compile(graph, { config: makeConfig({ rows: 32, cols: 32 }), calibration: untouchable, maxInstructions: limit }))).toBe('calibration was read');
    // a limit no array meets: the general hint
    const none = refusal(() => compile(graph, { config: makeConfig(), calibration: untouchable, maxInstructions: 10 })) as NnchipError;
    expect(none.hint).toMatch(/^lower it for a larger array \(--array\) or larger buffers/);
  });

  const maxPool = (h: number, w: number, c: number, kh: number, kw: number): Graph => ({ name: 'pool', inputs: [{ name: 'input', shape: [h, w, c] }], nodes: [{ name: 'pool', op: 'pool2d', kind: 'max', inputs: ['input'], output: 'pool', size: [kh, kw], strides: [1, 1], pads: [0, 0, 0, 0] }], outputs: ['pool'], notes: [] });

  test('a max pool of a 46,341-row window on 64 channels (12 s and 2.2 GB before its NN406, two GemmOps a tap built first): refused from the graph in milliseconds', () => {
    // refused before calibration (untouchable) and from the graph (the message counts taps, not built ops)
    const e = refusal(() => compile(maxPool(46341, 1, 64, 46341, 1), { config: makeConfig(), calibration: untouchable })) as NnchipError;
    expect(e.code).toBe('NN406');
    expect(e.layer).toBe('pool');
    expect(e.detail).toBe(`its 46341x1 max-pool window of 46,341 taps lowers on the 8x8 array to at least ${fmtInt((2 * 46340 - 2) * (2 * 8 + 8))} instructions (two ops per tap), over the limit of ${fmtInt(DEFAULT_LIMITS.maxInstructions)} (--max-instructions)`);
    expect(e.hint).toMatch(/raise --max-instructions/);
    // explore quantizes once for every machine: with none given, the floor of the largest array (3 a tap-op on 1 channel)
    const any = refusal(() => quantizeGraph(maxPool(400_000, 1, 1, 400_000, 1), untouchable)) as NnchipError;
    expect(any.detail).toBe(`its 400000x1 max-pool window of 400,000 taps lowers on any array to at least ${fmtInt((2 * 399_999 - 2) * 3)} instructions (two ops per tap), over the limit of ${fmtInt(DEFAULT_LIMITS.maxInstructions)} (--max-instructions)`);
  });

  test('the max-pool floor from the graph is never over what the lowering emits (windows past the fusable 8, channels, machines)', () => {
    let checked = 0;
    for (const [h, w, c, kh, kw, rows, cols] of [[12, 3, 1, 9, 2, 8, 8], [10, 10, 5, 10, 1, 2, 3], [9, 4, 20, 9, 3, 4, 4], [16, 2, 3, 12, 2, 1, 1], [11, 11, 9, 1, 11, 3, 8]] as const) {
      const graph = maxPool(h, w, c, kh, kw);
      const config = makeConfig({ rows, cols });
      const emitted = compile(graph, { config, calibration: { samples: randomSamples(2, h * w * c, c) }, maxInstructions: Number.MAX_SAFE_INTEGER }).program.instructions.length;
      // at the emitted count the graph check passes; the lowering's own floor decides the rest
      expect(() => compile(graph, { config, calibration: { samples: randomSamples(2, h * w * c, c) }, maxInstructions: emitted })).not.toThrow();
      checked++;
    }
    expect(checked).toBe(5);
  });

  test('a depthwise conv whose made-up diagonal matrices pass --max-memory: NN109 before calibration, naming the layer; each held as its diagonal (256 weights, not 256²)', () => {
    const [kh, c] = [40, 256];
    const graph: Graph = { name: 'dw', inputs: [{ name: 'input', shape: [kh, 1, c] }], nodes: [{ name: 'dw', op: 'conv2d', inputs: ['input'], output: 'dw', kernel: { shape: [kh, 1, c, 1], data: new Float32Array(kh * c).fill(0.1) }, bias: null, strides: [1, 1], pads: [0, 0, 0, 0], depthwise: true, activation: 'linear' }], outputs: ['dw'], notes: [] };
    // 40 diagonals of 256 weights, float32 and int8: 51,200 bytes
    const e = refusal(() => compile(graph, { config: makeConfig(), calibration: untouchable, maxMemory: 51_000 })) as NnchipError;
    expect(e.code).toBe('NN109');
    expect(e.layer).toBe('dw');
    expect(e.detail).toBe('the compiler makes 40 diagonal weight matrices for it (a depthwise conv of 40 taps on 256 channels: 256 weights each), 51,200 bytes to build, over the limit of 51,000 (--max-memory)');
    expect(refusal(() => compile(graph, { config: makeConfig(), calibration: untouchable, maxMemory: 51_200 }))).toBe('calibration was read');
  });

  test('a ReLU on a 100,000-wide vector (its c × c copy matrix was 10 GB: an internal error) holds 100,000 weights: past that check, NN403 at the buffers before calibration', () => {
    const k = 100_000;
    const relu: Graph = { name: 'wide', inputs: [{ name: 'input', shape: [k] }], nodes: [{ name: 'relu', op: 'activation', fn: 'relu', inputs: ['input'], output: 'relu' }], outputs: ['relu'], notes: [] };
    // past the made-up-weights check, the buffer check refuses it before calibration
    expect(refusal(() => compile(relu, { config: makeConfig(), calibration: untouchable }))).toHaveProperty('code', 'NN403');
    expect(refusal(() => compile(relu, { config: makeConfig(), calibration: untouchable, maxMemory: 99_999 }))).toHaveProperty('code', 'NN109');
  });

  test('a computed vector of 40,000 read as a 200×200 map: its 40,000 one-weight copies share one row of weights (a 40,000-row array each took 1.6 GB)', () => {
    const k = 40_000;
    const graph: Graph = {
      name: 'unflatten',
      inputs: [{ name: 'input', shape: [1] }],
      nodes: [
        { name: 'fc', op: 'dense', inputs: ['input'], output: 'fc', kernel: { shape: [1, k], data: new Float32Array(k).fill(0.5) }, bias: null, activation: 'linear' },
        { name: 'map', op: 'reshape', inputs: ['fc'], output: 'map', shape: [200, 200, 1] },
        { name: 'relu', op: 'activation', fn: 'relu', inputs: ['map'], output: 'relu' },
      ],
      outputs: ['relu'],
      notes: [],
    };
    const { gemm } = quantizeGraph(graph, { samples: [Float32Array.of(1), Float32Array.of(-1)] });
    const copies = gemm.ops.filter((op) => op.label === 'unflatten-copy');
    expect(copies).toHaveLength(k);
    const rows = new Set(copies.map((op) => { const m = op.terms[0]!.matrix; return m.form === 'diagonal' ? m.values : m.codes; }));
    expect(rows.size).toBe(1);
  });
});
