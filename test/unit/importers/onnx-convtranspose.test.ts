/**
 * ONNX ConvTranspose: every attribute form nnchip takes (strides 1–3, asymmetric pads,
 * output_padding, a kernel smaller than the stride, groups, 1-D, auto_pad SAME, output_shape, no bias, a ReLU
 * fused after) imports to a graph that computes what onnxruntime computes, and its int8 program
 * (one stride-1 convolution per output phase, no inserted zeros) runs the same on the reference
 * interpreter, the simulator and WASM, close to float. Forms it does not take get one NN line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { buildOnnx, ortRun, weights, writeOnnx, type Attr, type ModelSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const w = (dims: number[], seed: number, lo = -1, hi = 1) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });

interface Case {
  /** input [N, C, H, W] or [N, C, L] */
  input: number[];
  /** W [C, M, KH, KW] (or [C, M, K]) */
  kernel: number[];
  attrs: Record<string, Attr>;
  output: number[];
  bias?: boolean;
  relu?: boolean;
}

function model(c: Case): ModelSpec {
  const group = c.attrs['group'] !== undefined && 'i' in c.attrs['group'] ? c.attrs['group'].i : 1;
  const cout = c.kernel[1]! * group;
  const nodes = [{ op: 'ConvTranspose', inputs: ['x', 'W', ...(c.bias === false ? [] : ['B'])], outputs: [c.relu ? 'd' : 'y'], attrs: c.attrs, name: 'deconv' }];
  if (c.relu) nodes.push({ op: 'Relu', inputs: ['d'], outputs: ['y'], attrs: {}, name: 'relu' });
  return { input: c.input, output: c.output, nodes, inits: { W: w(c.kernel, 11, -0.7, 0.7), B: w([cout], 12, -0.3, 0.3) }, opset: 13 };
}

const CASES: [string, Case][] = [
  ['3×3, stride 2, pads 1, output_padding 1 (PyTorch upsampling ×2)', { input: [1, 3, 4, 5], kernel: [3, 4, 3, 3], attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, output_padding: { ints: [1, 1] } }, output: [1, 4, 8, 10] }],
  ['3×3, stride 1 (a convolution with the kernel flipped), ReLU fused', { input: [1, 2, 5, 5], kernel: [2, 3, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] } }, output: [1, 3, 5, 5], relu: true }],
  ['4×3, strides 3 × 2, asymmetric pads, no bias', { input: [1, 2, 3, 4], kernel: [2, 3, 4, 3], attrs: { strides: { ints: [3, 2] }, pads: { ints: [2, 0, 1, 1] }, output_padding: { ints: [2, 0] } }, output: [1, 3, 9, 8], bias: false }],
  ['1×1, stride 2 (a kernel smaller than the stride: phases of bias alone)', { input: [1, 3, 3, 3], kernel: [3, 2, 1, 1], attrs: { strides: { ints: [2, 2] }, output_padding: { ints: [1, 1] } }, output: [1, 2, 6, 6] }],
  ['depthwise (group = C), 4×4, stride 2, pads 1', { input: [1, 4, 4, 4], kernel: [4, 1, 4, 4], attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, group: { i: 4 } }, output: [1, 4, 8, 8] }],
  ['group 2, channel multiplier 2', { input: [1, 4, 3, 3], kernel: [4, 2, 2, 2], attrs: { strides: { ints: [2, 2] }, group: { i: 2 } }, output: [1, 4, 6, 6] }],
  ['1-D [N, C, L], kernel 5, stride 2, pads 2, output_padding 1', { input: [1, 3, 6], kernel: [3, 2, 5], attrs: { strides: { ints: [2] }, pads: { ints: [2, 2] }, output_padding: { ints: [1] } }, output: [1, 2, 12] }],
  ['auto_pad SAME_UPPER, 3×3, stride 2: output = input × 2 (an odd padding)', { input: [1, 2, 3, 4], kernel: [2, 3, 3, 3], attrs: { strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } }, output: [1, 3, 6, 8] }],
  ['auto_pad SAME_LOWER, 4×4, stride 2 (an even padding)', { input: [1, 2, 3, 3], kernel: [2, 3, 4, 4], attrs: { strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_LOWER' } }, output: [1, 3, 6, 6] }],
  ['output_shape: odd and even padding, and an output past the full one', { input: [1, 2, 3, 3], kernel: [2, 3, 4, 3], attrs: { strides: { ints: [2, 3] }, output_shape: { ints: [7, 10] } }, output: [1, 3, 7, 10] }],
];

describe('ONNX ConvTranspose', () => {
  test.each(CASES)('%s: float = onnxruntime; int8: ref = sim = WASM, close to float', async (_, c) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-convt-')), buildOnnx(model(c)));
    const graph = loadModel(path);
    expect(graph.nodes.map((n) => n.op)).toEqual(c.relu ? ['convTranspose', 'activation'] : ['convTranspose']);
    const size = c.input.reduce((a, b) => a * b, 1);
    const inputs = randomSamples(16, size, 3, -1, 1);
    const want = await ortRun(path, c.input, inputs);
    // the IR's [H, W, C] map read back in ONNX's channel-major order
    const [h, wd, ch] = checkGraph(graph).get(graph.outputs[0]!)! as [number, number, number];
    const chw = (v: ArrayLike<number>): number[] => Array.from({ length: h * wd * ch }, (_, j) => v[(j % (h * wd)) * ch + Math.floor(j / (h * wd))]!);
    inputs.forEach((x, i) => expectClose(chw(evaluateOutput(graph, x)), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const wasm = await instantiate(emitWasm(program, { simd: false }));
    const out = program.outputs[0]!;
    const all = want.flatMap((v) => Array.from(v));
    const range = Math.max(...all) - Math.min(...all);
    for (const [i, x] of inputs.slice(0, 4).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
      chw(Array.from(ref, (q) => out.scale * (q - out.zp))).forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(0.04 * range));
    }
  });

  test.each<[string, Record<string, Attr>, number[], RegExp]>([
    ['dilations 2', { strides: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, [1, 3, 9, 9], /^error NN110: model\.onnx: layer "deconv": ConvTranspose: dilations \[2,2\] are not supported \(only 1\)/],
    ['output_padding as large as the stride', { strides: { ints: [2, 2] }, output_padding: { ints: [2, 2] } }, [1, 3, 11, 11], /^error NN203: model\.onnx: layer "deconv": output padding 2 is not less than the stride 2 — /],
    ['pads wider than the output', { strides: { ints: [1, 1] }, pads: { ints: [3, 3, 3, 3] } }, [1, 3, 1, 1], /^error NN203: model\.onnx: layer "deconv": a transposed window of 3 with stride 1, padding 3\+3 and output padding 0 does not fit an extent of 4 — /],
  ])('%s is refused in one line', (_, attrs, output, message) => {
    let error: unknown;
    try {
      loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-convt-')), buildOnnx(model({ input: [1, 2, 4, 4], kernel: [2, 3, 3, 3], attrs, output }))));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).format()).toMatch(message);
  });
});
