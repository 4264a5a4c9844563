// SPDX-License-Identifier: MIT
/**
 * Models of several outputs, one chosen with --output-name (loadModel's `output`): a two-head ONNX model and a two-head
 * TF.js Layers functional model, each head lowered alone and compared with onnxruntime / tfjs for that head (float
 * graph within 1e-5, int8 sim = reference interpreter within 5% of the output range), the other head's nodes dropped.
 * Without --output-name such a model is refused with its outputs' names; an unknown name with a did-you-mean.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph } from '../../../src/ir/graph.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const w = (dims: number[], seed: number, lo = -0.5, hi = 0.5) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
/** Every name a graph holds: its nodes', their outputs' and what they read. */
const namesOf = (g: Graph): string[] => g.nodes.flatMap((n) => [n.name, n.output, ...n.inputs]);

describe('ONNX: two heads (boxes: Gemm; scores: Gemm → Sigmoid) over one Conv trunk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-onnx-'));
  const path = writeOnnx(dir, buildOnnx({
    input: [1, 2, 5, 5],
    output: [1, 4],
    outputName: 'boxes',
    moreOutputs: [{ name: 'scores', dims: [1, 3] }],
    nodes: [
      { op: 'Conv', name: 'trunk_conv', inputs: ['x', 'K', 'B'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', name: 'trunk_relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', name: 'trunk_flat', inputs: ['r'], outputs: ['f'] },
      { op: 'Gemm', name: 'box_gemm', inputs: ['f', 'W1', 'b1'], outputs: ['boxes'] },
      { op: 'Gemm', name: 'score_gemm', inputs: ['f', 'W2', 'b2'], outputs: ['score_logits'] },
      { op: 'Sigmoid', name: 'score_sigmoid', inputs: ['score_logits'], outputs: ['scores'] },
    ],
    inits: { K: w([3, 2, 3, 3], 1), B: w([3], 2), W1: w([75, 4], 3, -0.3, 0.3), b1: w([4], 4), W2: w([75, 3], 5, -0.3, 0.3), b2: w([3], 6) },
  }));
  const dims = [1, 2, 5, 5];
  const inputs = randomSamples(8, 50, 7, -1, 1);

  test.each([['boxes', 'score'], ['scores', 'box']])('--output-name %s: = onnxruntime for that output; no node of the other head', async (output, other) => {
    const graph = loadModel(path, undefined, { output });
    expect(graph.outputs).toEqual([output]);
    expect(namesOf(graph).filter((t) => t.startsWith(other))).toEqual([]);
    const want = await ortRun(path, dims, inputs, false, output);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
    expectInt8NearFloat(compileGraph(graph, inputs), inputs, want.map((v) => Array.from(v)));
  });

  test('without --output-name: refused with the outputs named and how to choose', () => {
    expect(failure(() => loadModel(path)).format()).toMatch(/NN110: model.onnx: the model has 2 outputs \(boxes, scores\); nnchip compiles one: choose it with --output-name boxes/);
  });
  test('an unknown name: the outputs listed, and the near one', () => {
    expect(failure(() => loadModel(path, undefined, { output: 'score' })).format()).toMatch(/NN801: model.onnx: --output-name "score" is not an output of the model: the model's outputs are boxes, scores; did you mean scores\?/);
  });
});

describe('TF.js Layers: a functional model of two heads (a Dense, a Conv → pool → Dense)', () => {
  const L = tfjs.layers;
  const x = tfjs.input({ shape: [6, 6, 2] });
  const trunk = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfjs.initializers.glorotUniform({ seed: 11 }), name: 'trunk' }).apply(x) as tf.SymbolicTensor;
  const flat = L.flatten({ name: 'flat' }).apply(trunk) as tf.SymbolicTensor;
  const boxes = L.dense({ units: 4, kernelInitializer: tfjs.initializers.glorotUniform({ seed: 12 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 13 }), name: 'boxes' }).apply(flat) as tf.SymbolicTensor;
  const head = L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tfjs.initializers.glorotUniform({ seed: 14 }), name: 'cls_conv' }).apply(trunk) as tf.SymbolicTensor;
  const pooled = L.globalAveragePooling2d({ name: 'cls_pool' }).apply(head) as tf.SymbolicTensor;
  const classes = L.dense({ units: 5, kernelInitializer: tfjs.initializers.glorotUniform({ seed: 15 }), name: 'cls_dense' }).apply(pooled) as tf.SymbolicTensor;
  const model = tfjs.model({ inputs: x, outputs: [boxes, classes] });
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-tfjs-'));
  const file = join(dir, 'model.json');
  const inputs = randomSamples(8, 72, 21, -1, 1);

  test.each([['boxes', boxes, 'cls_'], ['cls_dense', classes, 'boxes']] as const)('--output-name %s: = tfjs for that output; no layer of the other head', async (output, out, other) => {
    await saveTfjsModel(model, dir);
    const graph = loadModel(file, undefined, { output });
    expect(namesOf(graph).filter((t) => t.startsWith(other))).toEqual([]);
    const want = tfjsPredict(tfjs.model({ inputs: x, outputs: out }), inputs);
    inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!, 1e-5));
    expectInt8NearFloat(compileGraph(graph, inputs), inputs, want);
  });

  test('without --output-name: refused with both heads named; an unknown name gets a did-you-mean', async () => {
    await saveTfjsModel(model, dir);
    expect(failure(() => loadModel(file)).format()).toMatch(/NN110: model.json: the model has 2 outputs \(boxes, cls_dense\); nnchip compiles one: choose it with --output-name boxes/);
    expect(failure(() => loadModel(file, undefined, { output: 'cls_dens' })).format()).toMatch(/NN801: .*--output-name "cls_dens" is not an output of the model: .*did you mean cls_dense\?/);
  });
});

describe('one output', () => {
  test('--output-name naming it is fine; naming another is an error naming the only one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-one-'));
    const path = writeOnnx(dir, buildOnnx({ input: [1, 4], output: [1, 2], outputName: 'y', nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'] }], inits: { W: w([4, 2], 31) } }));
    expect(loadModel(path, undefined, { output: 'y' }).outputs).toEqual(['y']);
    expect(failure(() => loadModel(path, undefined, { output: 'z' })).format()).toMatch(/NN801: model.onnx: --output-name "z" is not an output of the model: the model's only output is y/);
  });
});
