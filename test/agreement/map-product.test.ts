// SPDX-License-Identifier: MIT
/**
 * Products of two computed tensors (IR `mul`, quarter squares of ops that exist: ir/product.ts) from
 * ONNX Mul: a gated convolution (conv · sigmoid(conv)), WaveNet's tanh ⊙ sigmoid, x · conv(x) (both
 * signed), CBAM's spatial gate [N, 1, H, W] · [N, C, H, W], and two vectors. Float IR = onnxruntime;
 * reference = sim (fast, step, certificate) = WASM on every input class; int8 within 5% of the
 * float runtime's spread on calibrated samples (a square's range grows as its input's squared, so
 * inputs past the calibrated range saturate sooner there: docs/numerics.md). (RTL: test/cosim/map-product.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { expectInt8NearFloat, expectSimExact, expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { expectClose } from '../helpers/close.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-product-'));
const C = 4;
const [H, W] = [5, 6];
const CLASSES = 3;

/** A conv 3×3 (pad 1) from `x` (cin channels) to `cout`, named `name`. */
function conv(x: string, out: string, cin: number, cout: number, seed: number, k = 3): { node: NodeSpec; inits: ModelSpec['inits'] } {
  return {
    node: { op: 'Conv', inputs: [x, `${out}.w`, `${out}.b`], outputs: [out], attrs: { pads: { ints: Array(4).fill((k - 1) / 2) } } },
    inits: { [`${out}.w`]: { dims: [cout, cin, k, k], data: weights(cout * cin * k * k, seed, -0.6, 0.6) }, [`${out}.b`]: { dims: [cout], data: weights(cout, seed + 50, -0.2, 0.2) } },
  };
}

/** …the product `p` ([1, C, H, W]) → Flatten → Gemm to CLASSES outputs. */
function head(p: string, n: number): { nodes: NodeSpec[]; inits: ModelSpec['inits'] } {
  return {
    nodes: [{ op: 'Flatten', inputs: [p], outputs: ['flat'] }, { op: 'Gemm', inputs: ['flat', 'fc.w', 'fc.b'], outputs: ['y'], attrs: { transB: { i: 1 } } }],
    inits: { 'fc.w': { dims: [CLASSES, n], data: weights(CLASSES * n, 90, -0.3, 0.3) }, 'fc.b': { dims: [CLASSES], data: weights(CLASSES, 91) } },
  };
}

/** A model: convs a and b from x, `gate` nodes, Mul, the head. */
function model(body: (NodeSpec | ReturnType<typeof conv>)[], product: string, n = C * H * W): ModelSpec {
  const parts = body.map((b) => ('node' in b ? b : { node: b, inits: {} }));
  const tail = head(product, n);
  return { input: [1, 2, H, W], output: [1, CLASSES], nodes: [...parts.map((p) => p.node), ...tail.nodes], inits: Object.assign({}, ...parts.map((p) => p.inits), tail.inits), outputName: 'y' };
}

const MODELS: [string, ModelSpec][] = [
  ['gated conv: conv · sigmoid(conv)', model([conv('x', 'a', 2, C, 1), conv('x', 'b', 2, C, 2), { op: 'Sigmoid', inputs: ['b'], outputs: ['g'] }, { op: 'Mul', inputs: ['a', 'g'], outputs: ['p'], name: 'product' }], 'p')],
  ['WaveNet: tanh(conv) ⊙ sigmoid(conv)', model([conv('x', 'a', 2, C, 3), conv('x', 'b', 2, C, 4), { op: 'Tanh', inputs: ['a'], outputs: ['t'] }, { op: 'Sigmoid', inputs: ['b'], outputs: ['g'] }, { op: 'Mul', inputs: ['t', 'g'], outputs: ['p'], name: 'product' }], 'p')],
  ['conv(x) · conv(conv(x)), both signed, gate second', model([conv('x', 'a', 2, C, 5), conv('a', 'b', C, C, 6), { op: 'Mul', inputs: ['b', 'a'], outputs: ['p'], name: 'product' }], 'p')],
  ['CBAM spatial gate [1, 1, H, W] · [1, C, H, W]', model([conv('x', 'a', 2, C, 7), { op: 'Relu', inputs: ['a'], outputs: ['r'] }, { op: 'ReduceMean', inputs: ['r'], outputs: ['m'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, conv('m', 's', 1, 1, 8), { op: 'Sigmoid', inputs: ['s'], outputs: ['g'] }, { op: 'Mul', inputs: ['g', 'r'], outputs: ['p'], name: 'product' }], 'p')],
  // CBAM's spatial attention: cat(x.mean(1, keepdim), x.amax(1, keepdim)) → conv 3×3 → sigmoid → gate (5 channels: an odd max tree)
  ['CBAM: channel mean and max, conv, sigmoid, gate', model([conv('x', 'a', 2, 5, 9), { op: 'Relu', inputs: ['a'], outputs: ['r'] }, { op: 'ReduceMean', inputs: ['r'], outputs: ['m'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'ReduceMax', inputs: ['r'], outputs: ['n'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } }, { op: 'Concat', inputs: ['m', 'n'], outputs: ['mn'], attrs: { axis: { i: 1 } } }, conv('mn', 's', 2, 1, 10), { op: 'Sigmoid', inputs: ['s'], outputs: ['g'] }, { op: 'Mul', inputs: ['r', 'g'], outputs: ['p'], name: 'product' }], 'p', 5 * H * W)],
];

describe.each(MODELS)('ONNX Mul, %s', (name, spec) => {
  const bytes = buildOnnx(spec);
  const path = writeOnnx(dir, bytes, `${name.replace(/\W+/g, '-')}.onnx`);
  const dims = spec.input as number[];
  const samples = randomSamples(24, dims.reduce((a, b) => a * b, 1), 5, -1, 1);

  test('float IR = onnxruntime; reference = sim = WASM on 4x4 and 8x8; int8 near the float runtime', async () => {
    const graph = loadModel(path);
    expect(graph.nodes.some((n) => n.op === 'mul')).toBe(true);
    const want = await ortRun(bytes, dims, samples);
    samples.slice(0, 6).forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-4));
    for (const [rows, cols] of [[4, 4], [8, 8]] as const) {
      const { program } = compile(graph, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true });
      await expectSoftwareBackendsAgree(program, inputClasses(program, samples[20]));
      expectSimExact(program, inputClasses(program, samples[21])[0]![1]);
      expectInt8NearFloat(program, samples.slice(16), want.slice(16).map((v) => Array.from(v)), 0.05, 8);
    }
  });
});

test('two vectors: Gemm · Sigmoid(Gemm), then Gemm: float = onnxruntime, int8 near it', async () => {
  const spec: ModelSpec = {
    input: [1, 6], output: [1, CLASSES], outputName: 'y',
    inits: { 'a.w': { dims: [8, 6], data: weights(48, 1) }, 'b.w': { dims: [8, 6], data: weights(48, 2) }, 'fc.w': { dims: [CLASSES, 8], data: weights(8 * CLASSES, 3) } },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'a.w'], outputs: ['a'], attrs: { transB: { i: 1 } } },
      { op: 'Gemm', inputs: ['x', 'b.w'], outputs: ['b'], attrs: { transB: { i: 1 } } },
      { op: 'Tanh', inputs: ['b'], outputs: ['g'] },
      { op: 'Mul', inputs: ['a', 'g'], outputs: ['p'] },
      { op: 'Gemm', inputs: ['p', 'fc.w'], outputs: ['y'], attrs: { transB: { i: 1 } } },
    ],
  };
  const bytes = buildOnnx(spec);
  const graph = loadModel(writeOnnx(dir, bytes, 'vectors.onnx'));
  const samples = randomSamples(24, 6, 9, -1, 1);
  const want = await ortRun(bytes, [1, 6], samples);
  samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-4));
  const { program } = compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples }, verify: true });
  await expectSoftwareBackendsAgree(program, inputClasses(program, samples[20]));
  expectInt8NearFloat(program, samples.slice(16), want.slice(16).map((v) => Array.from(v)), 0.05, 8);
});
