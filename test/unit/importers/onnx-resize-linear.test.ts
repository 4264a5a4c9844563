/**
 * ONNX Resize mode linear (bilinear) by integer factors: half_pixel / pytorch_half_pixel (PyTorch's
 * Upsample(mode='bilinear'), align_corners False) and asymmetric, 2-D and 1-D, even and odd factors.
 * The graph computes what onnxruntime computes; the int8 program (per phase, integer weights that
 * sum to (2fy)·(2fx), passes/upsample-linear.ts) runs the same on reference, simulator and WASM,
 * and every output code is the exact interpolation of the input codes, rounded (align_corners, per output line
 * along W then H: within one code). Other forms are refused in one line.
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
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { buildOnnx, ortRun, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

/** x [N, C, …spatial] → Resize(linear, scales) → y. */
function model(input: number[], scales: number[], transform: string, opset = 13): ModelSpec {
  const output = input.map((d, i) => d * scales[i]!);
  return {
    input,
    output,
    nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'up', attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: transform } } }],
    inits: { s: { dims: [scales.length], data: scales } },
    opset,
  };
}

const CASES: [string, number[], number[], string][] = [
  ['×2 half_pixel (PyTorch bilinear)', [1, 3, 5, 4], [1, 1, 2, 2], 'half_pixel'],
  ['×2 pytorch_half_pixel', [1, 2, 4, 4], [1, 1, 2, 2], 'pytorch_half_pixel'],
  ['×3 × ×2 half_pixel (an odd factor: a phase on the pixel)', [1, 2, 4, 3], [1, 1, 3, 2], 'half_pixel'],
  ['×4 asymmetric (TF.js bilinear)', [1, 2, 3, 3], [1, 1, 4, 4], 'asymmetric'],
  ['×2 on a 1×1 map', [1, 2, 1, 1], [1, 1, 2, 2], 'half_pixel'],
  ['1-D [N, C, L] ×2', [1, 3, 6], [1, 1, 2], 'half_pixel'],
  // align_corners (PyTorch's align_corners=True, milesial's UNet): one op per output column, then per row; two roundings
  ['×2 align_corners', [1, 2, 4, 4], [1, 1, 2, 2], 'align_corners'],
  ['×3 × ×2 align_corners', [1, 2, 3, 5], [1, 1, 3, 2], 'align_corners'],
  ['1-D [N, C, L] ×4 align_corners', [1, 3, 6], [1, 1, 4], 'align_corners'],
  ['×4 align_corners of 40 columns (weights in 1/159: split into terms of ≤ 127)', [1, 1, 2, 40], [1, 1, 1, 4], 'align_corners'],
  ['×1.5 × ×0.75 align_corners (4 → 6 and 4 → 3: any size, per line)', [1, 2, 4, 4], [1, 1, 1.5, 0.75], 'align_corners'],
];

describe('ONNX Resize linear', () => {
  test.each(CASES)('%s: float = onnxruntime; int8 ref = sim = WASM = the interpolated codes', async (_, input, scales, transform) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-bilinear-')), buildOnnx(model(input, scales, transform)));
    const graph = loadModel(path);
    const size = input.reduce((a, b) => a * b, 1);
    const inputs = randomSamples(12, size, 5, -1, 1);
    const want = await ortRun(path, input, inputs);
    const [c, h, w] = input.length === 4 ? [input[1]!, input[2]!, input[3]!] : [input[1]!, 1, input[2]!];
    const [oh, ow] = input.length === 4 ? [h * scales[2]!, w * scales[3]!] : [1, w * scales[2]!];
    // the IR's [H, W, C] map in ONNX's channel-major order
    const chw = (v: ArrayLike<number>): number[] => Array.from({ length: oh * ow * c }, (_, j) => v[(j % (oh * ow)) * c + Math.floor(j / (oh * ow))]!);
    inputs.forEach((x, i) => expectClose(chw(evaluateOutput(graph, x)), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const wasm = await instantiate(emitWasm(program, { simd: false }));
    // the output keeps the input's scale and zero point: each code is the interpolation of the codes
    const { zp } = program.outputs[0]!;
    // (a 1×1 map is two nearest copies, along W then H: the first reads the input)
    const upGraph = { ...graph, inputs: [{ name: 'q', shape: [h, w, c] }], nodes: graph.nodes.map((n, i) => (i === 0 ? { ...n, inputs: ['q'] } : n)) };
    for (const x of inputs.slice(0, 4)) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
      const exact = evaluateOutput(upGraph, Float64Array.from(codes, (q) => q - zp));
      // align_corners rounds after each axis: within one code of the exact interpolation
      Array.from(ref).forEach((q, j) => expect(Math.abs(q - zp - exact[j]!)).toBeLessThanOrEqual((transform === 'align_corners' ? 1 : 0.5) + 1e-9));
    }
  });

  // F.interpolate(scale_factor=1/k, mode='bilinear'): half-pixel centres fall on one pixel (k odd) or midway between two (k even): an
  // average pool of stride k (after a crop of the offset); asymmetric: pixel k·o
  test.each<[string, number[], number[], string]>([
    ['÷2 half_pixel (2×2 mean)', [1, 2, 6, 8], [1, 1, 0.5, 0.5], 'half_pixel'],
    ['÷3 × ÷4 pytorch_half_pixel', [1, 2, 6, 8], [1, 1, 1 / 3, 0.25], 'pytorch_half_pixel'],
    ['÷2 asymmetric', [1, 2, 6, 8], [1, 1, 0.5, 0.5], 'asymmetric'],
    ['1-D ÷4 half_pixel', [1, 3, 12], [1, 1, 0.25], 'half_pixel'],
  ])('downscaling %s: float = onnxruntime; int8 ref = sim, near it', async (_, input, scales, transform) => {
    const spec = model(input, scales, transform);
    const sized = { ...spec, output: input.map((d, i) => Math.round(d * scales[i]!)), nodes: [{ ...spec.nodes[0]!, inputs: ['x', '', '', 'sz'] }], inits: { sz: { dims: [input.length], data: input.map((d, i) => Math.round(d * scales[i]!)), int64: true } } };
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-bilinear-')), buildOnnx(sized));
    const graph = loadModel(path);
    expect(graph.nodes.at(-1)).toMatchObject({ op: 'pool2d', kind: 'avg' });
    const inputs = randomSamples(8, input.reduce((a, b) => a * b, 1), 7, -1, 1);
    const want = await ortRun(path, input, inputs);
    const [c, oh, ow] = [input[1]!, input.length === 4 ? sized.output[2]! : 1, sized.output.at(-1)!];
    const chw = (v: ArrayLike<number>): number[] => Array.from({ length: oh * ow * c }, (_, j) => v[(j % (oh * ow)) * c + Math.floor(j / (oh * ow))]!);
    inputs.forEach((x, i) => expectClose(chw(evaluateOutput(graph, x)), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const hwc = want.map((v) => Array.from({ length: v.length }, (_, j) => v[(j % c) * oh * ow + Math.floor(j / c)]!));
    expectInt8NearFloat(program, inputs, hwc, 0.02, 4);
  });

  test.each<[string, ModelSpec, RegExp]>([
    ['tf_crop_and_resize', model([1, 2, 4, 4], [1, 1, 2, 2], 'tf_crop_and_resize'), /^error NN110: model\.onnx: layer "up": Resize: mode "linear" with coordinate_transformation_mode "tf_crop_and_resize" is not supported \(half_pixel, pytorch_half_pixel, asymmetric or align_corners\)/],
    ['half_pixel by 1.5', model([1, 2, 4, 4], [1, 1, 1.5, 1.5], 'half_pixel'), /^error NN110: model\.onnx: layer "up": Resize: scales \[1,1,1\.5,1\.5\] of a \[1,2,4,4\] tensor are not supported \(only integer upscaling of the spatial axes; linear downscaling by whole divisors; any size with nearest asymmetric floor, PyTorch's nearest, or linear align_corners\)/],
    ['×8 × ×4 (a corner weight over int8)', model([1, 2, 2, 2], [1, 1, 8, 4], 'half_pixel'), /^error NN203: model\.onnx: layer "up": linear upsampling by 8×4 is not supported \(factors whose product is at most 31\)/],
    // a value JSON cannot hold is quoted as itself, not as JSON.stringify's "null"
    ['scales of NaN', model([1, 2, 4, 4], [1, 1, NaN, 2], 'half_pixel'), /^error NN110: model\.onnx: layer "up": Resize: scales \[1,1,NaN,2\] of a \[1,2,4,4\] tensor are not supported/],
    ['scales of Infinity', model([1, 2, 4, 4], [1, 1, Infinity, 2], 'half_pixel'), /^error NN110: model\.onnx: layer "up": Resize: scales \[1,1,Infinity,2\] of a \[1,2,4,4\] tensor are not supported/],
    ['cubic', { ...model([1, 2, 4, 4], [1, 1, 2, 2], 'half_pixel'), nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'up', attrs: { mode: { s: 'cubic' } } }] }, /^error NN110: model\.onnx: layer "up": Resize: mode "cubic" is not supported \(only nearest and linear\)/],
  ])('%s is refused in one line', (_, spec, message) => {
    let error: unknown;
    try {
      loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-bilinear-')), buildOnnx(spec)));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).format()).toMatch(message);
  });
});
