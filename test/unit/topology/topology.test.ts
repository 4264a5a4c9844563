/** SCALE-Sim topology CSVs: parsing both forms, SCALE-Sim's M/N/K, deterministic synthetic layer graphs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { layerGraph, mnkOf, ofmapDims, parseTopology } from '../../../src/importers/topology.js';
import { checkGraph } from '../../../src/ir/verify.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/topologies');
const read = (f: string): string => readFileSync(join(EXAMPLES, f), 'utf8');

describe('SCALE-Sim topology files', () => {
  test('the conv form: padded columns, trailing commas, one stride for both directions', () => {
    const t = parseTopology(read('alexnet.csv'), 'alexnet.csv');
    expect(t.form).toBe('conv');
    expect(t.name).toBe('alexnet');
    expect(t.layers.map((l) => l.name)).toEqual(['Conv1', 'Conv2', 'Conv3', 'Conv4', 'Conv5']);
    expect(t.layers[0]).toMatchObject({ type: 'conv', ifmapH: 224, ifmapW: 224, filterH: 11, filterW: 11, channels: 3, numFilter: 96, strideH: 4, strideW: 4, depthwise: false });
  });

  test('the GEMM form maps to SCALE-Sim conv view [M, K, 1, K, 1, N, 1, 1] and keeps M, N, K', () => {
    const t = parseTopology('Layer Name, M, N, K,\nTest 1, 256, 128, 64', 'g.csv'); // no trailing newline or comma, as SCALE-Sim ships one
    expect(t.form).toBe('gemm');
    expect(mnkOf(t.layers[0]!)).toEqual({ M: 256, N: 128, K: 64 });
  });

  test("the variants SCALE-Sim ships: no trailing commas, '#' comments, tab-indented rows, blank lines", () => {
    const gemm = parseTopology('Layer,M,N,K\nQKT,1024,1024,64\nQKTV,1024,64,1024\n', 'gpt2.csv');
    expect(gemm.layers.map(mnkOf)).toEqual([{ M: 1024, N: 1024, K: 64 }, { M: 1024, N: 64, K: 1024 }]);
    const conv = parseTopology('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n\nConv2_dw, 112, 112, 3, 3, 1, 1, 1,#dw\nConv11,28,28,1,1,256,256,1\n\tConv15_0,14,14,1,1,512,512,1,\n', 'm.csv');
    expect(conv.layers.map((l) => [l.name, l.channels, l.numFilter, l.strideH, l.strideW])).toEqual([['Conv2_dw', 1, 1, 1, 1], ['Conv11', 256, 256, 1, 1], ['Conv15_0', 512, 512, 1, 1]]);
  });

  test('a ninth column is the stride width; CRLF and a BOM are accepted', () => {
    const text = '\uFEFFLayer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Stride width,\r\nc, 9, 10, 3, 2, 4, 5, 2, 3,\r\n';
    const l = parseTopology(text, 'x.csv').layers[0]!;
    expect([l.strideH, l.strideW]).toEqual([2, 3]);
    expect(ofmapDims(l)).toEqual([4, 3]); // floor((9-3)/2)+1, floor((10-2)/3)+1
  });

  test('control characters in layer and file names are escaped: they are printed in tables and written into CSV reports', () => {
    const t = parseTopology('Layer, M, N, K,\nconv\u001b[2J\u001b[31mred, 4, 4, 4,\nok\rFAKE, 4, 4, 4,\n', 'net\u001b[1m.csv');
    expect(t.layers.map((l) => l.name)).toEqual(['conv\\x1b[2J\\x1b[31mred', 'ok\\rFAKE']);
    expect(t.name).toBe('net\\x1b[1m');
  });

  test("M is SCALE-Sim's ceil((I - F + S) / S) output pixels, which can exceed nnchip's valid convolution", () => {
    const conv1 = parseTopology(read('alexnet.csv'), 'a.csv').layers[0]!;
    expect(ofmapDims(conv1)).toEqual([54, 54]);
    expect(mnkOf(conv1)).toEqual({ M: 55 * 55, N: 96, K: 11 * 11 * 3 });
    const conv2 = parseTopology(read('resnet18.csv'), 'r.csv').layers[1]!;
    expect(mnkOf(conv2)).toEqual({ M: 54 * 54, N: 64, K: 576 });
  });

  test('each layer is a one-layer graph over its own input; weights are deterministic per layer name', () => {
    const t = parseTopology(read('tiny-conv.csv'), 'tiny-conv.csv');
    for (const l of t.layers) {
      const g = layerGraph(l, DEFAULT_LIMITS, 'tiny-conv.csv');
      checkGraph(g);
      expect(g.inputs[0]!.shape).toEqual([l.ifmapH, l.ifmapW, l.channels]);
      expect(g.nodes).toHaveLength(1);
      expect(g.notes.join(' ')).toMatch(/synthetic/);
    }
    const [a, b] = [layerGraph(t.layers[0]!, DEFAULT_LIMITS, 'f'), layerGraph(t.layers[0]!, DEFAULT_LIMITS, 'f')];
    const kernel = (g: typeof a): Float32Array => (g.nodes[0] as { kernel: { data: Float32Array } }).kernel.data;
    expect(kernel(a)).toEqual(kernel(b));
    const renamed = layerGraph({ ...t.layers[0]!, name: 'other' }, DEFAULT_LIMITS, 'f');
    expect(kernel(renamed)).not.toEqual(kernel(a));
    const bound = 1 / Math.sqrt(36);
    expect(Math.max(...Array.from(kernel(a), Math.abs))).toBeLessThanOrEqual(bound);
  });

  test('a GEMM layer is a 1×1 convolution over a [1, M, K] feature map with K×N weights', () => {
    const g = layerGraph(parseTopology(read('tiny-gemm.csv'), 't.csv').layers[0]!, DEFAULT_LIMITS, 't.csv');
    expect(g.inputs[0]!.shape).toEqual([1, 16, 20]);
    expect(g.nodes[0]).toMatchObject({ op: 'conv2d', strides: [1, 1], pads: [0, 0, 0, 0] });
    expect((g.nodes[0] as unknown as { kernel: { shape: number[] } }).kernel.shape).toEqual([1, 1, 20, 12]);
  });

  test('loadModel reads a one-layer topology, or one layer named after #', () => {
    expect(loadModel(join(EXAMPLES, 'gemm-mnk.csv')).name).toBe('Test1');
    expect(loadModel(`${join(EXAMPLES, 'alexnet.csv')}#Conv3`).inputs[0]!.shape).toEqual([13, 13, 256]);
    expect(() => loadModel(join(EXAMPLES, 'alexnet.csv'))).toThrow(/5 independent layers; name one as alexnet.csv#<layer>/);
  });
});
