/**
 * A 1×1 convolution with a stride (a ResNet shortcut) is a GEMM over the pixels it reads: the
 * lowering loads only those pixels (every sx-th of every sy-th line), densely, so one matmul per
 * channel and column tile streams all of a tile's output pixels; outputs equal the reference
 * lowering and sim (fast, step) = interpret = certificate, whatever the tiling the buffers force.
 */
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { builder } from '../../helpers/random-cnn.js';
import { randomSamples } from '../../helpers/random-graph.js';

const [H, W, C] = [11, 13, 5];

/** conv 3×3 (so the shortcut reads an inner tensor, not the packed input) → 1×1 stride 2 → output. */
function shortcutGraph(cout: number, stride: number): Graph {
  const b = builder(7);
  const body = b.add({ name: 'body', op: 'conv2d', inputs: ['input'], output: 'body', kernel: b.tensor([3, 3, C, 6], 0.5), bias: b.tensor([6], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  const short = b.add({ name: 'shortcut', op: 'conv2d', inputs: [body], output: 'shortcut', kernel: b.tensor([1, 1, 6, cout], 0.6), bias: b.tensor([cout], 0.2), strides: [stride, stride], pads: [0, 0, 0, 0], depthwise: false, activation: 'linear' });
  return { name: 'shortcut', inputs: [{ name: 'input', shape: [H, W, C] }], nodes: b.nodes, outputs: [short], notes: [] };
}

const compileFor = (g: Graph, cfg: Partial<ArrayConfig>): Program =>
  compile(g, { config: makeConfig(cfg), calibration: { samples: randomSamples(6, H * W * C, 3, -1, 1) }, verify: true }).program;

const insnsOf = (p: Program, layer: string) => {
  const li = p.layers.findIndex((l) => l.name === layer);
  return p.instructions.filter((_, i) => p.insnLayer[i] === li);
};

describe('strided 1×1 convolutions', () => {
  test.each([
    { stride: 2, cout: 7, cfg: { rows: 4, cols: 4 } },
    { stride: 3, cout: 9, cfg: { rows: 4, cols: 8, actDepth: 64, accDepth: 24, outDepth: 24, dramLatency: 3, dramBytesPerCycle: 4 } },
    { stride: 2, cout: 4, cfg: { rows: 8, cols: 4, dramLatency: 0, dramBytesPerCycle: 4096, actDepth: 65536, accDepth: 65536, outDepth: 65536 } },
  ])('stride $stride on $cfg.rows x $cfg.cols: only the pixels read are loaded; one matmul per tile, channel and column tile; outputs exact', ({ stride, cout, cfg }) => {
    const g = shortcutGraph(cout, stride);
    const p = compileFor(g, cfg);
    const shortcut = insnsOf(p, 'shortcut');
    const [oh, ow] = [Math.floor((H - 1) / stride) + 1, Math.floor((W - 1) / stride) + 1];
    const ct = Math.ceil(6 / cfg.rows);
    const nt = Math.ceil(cout / cfg.cols);
    const thresholds = shortcut.filter((i) => i.op === 'threshold');
    const matmuls = shortcut.filter((i) => i.op === 'matmul');
    // every matmul streams its whole tile from consecutive act entries
    expect(matmuls).toHaveLength(thresholds.length * ct);
    for (const m of matmuls) if (m.op === 'matmul') expect([m.actStride, m.inner]).toEqual([1, m.rows]);
    expect(matmuls.reduce((a, m) => a + (m.op === 'matmul' ? m.rows : 0), 0)).toBe(oh * ow * ct * nt);
    // act entries loaded: the ow pixels of each of the oh lines read, per channel tile (not the whole map)
    const actRows = shortcut.filter((i) => i.op === 'load' && i.buf === 0).reduce((a, i) => a + (i.op === 'load' ? i.rows : 0), 0);
    expect(actRows).toBe(oh * ow * ct);
    const ref = compileFor(g, { rows: 1, cols: 4 });
    for (const x of randomSamples(3, H * W * C, 11, -1.5, 1.5)) {
      expect(Array.from(interpret(p, quantizeInput(p, x)))).toEqual(Array.from(interpret(ref, quantizeInput(ref, x))));
    }
    expectSimExact(p, quantizeInput(p, randomSamples(1, H * W * C, 5, -1, 1)[0]!));
  });
});
