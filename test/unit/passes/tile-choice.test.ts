/**
 * Lines per tile (passes/lower-tile-choice.ts): with buffers that hold a whole layer, one tile would
 * load the whole input before its first matmul. The lowering takes smaller tiles whose windows
 * alternate between the act buffer's halves, so the first matmul starts after a fraction of the
 * input has loaded and later windows load while the array works; outputs stay exact. A smaller tile
 * must save a margin per extra tile by the estimate (tileMargin): an array drain, half of one with two acc banks.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { layerGraph, parseTopology, syntheticCalibration } from '../../../src/importers/topology.js';
import { product } from '../../../src/ir/graph.js';
import { makeConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import type { Graph } from '../../../src/ir/graph.js';
import type { Program } from '../../../src/isa/program.js';
import { builder } from '../../helpers/random-cnn.js';
import { randomSamples } from '../../helpers/random-graph.js';

const MAX = 65536;
// ResNet-18's Conv2_x shape, smaller: 3×3, 64 → 64 channels; its input is a conv's output in a network,
// here the program's input with as many channels as rows, so nothing is packed
const layer = parseTopology('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 26, 26, 3, 3, 32, 32, 1,\n', 't.csv').layers[0]!;

describe('tile choice', () => {
  test('ideal DRAM and huge buffers: several tiles, act windows ping-pong, the first matmul waits for one window only; exact', () => {
    const config = makeConfig({ rows: 32, cols: 32, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX });
    const graph = layerGraph(layer, DEFAULT_LIMITS, 't.csv');
    const program = compile(graph, { config, calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) }).program;
    const thresholds = program.instructions.filter((i) => i.op === 'threshold');
    expect(thresholds.length).toBeGreaterThan(1); // one column tile: one threshold per tile
    const actLoads = program.instructions.flatMap((i) => (i.op === 'load' && i.buf === LOAD_BUFFERS.act ? [i] : []));
    const bases = new Set(actLoads.map((l) => (l.op === 'load' ? l.sram : -1)));
    expect(bases.size).toBe(2);
    const { timings } = scheduleTimes(program.instructions, config);
    const firstMatmul = program.instructions.findIndex((i) => i.op === 'matmul');
    // one entry per cycle with ideal DRAM: one tile could not start before the whole 26×26 input
    // and the bias of its 24×24 rows had loaded; the array starts before even the input would have
    expect(timings[firstMatmul]!.start).toBeLessThan(26 * 26);
    const ref = compile(graph, { config: makeConfig({ rows: 32, cols: 32 }), calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) }).program;
    const x = randomSamples(1, product(graph.inputs[0]!.shape), 3, -1, 1)[0]!;
    expect(Array.from(interpret(program, quantizeInput(program, x)))).toEqual(Array.from(interpret(ref, quantizeInput(ref, x))));
    expectSimExact(program, quantizeInput(program, x));
  });

  test('two acc banks: a smaller tile needs to save half an array drain per extra tile by the estimate, so a residual add after its branch pipelines in two tiles; exact', () => {
    // a residual block (conv3x3 + relu → conv3x3 → add the block input → relu), 14×14×32 on 64x16: the
    // add stacks (2c ≤ R), one matmul per column tile, and waits for the branch's stores (on 16
    // columns the 32-channel maps are not packed: pack-taps.ts; two column tiles)
    const b = builder(7);
    const conv = (name: string, x: string, relu: boolean): string =>
      b.add({ name, op: 'conv2d', inputs: [x], output: name, kernel: b.tensor([3, 3, 32, 32], 0.3), bias: b.tensor([32], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: relu ? 'relu' : 'linear' });
    const a = conv('a', 'input', true);
    const sum = b.add({ name: 'sum', op: 'add', inputs: [conv('b', a, false), a], output: 'sum' });
    const out = b.add({ name: 'out', op: 'activation', fn: 'relu', inputs: [sum], output: 'out' });
    const graph: Graph = { name: 'block', inputs: [{ name: 'input', shape: [14, 14, 32] }], nodes: b.nodes, outputs: [out], notes: [] };
    const addRows = (accBanks: number): { program: Program; rows: number[] } => {
      const config = makeConfig({ rows: 64, cols: 16, dramBytesPerCycle: 4096, dramLatency: 0, accBanks, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX });
      // the add an op of its own (by default it folds into the convolution before it)
      const { program } = compile(graph, { config, calibration: { inputRange: [0, 1] }, foldAdds: false });
      const layer = program.layers.findIndex((l) => l.name === 'sum');
      return { program, rows: program.instructions.flatMap((i, k) => (i.op === 'threshold' && program.insnLayer[k] === layer ? [i.rows] : [])) };
    };
    // one bank: a whole drain (2R + C) per extra tile keeps the add in one tile of 14 lines
    expect(addRows(1).rows).toEqual([14 * 14, 14 * 14]);
    const { program, rows } = addRows(2);
    expect(rows).toEqual([7 * 14, 7 * 14, 7 * 14, 7 * 14]);
    expectSimExact(program, quantizeInput(program, randomSamples(1, 14 * 14 * 32, 7)[0]!));
  }, 60_000);
});
