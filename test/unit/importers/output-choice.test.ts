// SPDX-License-Identifier: MIT
/**
 * Models of several outputs: a two-head ONNX model and a two-head TF.js Layers functional model. Without --output-name
 * both heads compile into one program (its output codes the heads' one after the other), compared with onnxruntime /
 * tfjs for each head; with --output-name (loadModel's `output`) one head, or several separated by commas in the
 * order named, each lowered without the other head's nodes (float graph within 1e-5, int8 sim = reference
 * interpreter within 5% of each output's range). An unknown name is refused with a did-you-mean.
 */
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { interpret } from '../../../src/isa/interpret.js';
import { outputParts, quantizeInput } from '../../../src/isa/program.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import type { Graph } from '../../../src/ir/graph.js';
import { expectInt8NearFloat } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { HEADS_INPUT_DIMS, writeHeadsModel } from '../../helpers/heads-model.js';
import { buildOnnx, ortRun, weights, writeOnnx } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const w = (dims: number[], seed: number, lo = -0.5, hi = 0.5) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
/** Every name a graph holds: its nodes', their outputs' and what they read. */
const namesOf = (g: Graph): string[] => g.nodes.flatMap((n) => [n.name, n.output, ...n.inputs]);

describe('ONNX: two heads (boxes: Gemm; scores: Gemm → Sigmoid) over one Conv trunk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-onnx-'));
  const path = writeHeadsModel(dir, false);
  const dims = HEADS_INPUT_DIMS;
  const inputs = randomSamples(8, 50, 7, -1, 1);

  test.each([['boxes', 'score'], ['scores', 'box']])('--output-name %s: = onnxruntime for that output; no node of the other head', async (output, other) => {
    const graph = loadModel(path, undefined, { output });
    expect(graph.outputs).toEqual([output]);
    expect(namesOf(graph).filter((t) => t.startsWith(other))).toEqual([]);
    const want = await ortRun(path, dims, inputs, false, output);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
    expectInt8NearFloat(compileGraph(graph, inputs), inputs, want.map((v) => Array.from(v)));
  });

  test.each([[undefined, ['boxes', 'scores']], ['scores,boxes', ['scores', 'boxes']]] as const)('--output-name %s: both heads in one program, = onnxruntime for each', async (output, order) => {
    const graph = loadModel(path, undefined, output === undefined ? {} : { output });
    expect(graph.outputs).toEqual(order);
    const heads = await Promise.all(order.map((o) => ortRun(path, dims, inputs, false, o)));
    const want = inputs.map((_, i) => heads.flatMap((h) => Array.from(h[i]!)));
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), Float32Array.from(want[i]!), 1e-5));
    const program = compileGraph(graph, inputs);
    expect(program.outputs.map((t) => [t.name, t.shape])).toEqual(order.map((o) => [o, [o === 'boxes' ? 4 : 3]]));
    expectInt8NearFloat(program, inputs, want);
    // each output's codes are those of its own program (--output-name of it alone): one scale per tensor, calibrated alike
    for (const { t, offset, size } of outputParts(program)) {
      const alone = compileGraph(loadModel(path, undefined, { output: t.name }), inputs);
      for (const x of inputs.slice(0, 3)) expect(interpret(program, quantizeInput(program, x)).slice(offset, offset + size)).toEqual(interpret(alone, quantizeInput(alone, x)));
    }
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

  test('without --output-name: both heads in one program, = tfjs for each; an unknown name gets a did-you-mean', async () => {
    await saveTfjsModel(model, dir);
    const graph = loadModel(file);
    expect(graph.outputs).toEqual(['boxes', 'cls_dense']);
    const [b, c] = [tfjsPredict(tfjs.model({ inputs: x, outputs: boxes }), inputs), tfjsPredict(tfjs.model({ inputs: x, outputs: classes }), inputs)];
    const want = inputs.map((_, i) => [...b[i]!, ...c[i]!]);
    inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), Float32Array.from(want[i]!), 1e-5));
    expectInt8NearFloat(compileGraph(graph, inputs), inputs, want);
    expect(failure(() => loadModel(file, undefined, { output: 'cls_dens' })).format()).toMatch(/NN801: .*--output-name "cls_dens" is not an output of the model: .*did you mean cls_dense\?/);
  });
});

describe('outputs that read an op nnchip lacks', () => {
  test('refused naming the op, with the outputs that read none of it: they compile alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-clean-'));
    const path = writeOnnx(dir, buildOnnx({
      input: [1, 4],
      output: [1, 2],
      outputName: 'y',
      moreOutputs: [{ name: 'odd', dims: [1, 2] }, { name: 'z', dims: [1, 3] }],
      nodes: [
        { op: 'Gemm', name: 'fc', inputs: ['x', 'W'], outputs: ['y'] },
        { op: 'Sin', name: 'sin', inputs: ['y'], outputs: ['odd'] },
        { op: 'Gemm', name: 'fc2', inputs: ['x', 'W2'], outputs: ['z'] },
      ],
      inits: { W: w([4, 2], 41), W2: w([4, 3], 42) },
    }));
    expect(failure(() => loadModel(path)).format()).toMatch(/^error NN110: model\.onnx: layer "sin": op Sin is not supported \(supported: .*\) — .*; or compile only the outputs that read none of them: --output-name y,z$/);
    expect(loadModel(path, undefined, { output: 'y,z' }).outputs).toEqual(['y', 'z']);
  });
});

describe('an output that is a constant', () => {
  test('refused in one line naming it, with the outputs the network computes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-outsel-const-'));
    const path = writeOnnx(dir, buildOnnx({ input: [1, 4], output: [1, 2], outputName: 'y', moreOutputs: [{ name: 'W', dims: [4, 2] }], nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'] }], inits: { W: w([4, 2], 51) } }));
    expect(failure(() => loadModel(path)).format()).toBe('error NN110: model.onnx: the model output "W" is a constant: it does not depend on the input — read it from the model on the host; compile the outputs the network computes: --output-name y');
    expect(loadModel(path, undefined, { output: 'y' }).outputs).toEqual(['y']);
    // the only output a constant: no outputs to name
    const only = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-outsel-const-')), buildOnnx({ input: [1, 4], output: [4, 2], outputName: 'W', nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }], inits: { W: w([4, 2], 52) } }));
    expect(failure(() => loadModel(only)).format()).toBe('error NN110: model.onnx: the model output "W" is a constant: it does not depend on the input — read it from the model on the host');
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
